import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.models import Response
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_create, survey_publish, survey_update
from tests.factories import MembershipFactory, answer, survey_for

EVERY_TYPE: dict[str, Any] = {
    "name": "Every question type",
    "languages": ["zh-Hans", "en"],
    "default_language": "zh-Hans",
    "questions": [
        {
            "key": "rec",
            "type": "nps",
            "text": {"zh-Hans": "推荐可能性？", "en": "Would you recommend us?"},
        },
        {
            "key": "rec_plus",
            "type": "nps_plus",
            "text": {"zh-Hans": "推荐门店？", "en": "Would you recommend the store?"},
            "reasons": [
                {"key": "price", "text": {"zh-Hans": "价格", "en": "Price"}},
                {"key": "staff", "text": {"zh-Hans": "店员热情", "en": "Friendly staff"}},
            ],
        },
        {
            "key": "sat",
            "type": "csat",
            "scale": 5,
            "text": {"zh-Hans": "满意吗？", "en": "Satisfied?"},
        },
        {
            "key": "effort",
            "type": "ces",
            "scale": 7,
            "text": {"zh-Hans": "容易吗？", "en": "Was it easy?"},
        },
        {
            "key": "visit",
            "type": "single_choice",
            "text": {"zh-Hans": "何时到店？", "en": "When did you visit?"},
            "choices": [
                {"key": "weekday", "text": {"zh-Hans": "工作日", "en": "Weekday"}},
                {"key": "weekend", "text": {"zh-Hans": "周末", "en": "Weekend"}},
            ],
        },
        {
            "key": "bought",
            "type": "multiple_choice",
            "text": {"zh-Hans": "买了什么？", "en": "What did you buy?"},
            "choices": [
                {"key": "shoes", "text": {"zh-Hans": "鞋", "en": "Shoes"}},
                {"key": "bags", "text": {"zh-Hans": "包", "en": "Bags"}},
                {"key": "hats", "text": {"zh-Hans": "帽子", "en": "Hats"}},
            ],
        },
        {
            "key": "note",
            "type": "text",
            "required": False,
            "text": {"zh-Hans": "还有吗？", "en": "Anything else?"},
        },
    ],
}
EVERY_TYPE_ANSWERS: dict[str, Any] = {
    "rec": 6,
    "rec_plus": {"score": 10, "reasons": ["staff"], "comment": "Lovely people"},
    "sat": 4,
    "effort": 6,
    "visit": "weekend",
    "bought": ["shoes", "bags"],
}


def client_for(membership: Membership) -> Client:
    # English so that messages are compared with their source text whatever the translations.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(membership.user)
    return client


@pytest.fixture
def en_client(membership: Membership) -> Client:
    return client_for(membership)


def with_query(url: str, query: dict[str, Any] | None) -> str:
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def list_url(survey: Survey, query: dict[str, Any] | None = None) -> str:
    return with_query(reverse("responses:list", args=[survey.organization.slug, survey.pk]), query)


def all_url(organization: Organization, query: dict[str, Any] | None = None) -> str:
    return with_query(reverse("responses:all", args=[organization.slug]), query)


def detail_url(response: Response) -> str:
    return reverse("responses:detail", args=[response.organization.slug, response.pk])


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-testid="response-row">.*?</tr>', html, re.S)


def filter_form(html: str) -> str:
    match = re.search(r'<form method="get".*?</form>', html, re.S)
    assert match is not None, "no filter form"
    return match.group(0)


def section(html: str, key: str) -> str:
    match = re.search(rf'data-testid="answer-{key}".*?</section>', html, re.S)
    assert match is not None, f"no answer section for {key}"
    return match.group(0)


def test_list_shows_each_response_in_the_organization_time_zone(
    en_client: Client, organization: Organization
) -> None:
    organization.time_zone = "America/New_York"
    organization.save()
    survey = survey_for(organization)
    stored = answer(
        survey,
        3,
        answers={"sat": 2, "why": "The queue was far too long " * 5},
        attributes={"store": "上海南京西路店", "channel": "sms"},
        language="en",
        submitted_at=datetime(2025, 1, 10, 3, 30, tzinfo=UTC),
    )

    response = en_client.get(list_url(survey))

    assert response.status_code == 200
    [row] = rows(response.content.decode())
    assert "2025-01-09 22:30" in row  # 03:30 UTC is the evening before in New York
    assert detail_url(stored) in row
    assert '<strong class="cat-detractor"' in row
    assert ">3</strong>" in row
    assert ">2</td>" in row  # CSAT
    assert "The queue was far too long" in row
    assert stored.comment not in row  # an excerpt, not the whole comment
    assert "上海南京西路店" in row
    assert "sms" in row
    assert "English" in row


def test_list_filters_by_category_attribute_comment_language_and_date(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    answer(
        survey,
        10,
        attributes={"store": "A"},
        language="en",
        submitted_at=datetime(2025, 3, 1, 4, tzinfo=UTC),
    )
    answer(
        survey,
        8,
        attributes={"store": "B"},
        answers={"why": "ok"},
        submitted_at=datetime(2025, 3, 5, 4, tzinfo=UTC),
    )
    answer(
        survey,
        1,
        attributes={"store": "B"},
        answers={"why": "bad"},
        submitted_at=datetime(2025, 3, 9, 4, tzinfo=UTC),
    )

    def count(query: dict[str, Any]) -> int:
        return len(rows(en_client.get(list_url(survey, query)).content.decode()))

    assert count({}) == 3
    assert count({"category": ["promoter", "detractor"]}) == 2
    assert count({"attr.store": "B"}) == 2
    assert count({"attr.store": "B", "category": "passive"}) == 1
    assert count({"has_comment": "0"}) == 1
    assert count({"lang": "en"}) == 1
    assert count({"from": "2025-03-05"}) == 2
    assert count({"from": "2025-03-02", "to": "2025-03-08"}) == 1


def test_list_filter_form_reflects_the_query_and_offers_attribute_values(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    answer(survey, 9, attributes={"store": "A", "channel": "sms"})
    answer(survey, 5, attributes={"store": "B"})

    query = {"category": "promoter", "attr.store": "B", "from": "2025-01-01", "lang": "en"}
    html = filter_form(en_client.get(list_url(survey, query)).content.decode())

    assert 'value="promoter" checked' in html
    assert 'value="passive" checked' not in html
    assert '<select id="filter-attr-2" name="attr.store">' in html
    assert '<option value="A">' in html
    assert '<option value="B" selected>' in html
    assert 'name="attr.channel"' in html
    assert 'name="from" value="2025-01-01"' in html
    assert '<option value="en" selected>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "yesterday"}, "Use a date like 2026-01-31."),
        ({"from": "2025-03-09", "to": "2025-03-01"}, "The start date is after the end date."),
        ({"category": "fan"}, "Use promoter, passive or detractor."),
        ({"has_comment": "maybe"}, "Use 1 or 0."),
        ({"lang": "fr"}, "Use zh-Hans, zh-Hant or en."),
    ],
)
def test_invalid_filters_get_a_clear_message(
    en_client: Client, organization: Organization, query: dict[str, Any], message: str
) -> None:
    survey = survey_for(organization)
    answer(survey, 9)

    response = en_client.get(list_url(survey, query))

    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-testid="filter-errors"' in html
    assert message in html
    assert rows(html) == []


def test_pages_of_fifty_with_links_that_keep_the_filters(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    for index in range(60):
        response_submit(survey=survey, answers={"nps": index % 11}, language="en")
    answer(survey, 9)  # zh-Hans: filtered out below
    query = {"lang": "en"}

    first = en_client.get(list_url(survey, query)).content.decode()
    second = en_client.get(list_url(survey, {**query, "page": "2"})).content.decode()
    beyond = en_client.get(list_url(survey, {**query, "page": "99"})).content.decode()
    garbage = en_client.get(list_url(survey, {**query, "page": "x"}))

    assert len(rows(first)) == 50
    assert 'data-testid="response-count">60<' in first
    assert 'href="?lang=en&amp;page=2"' in first
    assert len(rows(second)) == 10
    assert 'href="?lang=en&amp;page=1"' in second
    assert len(rows(beyond)) == 10  # past the end: the last page rather than an error
    assert garbage.status_code == 200
    assert len(rows(garbage.content.decode())) == 50


def test_organization_list_spans_surveys_with_a_survey_column_and_filter(
    en_client: Client, organization: Organization
) -> None:
    store = survey_for(organization, name="Store visit")
    delivery = survey_for(organization, name="Home delivery")
    answer(store, 9)
    answer(delivery, 2)
    answer(delivery, 3)

    everything = en_client.get(all_url(organization)).content.decode()
    only_delivery = en_client.get(all_url(organization, {"survey": delivery.pk})).content.decode()
    unknown = en_client.get(all_url(organization, {"survey": "12345"}))

    assert len(rows(everything)) == 3
    assert sum("Store visit" in row for row in rows(everything)) == 1
    assert sum("Home delivery" in row for row in rows(everything)) == 2
    assert f'<option value="{delivery.pk}">Home delivery</option>' in filter_form(everything)
    assert len(rows(only_delivery)) == 2
    assert f'<option value="{delivery.pk}" selected>' in filter_form(only_delivery)
    assert unknown.status_code == 400
    assert "Choose a survey from the list." in unknown.content.decode()


def test_organization_list_does_not_offer_another_organizations_survey(
    en_client: Client, organization: Organization, other_membership: Membership
) -> None:
    theirs = survey_for(other_membership.organization, name="Their survey")
    answer(theirs, 10)
    answer(survey_for(organization), 5)

    html = en_client.get(all_url(organization)).content.decode()
    filtered = en_client.get(all_url(organization, {"survey": theirs.pk}))

    assert len(rows(html)) == 1
    assert "Their survey" not in html
    assert filtered.status_code == 400
    assert rows(filtered.content.decode()) == []


@pytest.fixture
def every_type_survey(organization: Organization) -> Survey:
    return survey_publish(survey=survey_create(organization=organization, definition=EVERY_TYPE))


def test_detail_renders_every_question_type_in_the_response_language(
    en_client: Client, every_type_survey: Survey
) -> None:
    stored, _ = response_submit(
        survey=every_type_survey,
        answers=EVERY_TYPE_ANSWERS,
        attributes={"store": "上海南京西路店", "items": "3"},
        language="en",
        submitted_at=datetime(2025, 6, 1, 2, 0, tzinfo=UTC),
    )

    response = en_client.get(detail_url(stored))

    assert response.status_code == 200
    html = response.content.decode()
    rec = section(html, "rec")
    assert "Would you recommend us?" in rec
    assert 'data-testid="score">6<' in rec
    assert 'data-testid="category">Detractor<' in rec
    rec_plus = section(html, "rec_plus")
    assert "Would you recommend the store?" in rec_plus
    assert 'data-testid="score">10<' in rec_plus
    assert 'data-testid="category">Promoter<' in rec_plus
    assert "<li>Friendly staff</li>" in rec_plus
    assert "Price" not in rec_plus  # a reason not chosen
    assert "Lovely people" in rec_plus
    sat = section(html, "sat")
    assert 'data-testid="score">4<' in sat
    assert "/ 5" in sat
    effort = section(html, "effort")
    assert 'data-testid="score">6<' in effort
    assert "/ 7" in effort
    assert "<li>Weekend</li>" in section(html, "visit")
    bought = section(html, "bought")
    assert "<li>Shoes</li>" in bought
    assert "<li>Bags</li>" in bought
    assert "Hats" not in bought
    assert "Not answered" in section(html, "note")
    assert '<th scope="row">store</th><td>上海南京西路店</td>' in html
    assert '<th scope="row">items</th><td>3</td>' in html
    assert 'data-testid="submitted-at">2025-06-01 10:00:00<' in html  # Asia/Shanghai
    assert 'data-testid="source">API<' in html
    assert 'data-testid="received-at">' in html


def test_detail_uses_the_response_language_then_the_survey_default(
    en_client: Client, every_type_survey: Survey
) -> None:
    chinese, _ = response_submit(
        survey=every_type_survey, answers=EVERY_TYPE_ANSWERS, language="zh-Hans"
    )
    english, _ = response_submit(
        survey=every_type_survey, answers=EVERY_TYPE_ANSWERS, language="en"
    )

    chinese_html = en_client.get(detail_url(chinese)).content.decode()
    assert "推荐可能性？" in section(chinese_html, "rec")
    assert "<li>店员热情</li>" in section(chinese_html, "rec_plus")
    assert "<li>周末</li>" in section(chinese_html, "visit")

    # The survey drops English: English answers fall back to the default language's texts.
    chinese_only = {
        **EVERY_TYPE,
        "languages": ["zh-Hans"],
        "questions": [
            {
                **question,
                "text": {"zh-Hans": question["text"]["zh-Hans"]},
                **{
                    name: [{**c, "text": {"zh-Hans": c["text"]["zh-Hans"]}} for c in question[name]]
                    for name in ("reasons", "choices")
                    if name in question
                },
            }
            for question in EVERY_TYPE["questions"]
        ],
    }
    survey_update(survey=every_type_survey, definition=chinese_only)

    english_html = en_client.get(detail_url(english)).content.decode()
    assert "推荐可能性？" in section(english_html, "rec")
    assert "Would you recommend us?" not in english_html
    assert "<li>周末</li>" in section(english_html, "visit")


def test_pages_link_to_each_other(en_client: Client, organization: Organization) -> None:
    survey = survey_for(organization)
    stored = answer(survey, 9)
    summary = reverse("analytics:summary", args=[organization.slug, survey.pk])

    list_html = en_client.get(list_url(survey, {"lang": "en"})).content.decode()
    detail_html = en_client.get(detail_url(stored)).content.decode()

    assert f'href="{summary}?lang=en"' in list_html
    assert f'href="{summary}"' in detail_html
    assert f'href="{list_url(survey)}"' in detail_html


@pytest.mark.parametrize("page", ["list", "all", "detail"])
def test_members_of_another_organization_get_404(
    organization: Organization, other_membership: Membership, page: str
) -> None:
    survey = survey_for(organization)
    stored = answer(survey, 9)
    outsider = client_for(other_membership)
    own = {"list": list_url(survey), "all": all_url(organization), "detail": detail_url(stored)}[
        page
    ]
    # The ids of our survey and response under the outsider's own organization.
    other_slug = other_membership.organization.slug
    theirs = {
        "list": reverse("responses:list", args=[other_slug, survey.pk]),
        "all": all_url(other_membership.organization, {"survey": survey.pk}),
        "detail": reverse("responses:detail", args=[other_slug, stored.pk]),
    }[page]

    assert outsider.get(own).status_code == 404
    response = outsider.get(theirs)
    if page == "all":
        assert response.status_code == 400  # their own list: our survey is not on offer
        assert rows(response.content.decode()) == []
    else:
        assert response.status_code == 404


def test_viewers_can_read_lists_and_details(organization: Organization) -> None:
    viewer = client_for(MembershipFactory(organization=organization, role=Role.VIEWER))
    survey = survey_for(organization)
    stored = answer(survey, 9)

    assert viewer.get(list_url(survey)).status_code == 200
    assert viewer.get(all_url(organization)).status_code == 200
    assert viewer.get(detail_url(stored)).status_code == 200


def _submit_many(survey: Survey, count: int) -> None:
    for index in range(count):
        response_submit(
            survey=survey,
            answers={"nps": index % 11, "sat": index % 5 + 1, "why": f"comment {index}"},
            attributes={"store": f"S{index % 4}", "channel": "sms"},
            language="en" if index % 2 else "zh-Hans",
        )


@pytest.mark.parametrize("page", ["list", "all"])
def test_list_query_count_does_not_grow_with_responses(
    en_client: Client, organization: Organization, page: str
) -> None:
    survey = survey_for(organization)
    survey_for(organization, name="Another survey")
    url = list_url(survey, {"attr.channel": "sms"}) if page == "list" else all_url(organization)
    _submit_many(survey, 5)
    with CaptureQueriesContext(connection) as few:
        assert len(rows(en_client.get(url).content.decode())) == 5

    _submit_many(survey, 55)
    with CaptureQueriesContext(connection) as many:
        assert len(rows(en_client.get(url).content.decode())) == 50

    assert len(many) == len(few)
    assert len(many) <= 10


def test_detail_query_count(
    en_client: Client, every_type_survey: Survey, django_assert_max_num_queries: Any
) -> None:
    stored, _ = response_submit(survey=every_type_survey, answers=EVERY_TYPE_ANSWERS)

    with django_assert_max_num_queries(6):
        assert en_client.get(detail_url(stored)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(organization: Organization) -> None:
    survey = survey_for(organization)
    stored = answer(survey, 9)

    for url in (list_url(survey), all_url(organization), detail_url(stored)):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
