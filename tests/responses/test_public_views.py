import re
from typing import Any

import pytest
from django.test import Client

from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from cxloop.surveys.services import (
    survey_close,
    survey_create,
    survey_pause,
    survey_publish,
    survey_update,
)
from tests.factories import survey_for

pytestmark = pytest.mark.django_db

NPS_PLUS_DEFINITION: dict[str, Any] = {
    "name": "Checkout",
    "languages": ["zh-Hans", "en"],
    "questions": [
        {
            "key": "nps",
            "type": "nps_plus",
            "text": {"zh-Hans": "您有多大可能推荐我们？", "en": "How likely are you to recommend us?"},
            "reasons": [
                {"key": "price", "text": {"zh-Hans": "价格", "en": "Price"}},
                {"key": "wait_time", "text": {"zh-Hans": "等待时间", "en": "Waiting time"}},
            ],
            "reason_prompt": {
                "promoter": {"zh-Hans": "您最喜欢什么？", "en": "What did you like most?"},
                "passive": {"zh-Hans": "哪里可以更好？", "en": "What could be better?"},
                "detractor": {"zh-Hans": "哪里让您失望？", "en": "What let you down?"},
            },
        },
        {"key": "email_ok", "type": "single_choice", "required": False,
         "text": {"zh-Hans": "可以联系您吗？", "en": "May we contact you?"},
         "choices": [{"key": "yes", "text": {"zh-Hans": "可以", "en": "Yes"}},
                     {"key": "no", "text": {"zh-Hans": "不可以", "en": "No"}}]},
    ],
}  # fmt: skip


def state_of(page: Any) -> str:
    match = re.search(r'name="state" value="([^"]+)"', page.content.decode())
    assert match, "the form carries its signed state"
    return match.group(1)


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


def test_page_is_in_the_language_of_the_link(survey: Survey) -> None:
    page = Client().get(f"/s/{survey.slug}", {"lang": "zh-Hans"}, headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "您有多大可能向朋友推荐我们？" in html
    assert "How likely" not in html


def test_page_falls_back_to_accept_language(survey: Survey) -> None:
    page = Client().get(f"/s/{survey.slug}", headers={"Accept-Language": "fr;q=0.9, en;q=0.8"})
    assert "How likely are you to recommend us?" in page.content.decode()


def test_unoffered_language_uses_the_survey_default(survey: Survey) -> None:
    page = Client().get(f"/s/{survey.slug}", {"lang": "zh-TW"})
    assert "您有多大可能向朋友推荐我们？" in page.content.decode()


def test_answering_stores_the_link_parameters_as_attributes(survey: Survey) -> None:
    client = Client()
    page = client.get(
        f"/s/{survey.slug}", {"lang": "zh-Hans", "store": "上海南京西路店", "channel": "sms"}
    )
    done = client.post(
        f"/s/{survey.slug}", {"state": state_of(page), "q-nps": "10", "q-why": "店员很热情"}
    )
    assert done.status_code == 302
    assert done["Location"].startswith(f"/s/{survey.slug}/thanks")
    response = Response.objects.get(survey=survey)
    assert response.attributes == {"store": "上海南京西路店", "channel": "sms"}
    assert response.language == "zh-Hans"
    assert response.nps_score == 10
    assert response.comment == "店员很热情"
    assert response.source == "web"
    thanks = client.get(done["Location"])
    assert "谢谢" in thanks.content.decode() or "感谢" in thanks.content.decode()


def test_double_submit_stores_one_response(survey: Survey) -> None:
    client = Client()
    state = state_of(client.get(f"/s/{survey.slug}"))
    first = client.post(f"/s/{survey.slug}", {"state": state, "q-nps": "8"})
    second = client.post(f"/s/{survey.slug}", {"state": state, "q-nps": "8"})
    assert first.status_code == second.status_code == 302
    assert Response.objects.filter(survey=survey).count() == 1


def test_missing_required_answer_is_explained_in_the_respondents_language(survey: Survey) -> None:
    client = Client()
    state = state_of(client.get(f"/s/{survey.slug}", {"lang": "zh-Hans"}))
    page = client.post(f"/s/{survey.slug}", {"state": state, "q-why": "还行"})
    assert page.status_code == 422
    html = page.content.decode()
    assert "此问题为必答题" in html
    assert "还行" in html, "what the respondent typed is kept"
    assert not Response.objects.exists()


def test_out_of_range_score_is_refused(survey: Survey) -> None:
    client = Client()
    state = state_of(client.get(f"/s/{survey.slug}", {"lang": "en"}))
    page = client.post(f"/s/{survey.slug}", {"state": state, "q-nps": "11"})
    assert page.status_code == 422
    assert "Choose a score from 0 to 10." in page.content.decode()
    assert not Response.objects.exists()


def test_tampered_state_starts_again_and_stores_nothing(survey: Survey) -> None:
    client = Client()
    state = state_of(client.get(f"/s/{survey.slug}", {"lang": "en"}))
    page = client.post(
        f"/s/{survey.slug}",
        {"state": state[:-3] + "abc", "q-nps": "9"},
        headers={"Accept-Language": "en"},
    )
    assert page.status_code == 200
    assert "expired" in page.content.decode()
    assert not Response.objects.exists()


@pytest.mark.parametrize(
    ("transition", "message"),
    [(survey_pause, "paused"), (survey_close, "closed")],
)
def test_paused_or_closed_survey_says_so_politely(
    survey: Survey, transition: Any, message: str
) -> None:
    client = Client()
    state = state_of(client.get(f"/s/{survey.slug}", {"lang": "en"}))
    transition(survey=survey)
    page = client.get(f"/s/{survey.slug}", {"lang": "en"})
    assert page.status_code == 200
    assert message in page.content.decode()
    posted = client.post(f"/s/{survey.slug}", {"state": state, "q-nps": "9"})
    assert message in posted.content.decode()
    assert not Response.objects.exists()


def test_unknown_survey_is_404() -> None:
    assert Client().get("/s/nosuchsurvey").status_code == 404


@pytest.mark.parametrize(
    ("score", "prompt"),
    [
        ("3", "What let you down?"),
        ("7", "What could be better?"),
        ("10", "What did you like most?"),
    ],
)
def test_nps_plus_follow_up_is_worded_for_the_category(
    organization: Organization, score: str, prompt: str
) -> None:
    survey = survey_publish(
        survey=survey_create(organization=organization, definition=NPS_PLUS_DEFINITION)
    )
    client = Client()
    first = client.get(f"/s/{survey.slug}", {"lang": "en", "store": "A"})
    assert "Step 1 of 2" in first.content.decode()
    second = client.post(f"/s/{survey.slug}", {"state": state_of(first), "q-nps": score})
    html = second.content.decode()
    assert second.status_code == 200
    assert prompt in html
    done = client.post(
        f"/s/{survey.slug}",
        {
            "state": state_of(second),
            "q-nps-reasons": ["wait_time", "price"],
            "q-nps-comment": "Queue was long",
            "q-email_ok": "yes",
        },
    )
    assert done.status_code == 302
    response = Response.objects.get(survey=survey)
    assert response.answers == {
        "nps": {
            "score": int(score),
            "reasons": ["price", "wait_time"],
            "comment": "Queue was long",
        },
        "email_ok": "yes",
    }
    assert response.nps_score == int(score)
    assert response.comment == "Queue was long"
    assert response.attributes == {"store": "A"}


def test_nps_plus_unknown_reason_is_refused(organization: Organization) -> None:
    survey = survey_publish(
        survey=survey_create(organization=organization, definition=NPS_PLUS_DEFINITION)
    )
    client = Client()
    first = client.get(f"/s/{survey.slug}", {"lang": "en"})
    second = client.post(f"/s/{survey.slug}", {"state": state_of(first), "q-nps": "2"})
    page = client.post(
        f"/s/{survey.slug}", {"state": state_of(second), "q-nps-reasons": ["bribery"]}
    )
    assert page.status_code == 422
    assert "Not an option: bribery." in page.content.decode()
    assert not Response.objects.exists()


def test_a_form_from_another_survey_cannot_be_replayed(organization: Organization) -> None:
    plain = survey_for(organization)
    plus = survey_publish(
        survey=survey_create(organization=organization, definition=NPS_PLUS_DEFINITION)
    )
    client = Client()
    state = state_of(client.get(f"/s/{plain.slug}", {"lang": "en"}))
    page = client.post(
        f"/s/{plus.slug}", {"state": state, "q-nps": "3"}, headers={"Accept-Language": "en"}
    )
    assert page.status_code == 200
    assert "expired" in page.content.decode()
    assert not Response.objects.exists()


def test_questions_changed_mid_form_restart_it(organization: Organization) -> None:
    survey = survey_publish(
        survey=survey_create(organization=organization, definition=NPS_PLUS_DEFINITION)
    )
    client = Client()
    first = client.get(f"/s/{survey.slug}", {"lang": "en"})
    second = client.post(f"/s/{survey.slug}", {"state": state_of(first), "q-nps": "3"})
    changed = {
        **NPS_PLUS_DEFINITION,
        "questions": [{**NPS_PLUS_DEFINITION["questions"][0], "type": "nps"}],
    }
    changed["questions"][0].pop("reasons")
    changed["questions"][0].pop("reason_prompt")
    survey_update(survey=survey, definition=changed)
    page = client.post(
        f"/s/{survey.slug}",
        {"state": state_of(second), "q-nps-comment": "x"},
        headers={"Accept-Language": "en"},
    )
    assert "expired" in page.content.decode()
    assert not Response.objects.exists()


def test_submitting_costs_a_fixed_number_of_queries(
    survey: Survey, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    state = state_of(client.get(f"/s/{survey.slug}", {"lang": "en"}))
    # The first answer with a new combination of language and dimension values also
    # records it for the dashboard's rollups, once as answered and once as counted with every
    # language (one insert each) …
    with django_assert_max_num_queries(14):
        done = client.post(f"/s/{survey.slug}", {"state": state, "q-nps": "9", "q-why": "ok"})
    assert done.status_code == 302
    # … and every later one costs the same, however many responses there are.
    for _ in range(2):
        state = state_of(client.get(f"/s/{survey.slug}", {"lang": "en"}))
        with django_assert_max_num_queries(12):
            again = client.post(f"/s/{survey.slug}", {"state": state, "q-nps": "7", "q-why": "ok"})
        assert again.status_code == 302
