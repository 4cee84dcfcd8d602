import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cxloop.analytics.templatetags.results import ci, format_metric
from cxloop.organizations.models import Membership, Organization, Role
from cxloop.responses.services import response_submit
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_create, survey_publish
from tests.conftest import ApiClient
from tests.factories import MembershipFactory, answer, survey_for


def client_for(membership: Membership) -> Client:
    # English so that messages are compared with their source text whatever the translations.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(membership.user)
    return client


@pytest.fixture
def en_client(membership: Membership) -> Client:
    return client_for(membership)


def summary_url(
    survey: Survey, query: dict[str, Any] | None = None, *, fragment: bool = False
) -> str:
    name = "analytics:summary_figures" if fragment else "analytics:summary"
    url = reverse(name, args=[survey.organization.slug, survey.pk])
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


def text_of(html: str, name: str) -> str:
    """The text directly inside the element marked data-testid=name."""
    match = re.search(rf'data-testid="{re.escape(name)}"[^>]*>\s*([^<]*?)\s*<', html)
    assert match is not None, f"no element with data-testid={name}"
    return match.group(1)


def has_testid(html: str, name: str) -> bool:
    return f'data-testid="{name}"' in html


def filter_form(html: str) -> str:
    match = re.search(r'<form method="get".*?</form>', html, re.S)
    assert match is not None, "no filter form"
    return match.group(0)


def expected_nps(scores: list[int]) -> str:
    promoters = sum(1 for score in scores if score >= 9)
    detractors = sum(1 for score in scores if score <= 6)
    return f"{100 * (promoters - detractors) / len(scores):.1f}"


def one_decimal(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def test_summary_shows_nps_value_n_and_split_computed_from_raw_scores(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    scores = [10, 10, 9, 9, 9, 8, 7, 6, 2, 0, 10]
    for score in scores:
        answer(survey, score)

    response = en_client.get(summary_url(survey))

    assert response.status_code == 200
    html = response.content.decode()
    assert text_of(html, "nps-value") == expected_nps(scores)
    assert text_of(html, "nps-n") == str(len(scores))
    assert text_of(html, "response-total") == str(len(scores))
    assert text_of(html, "promoters") == str(sum(1 for s in scores if s >= 9))
    assert text_of(html, "passives") == str(sum(1 for s in scores if 7 <= s <= 8))
    assert text_of(html, "detractors") == str(sum(1 for s in scores if s <= 6))
    assert has_testid(html, "low-sample")


def test_figures_equal_the_api_summary_with_the_same_filters(
    en_client: Client, organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization)
    rows = [(10, 5, "A"), (9, 4, "A"), (3, 2, "A"), (7, 5, "B"), (0, 1, "B"), (8, 4, "A")]
    for nps, sat, store in rows:
        answer(survey, nps, answers={"sat": sat}, attributes={"store": store})
    query = {"attr.store": "A"}

    api = api_client.get(f"/api/v1/surveys/{survey.pk}/summary", query).json()
    html = en_client.get(summary_url(survey, query)).content.decode()

    assert api["nps"]["n"] == 4  # the filter applies to both
    assert text_of(html, "nps-value") == one_decimal(api["nps"]["value"])
    assert text_of(html, "nps-n") == str(api["nps"]["n"])
    nps_ci = f"[{one_decimal(api['nps']['ci_low'])}, {one_decimal(api['nps']['ci_high'])}]"
    assert text_of(html, "nps-ci") == nps_ci
    top2box = api["csat"]["top2box"]
    assert text_of(html, "csat-value") == one_decimal(top2box["value"])
    assert text_of(html, "csat-n") == str(top2box["n"])
    assert (
        text_of(html, "csat-ci")
        == f"[{one_decimal(top2box['ci_low'])}, {one_decimal(top2box['ci_high'])}]"
    )
    assert text_of(html, "csat-mean") == one_decimal(api["csat"]["mean"]["value"])
    assert text_of(html, "response-total") == str(api["total"])


def test_filters_change_every_figure(en_client: Client, organization: Organization) -> None:
    survey = survey_for(organization)
    answer(survey, 10, attributes={"store": "A"}, submitted_at=datetime(2025, 3, 1, 4, tzinfo=UTC))
    answer(survey, 2, attributes={"store": "B"}, submitted_at=datetime(2025, 3, 5, 4, tzinfo=UTC))
    answer(survey, 9, attributes={"store": "B"}, submitted_at=datetime(2025, 3, 9, 4, tzinfo=UTC))

    unfiltered = en_client.get(summary_url(survey)).content.decode()
    by_store = en_client.get(summary_url(survey, {"attr.store": "B"})).content.decode()
    by_date = en_client.get(
        summary_url(survey, {"from": "2025-03-05", "to": "2025-03-05"})
    ).content.decode()
    by_category = en_client.get(summary_url(survey, {"category": ["promoter"]})).content.decode()

    assert text_of(unfiltered, "nps-n") == "3"
    assert text_of(by_store, "nps-n") == "2"
    assert text_of(by_store, "nps-value") == expected_nps([2, 9])
    assert text_of(by_date, "nps-n") == "1"
    assert text_of(by_date, "nps-value") == expected_nps([2])
    assert text_of(by_category, "nps-value") == expected_nps([10, 9])
    assert text_of(by_category, "response-total") == "2"


def test_filter_bar_offers_attribute_values_and_keeps_the_choice(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    answer(survey, 9, attributes={"store": "上海南京西路店", "channel": "sms"})
    answer(survey, 5, attributes={"store": "北京国贸店"})

    html = filter_form(
        en_client.get(summary_url(survey, {"attr.store": "北京国贸店"})).content.decode()
    )

    assert 'name="attr.store"' in html
    assert 'name="attr.channel"' in html
    assert '<option value="上海南京西路店">' in html
    assert '<option value="北京国贸店" selected>' in html


@pytest.mark.parametrize("fragment", [False, True])
def test_invalid_filters_get_a_message_not_a_500(
    en_client: Client, organization: Organization, fragment: bool
) -> None:
    survey = survey_for(organization)
    answer(survey, 9)

    response = en_client.get(summary_url(survey, {"from": "2025-02-31"}, fragment=fragment))

    assert response.status_code == 400
    html = response.content.decode()
    assert not has_testid(html, "nps-value")
    if not fragment:
        assert has_testid(html, "filter-errors")
        assert "Use a date like 2026-01-31." in html
        assert 'value="2025-02-31"' in html  # the typed value stays next to its message


def test_low_sample_flag_goes_away_from_30_answers(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    for index in range(29):
        answer(survey, index % 11)
    assert has_testid(en_client.get(summary_url(survey)).content.decode(), "low-sample")

    answer(survey, 10)

    html = en_client.get(summary_url(survey)).content.decode()
    assert text_of(html, "nps-n") == "30"
    assert not has_testid(html, "low-sample")


def test_survey_without_answers_shows_dashes_and_no_data(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)

    html = en_client.get(summary_url(survey)).content.decode()

    assert text_of(html, "nps-value") == "—"
    assert text_of(html, "nps-n") == "0"
    assert has_testid(html, "no-data")


def test_metrics_the_survey_does_not_have_are_omitted(
    en_client: Client, organization: Organization
) -> None:
    nps_only = survey_for(
        organization,
        questions=[
            {"key": "nps", "type": "nps", "text": {"zh-Hans": "推荐？", "en": "Recommend?"}}
        ],
    )
    effort = survey_for(
        organization,
        questions=[
            {"key": "nps", "type": "nps", "text": {"zh-Hans": "推荐？", "en": "Recommend?"}},
            {"key": "effort", "type": "ces", "text": {"zh-Hans": "容易？", "en": "Easy?"}},
        ],
    )
    answer(nps_only, 9)
    for nps, ces in [(9, 7), (8, 5), (3, 2)]:
        answer(effort, nps, answers={"effort": ces})

    nps_html = en_client.get(summary_url(nps_only)).content.decode()
    ces_html = en_client.get(summary_url(effort)).content.decode()

    assert has_testid(nps_html, "nps-card")
    assert not has_testid(nps_html, "csat-card")
    assert not has_testid(nps_html, "ces-card")
    assert not has_testid(ces_html, "csat-card")
    assert text_of(ces_html, "ces-value") == f"{(7 + 5 + 2) / 3:.1f}"
    assert text_of(ces_html, "ces-n") == "3"
    # 5 and above agree on the 7-point scale: 7 and 5 out of 7, 5, 2.
    assert text_of(ces_html, "ces-agree") == f"{100 * 2 / 3:.1f}"


def test_distribution_is_a_chart_and_a_table_with_the_same_counts(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    scores = [10, 10, 9, 7, 6, 6, 6, 0]
    for score in scores:
        answer(survey, score)

    html = en_client.get(summary_url(survey)).content.decode()

    for score in range(11):
        assert text_of(html, f"count-{score}") == str(scores.count(score))
    data = re.search(
        r'<script id="nps-distribution-options" type="application/json">(.*?)</script>', html, re.S
    )
    assert data is not None
    options = json.loads(data.group(1))
    bars = options["series"][0]["data"]
    assert [bar["value"] for bar in bars] == [scores.count(score) for score in range(11)]
    colours = {bar["itemStyle"]["color"] for bar in bars}
    assert len(colours) == 3  # detractor, passive and promoter bars differ
    assert bars[0]["itemStyle"] == bars[6]["itemStyle"]
    assert bars[7]["itemStyle"] != bars[9]["itemStyle"]
    assert 'data-chart-source="nps-distribution-options"' in html
    assert "vendor/echarts/echarts.min.js" in html


def test_latest_comments_show_score_time_in_org_zone_language_and_link(
    en_client: Client, organization: Organization
) -> None:
    organization.time_zone = "America/New_York"
    organization.save()
    survey = survey_for(organization)
    answer(
        survey,
        9,
        answers={"why": "Quick checkout"},
        submitted_at=datetime(2025, 1, 10, 3, 30, tzinfo=UTC),
        language="en",
    )
    answer(survey, 4)  # no comment: not listed
    commented = answer(survey, 2, answers={"why": "排队太久"}, language="zh-Hans")

    html = en_client.get(summary_url(survey)).content.decode()

    comments = re.findall(r'data-testid="comment".*?</article>', html, re.S)
    assert len(comments) == 2
    assert "排队太久" in comments[0]  # newest first
    assert "Quick checkout" in comments[1]
    assert "2025-01-09 22:30" in comments[1]  # 03:30 UTC is the evening before in New York
    assert "English" in comments[1]
    assert reverse("responses:detail", args=[organization.slug, commented.pk]) in comments[0]


def test_page_polls_the_fragment_with_the_current_filters(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    query = {"category": ["promoter", "detractor"], "attr.store": "A"}

    html = en_client.get(summary_url(survey, query)).content.decode()

    fragment_url = summary_url(survey, query, fragment=True).replace("&", "&amp;")
    assert f'hx-get="{fragment_url}"' in html
    assert 'hx-trigger="every 5s"' in html


def test_live_fragment_returns_updated_figures_after_a_new_response(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_for(organization)
    answer(survey, 10)
    before = en_client.get(summary_url(survey, fragment=True))
    assert before.status_code == 200
    assert text_of(before.content.decode(), "nps-n") == "1"
    assert "<html" not in before.content.decode()  # only the figures, for swapping in

    answer(survey, 0, answers={"why": "Rude staff"})
    after = en_client.get(summary_url(survey, fragment=True)).content.decode()

    assert text_of(after, "nps-n") == "2"
    assert text_of(after, "nps-value") == expected_nps([10, 0])
    assert text_of(after, "response-total") == "2"
    assert "Rude staff" in after
    assert "nps-distribution-options" in after  # the chart data comes along for re-rendering


@pytest.mark.parametrize("fragment", [False, True])
def test_members_of_another_organization_get_404(
    organization: Organization, other_membership: Membership, fragment: bool
) -> None:
    survey = survey_for(organization)
    answer(survey, 9)
    outsider = client_for(other_membership)
    name = "analytics:summary_figures" if fragment else "analytics:summary"

    # Not a member of our organization.
    assert outsider.get(summary_url(survey, fragment=fragment)).status_code == 404
    # Their own organization's URL with our survey's id.
    their_url = reverse(name, args=[other_membership.organization.slug, survey.pk])
    assert outsider.get(their_url).status_code == 404


def test_viewers_can_read_the_summary(organization: Organization) -> None:
    viewer = MembershipFactory(organization=organization, role=Role.VIEWER)
    survey = survey_for(organization)
    answer(survey, 9)

    page = client_for(viewer).get(summary_url(survey))
    fragment = client_for(viewer).get(summary_url(survey, fragment=True))

    assert page.status_code == 200
    assert fragment.status_code == 200
    assert text_of(page.content.decode(), "nps-n") == "1"


def _submit_many(survey: Survey, count: int) -> None:
    for index in range(count):
        response_submit(
            survey=survey,
            answers={"nps": index % 11, "sat": index % 5 + 1, "why": f"comment {index}"},
            attributes={"store": f"S{index % 4}"},
        )


@pytest.mark.parametrize("fragment", [False, True])
def test_query_count_does_not_grow_with_responses(
    en_client: Client, organization: Organization, fragment: bool
) -> None:
    survey = survey_for(organization)
    url = summary_url(survey, {"from": "2020-01-01"}, fragment=fragment)
    _submit_many(survey, 5)
    with CaptureQueriesContext(connection) as few:
        assert en_client.get(url).status_code == 200

    _submit_many(survey, 55)
    with CaptureQueriesContext(connection) as many:
        html = en_client.get(url).content.decode()

    assert text_of(html, "nps-n") == "60"
    assert len(many) == len(few)
    assert len(many) <= 10


def test_summary_of_all_question_types_renders(
    en_client: Client, organization: Organization
) -> None:
    survey = survey_create(
        organization=organization,
        definition={
            "name": "Plus",
            "languages": ["en"],
            "questions": [
                {
                    "key": "rec",
                    "type": "nps_plus",
                    "text": "Recommend?",
                    "reasons": [{"key": "price", "text": "Price"}],
                },
                {"key": "sat", "type": "csat", "scale": 7, "text": "Satisfied?"},
                {"key": "effort", "type": "ces", "scale": 5, "text": "Easy?"},
            ],
        },
    )
    survey = survey_publish(survey=survey)
    response_submit(
        survey=survey, answers={"rec": {"score": 9, "comment": "Fine"}, "sat": 7, "effort": 4}
    )

    html = en_client.get(summary_url(survey)).content.decode()

    assert text_of(html, "nps-value") == "100.0"
    assert text_of(html, "csat-value") == "100.0"
    assert "CSAT top-2-box (1–7)" in html
    assert "CES mean (1–5)" in html
    assert "Fine" in html


class _Interval:
    def __init__(self, low: float | None, high: float | None) -> None:
        self.ci_low = low
        self.ci_high = high


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "—"), (33.333, "33.3"), (-12.25, "-12.2"), (-0.04, "0.0"), (100, "100.0")],
)
def test_metric_format_has_one_decimal_and_a_dash_for_no_data(
    value: float | None, shown: str
) -> None:
    assert format_metric(value) == shown


def test_interval_format() -> None:
    assert ci(_Interval(-3.14159, 48.96)) == "[-3.1, 49.0]"
    assert ci(_Interval(None, None)) == "—"
    assert ci(None) == "—"
