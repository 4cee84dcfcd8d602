import pytest
from django.test import Client

from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


def test_nul_in_a_query_string_is_refused(survey: Survey) -> None:
    page = Client().get(f"/s/{survey.slug}?store=a%00b")
    assert page.status_code == 400


def test_nul_in_a_form_is_refused(survey: Survey) -> None:
    page = Client().post(f"/s/{survey.slug}", {"state": "x", "q-why": "a\x00b"})
    assert page.status_code == 400
    assert not Response.objects.exists()


def test_nul_in_json_is_refused_with_a_json_error(survey: Survey, api_client: ApiClient) -> None:
    response = api_client.post(
        f"/api/v1/surveys/{survey.pk}/responses", {"answers": {"nps": 9, "why": "a\x00b"}}
    )
    assert response.status_code == 400
    assert response.json()["detail"][0]["msg"]
    assert not Response.objects.exists()


def test_api_speaks_english_unless_asked_otherwise(survey: Survey, api_client: ApiClient) -> None:
    url = f"/api/v1/surveys/{survey.pk}/responses"
    english = api_client.post(url, {"answers": {"nps": 11}})
    assert english.json()["detail"][0]["msg"] == "Choose a score from 0 to 10."
    chinese = api_client.client.post(
        url,
        {"answers": {"nps": 11}},
        content_type="application/json",
        headers={**api_client.headers, "Accept-Language": "zh-CN"},
    )
    assert chinese.json()["detail"][0]["msg"] == "请选择 0 到 10 之间的分数。"
