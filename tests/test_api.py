"""The JSON API as an integrator uses it: /api/v1 with an organization's API key."""

from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.factories import answer, nps_definition, survey_for

pytestmark = pytest.mark.django_db

ISSUE_EXAMPLE: dict[str, Any] = {
    "name": "Store visit",
    "languages": ["en"],
    "questions": [
        {"key": "nps", "type": "nps", "text": {"en": "How likely are you to recommend us?"}},
        {"key": "why", "type": "text", "required": False, "text": {"en": "Why?"}},
    ],
}


def fields(body: dict[str, Any]) -> set[str]:
    return {item["field"] for item in body["detail"]}


def test_issue_example_end_to_end(api_client: ApiClient) -> None:
    created = api_client.post("/api/v1/surveys", ISSUE_EXAMPLE)
    assert created.status_code == 201
    survey = created.json()
    assert survey["id"] and len(survey["slug"]) == 10 and survey["status"] == "draft"
    assert survey["public_url"].endswith(f"/s/{survey['slug']}")
    assert api_client.get(f"/api/v1/surveys/{survey['id']}").json()["name"] == "Store visit"
    listed = api_client.get("/api/v1/surveys").json()
    assert [item["id"] for item in listed["items"]] == [survey["id"]]
    assert api_client.post(f"/api/v1/surveys/{survey['id']}/publish").json()["status"] == "active"

    payload = {
        "answers": {"nps": 9, "why": "Friendly staff"},
        "attributes": {"store": "A"},
        "submitted_at": "2026-01-05T10:00:00+08:00",
        "idempotency_key": "order-42",
    }
    first = api_client.post(f"/api/v1/surveys/{survey['id']}/responses", payload)
    assert first.status_code == 201
    again = api_client.post(f"/api/v1/surveys/{survey['id']}/responses", payload)
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Response.objects.count() == 1
    assert datetime.fromisoformat(first.json()["submitted_at"]) == datetime.fromisoformat(
        "2026-01-05T10:00:00+08:00"
    )

    for score in (10, 7, 3):
        api_client.post(f"/api/v1/surveys/{survey['id']}/responses", {"answers": {"nps": score}})
    summary = api_client.get(f"/api/v1/surveys/{survey['id']}/summary").json()
    nps = summary["nps"]
    assert (nps["n"], nps["promoters"], nps["passives"], nps["detractors"]) == (4, 2, 1, 1)
    assert nps["value"] == pytest.approx(25.0)
    assert nps["ci_low"] < nps["value"] < nps["ci_high"]
    assert nps["low_sample"] is True
    assert summary["total"] == 4
    assert [point["count"] for point in summary["nps_distribution"]] == [
        0,
        0,
        0,
        1,
        0,
        0,
        0,
        1,
        0,
        1,
        1,
    ]
    assert summary["latest_comments"][0]["comment"] == "Friendly staff"


def test_responses_are_paged_and_filtered(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization)
    for score in range(11):
        answer(survey, score, attributes={"store": "A" if score % 2 else "B"})
    url = f"/api/v1/surveys/{survey.pk}/responses"
    page = api_client.get(url, {"limit": 4, "offset": 0}).json()
    assert page["count"] == 11 and len(page["items"]) == 4
    promoters = api_client.get(url, {"category": "promoter"}).json()
    assert sorted(item["nps_score"] for item in promoters["items"]) == [9, 10]
    store_a = api_client.get(url, {"attr.store": "A", "category": "detractor"}).json()
    assert sorted(item["nps_score"] for item in store_a["items"]) == [1, 3, 5]
    summary = api_client.get(f"/api/v1/surveys/{survey.pk}/summary", {"attr.store": "B"}).json()
    assert summary["nps"]["n"] == 6


@pytest.mark.parametrize(
    ("payload", "expected_fields"),
    [
        ({"name": "x", "languages": ["en"], "questions": [{"key": "q", "type": "stars", "text": "?"}]}, {"questions.0.type"}),
        ({"name": "", "languages": ["en"], "questions": []}, {"name"}),
        ({"languages": ["en"]}, {"name"}),
        ({"name": "x", "languages": ["de"]}, {"languages.0"}),
        ({"name": "x", "languages": ["en"], "questions": [{"key": "q", "type": "csat", "scale": 3, "text": "?"}]}, {"questions.0.scale"}),
        ({"name": "x", "languages": ["en"], "questions": [{"key": "q", "type": "nps", "text": "?", "colour": 1}]}, {"questions.0.colour"}),
    ],
)  # fmt: skip
def test_bad_survey_definitions_get_422_naming_the_field(
    api_client: ApiClient, payload: dict[str, Any], expected_fields: set[str]
) -> None:
    response = api_client.post("/api/v1/surveys", payload)
    assert response.status_code == 422
    assert expected_fields <= fields(response.json())
    assert not Survey.objects.exists()


def test_bad_responses_get_422_naming_the_field(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization)
    url = f"/api/v1/surveys/{survey.pk}/responses"
    cases: list[tuple[Any, set[str]]] = [
        ({"answers": {"nps": 11}}, {"answers.nps"}),
        ({"answers": {"sat": 3}}, {"answers.nps"}),
        ({"answers": {"nps": 9, "nope": 1}}, {"answers.nope"}),
        ({"answers": {"nps": 9}, "submitted_at": "yesterday"}, {"submitted_at"}),
        ({"answers": {"nps": 9}, "attributes": {"a b": 1}}, {"attributes.a b"}),
        ({}, {"answers"}),
        ([1, 2], {"answers"}),
    ]
    for payload, expected in cases:
        response = api_client.post(url, payload)
        assert response.status_code == 422, payload
        assert expected <= fields(response.json()), (payload, response.json())
    assert not Response.objects.exists()


def test_malformed_json_is_a_client_error(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization)
    response = api_client.client.post(
        f"/api/v1/surveys/{survey.pk}/responses",
        "{not json",
        content_type="application/json",
        headers=api_client.headers,
    )
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"field": "", "msg": "The request body is not valid JSON."}
    ]


def test_bad_filters_get_a_clear_error(organization: Organization, api_client: ApiClient) -> None:
    survey = survey_for(organization)
    for params, field in [
        ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
        ({"from": "soon"}, "from"),
        ({"category": "fan"}, "category"),
    ]:
        for path in ("responses", "summary"):
            response = api_client.get(f"/api/v1/surveys/{survey.pk}/{path}", params)
            assert response.status_code == 400
            assert field in fields(response.json())


def test_breaking_edit_is_refused_over_the_api(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization)
    answer(survey, 5)
    definition = nps_definition()
    definition["questions"] = definition["questions"][1:]
    response = api_client.put(f"/api/v1/surveys/{survey.pk}", definition)
    assert response.status_code == 422
    assert "nps" in response.json()["detail"][0]["msg"]
    assert survey.questions.filter(key="nps").exists()


def test_submitting_to_a_draft_survey_is_a_conflict(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization, publish=False)
    response = api_client.post(f"/api/v1/surveys/{survey.pk}/responses", {"answers": {"nps": 9}})
    assert response.status_code == 409
    assert not Response.objects.exists()


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer cxl_abcd1234_wrong", "Basic x"])
def test_requests_without_a_valid_key_are_401(
    header: str | None, organization: Organization
) -> None:
    headers = {"Authorization": header} if header else {}
    response = Client().get("/api/v1/surveys", headers=headers)
    assert response.status_code == 401


def test_openapi_is_published() -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {
        "/api/v1/surveys",
        "/api/v1/surveys/{survey_id}/responses",
        "/api/v1/surveys/{survey_id}/summary",
    } <= set(paths)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"to": "9999-12-31"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"attr.x__isnull": "1"}, "attr.x__isnull"),
        ({"attr.0": "x"}, "attr.0"),
        ({"limit": "100000000000000000000"}, "limit"),
        ({"limit": "501"}, "limit"),
    ],
)
def test_hostile_query_strings_get_400_not_500(
    organization: Organization, api_client: ApiClient, params: dict[str, str], field: str
) -> None:
    survey = survey_for(organization)
    response = api_client.get(f"/api/v1/surveys/{survey.pk}/responses", params)
    assert response.status_code == 400
    assert field in fields(response.json())


def test_dotted_attribute_names_can_be_stored_and_filtered(
    organization: Organization, api_client: ApiClient
) -> None:
    survey = survey_for(organization)
    url = f"/api/v1/surveys/{survey.pk}/responses"
    api_client.post(url, {"answers": {"nps": 9}, "attributes": {"utm.source": "wechat"}})
    api_client.post(url, {"answers": {"nps": 3}, "attributes": {"utm.source": "sms"}})
    found = api_client.get(url, {"attr.utm.source": "wechat"}).json()
    assert [item["nps_score"] for item in found["items"]] == [9]


@pytest.mark.parametrize(
    "payload",
    [
        {"answers": {"nps": 5}, "submitted_at": "0001-01-01T00:00:00+08:00"},
        {"answers": {"nps": 5}, "submitted_at": "0001-01-01T00:00:00Z"},
        {"answers": {"nps": "²"}},
        {"answers": {"nps": "--5"}},
        {"answers": {"nps": "9" * 5000}},
        {"answers": {"nps": 9}, "attributes": {"x__y": "1"}},
    ],
)
def test_hostile_responses_get_422_not_500(
    organization: Organization, api_client: ApiClient, payload: dict[str, Any]
) -> None:
    survey = survey_for(organization)
    response = api_client.post(f"/api/v1/surveys/{survey.pk}/responses", payload)
    assert response.status_code == 422, response.content
    assert all("int()" not in item["msg"] for item in response.json()["detail"])
    assert not Response.objects.exists()
