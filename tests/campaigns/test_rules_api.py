from typing import Any

import pytest

from cxloop.campaigns.models import EventRule
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient

pytestmark = pytest.mark.django_db


def body(target: Survey, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "CSAT by SMS two hours after order_delivered",
        "event": "order_delivered",
        "survey": target.pk,
        "channel": "sms",
        "delay_minutes": 120,
        "conditions": {"store": ["上海南京西路店"]},
    }
    values.update(overrides)
    return values


def test_create_read_update_delete(api_client: ApiClient, survey: Survey) -> None:
    created = api_client.post("/api/v1/event-rules", body(survey))
    assert created.status_code == 201, created.content
    rule = created.json()
    assert {k: rule[k] for k in ("event", "survey", "channel", "delay_minutes", "active")} == {
        "event": "order_delivered",
        "survey": survey.pk,
        "channel": "sms",
        "delay_minutes": 120,
        "active": True,
    }
    assert rule["conditions"] == {"store": ["上海南京西路店"]}
    path = f"/api/v1/event-rules/{rule['id']}"
    assert api_client.get(path).json()["name"] == rule["name"]
    updated = api_client.put(path, body(survey, active=False, delay_minutes=0))
    assert updated.status_code == 200
    assert (updated.json()["active"], updated.json()["delay_minutes"]) == (False, 0)
    assert [r["id"] for r in api_client.get("/api/v1/event-rules").json()["items"]] == [rule["id"]]
    assert api_client.client.delete(path, headers=api_client.headers).status_code == 204
    assert not EventRule.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"channel": "link"}, ["channel"]),
        ({"event": ""}, ["event"]),
        ({"delay_minutes": -1}, ["delay_minutes"]),
        ({"conditions": {"store": []}}, ["conditions.store"]),
        ({"survey": 999999}, ["survey"]),
        ({"name": "", "dedupe_days": 99999}, ["name", "dedupe_days"]),
    ],
)
def test_bad_rules_are_422_with_fields(
    api_client: ApiClient, survey: Survey, overrides: dict[str, Any], fields: list[str]
) -> None:
    response = api_client.post("/api/v1/event-rules", body(survey, **overrides))
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == fields
    assert not EventRule.objects.exists()


def test_list_query_count_is_pinned(
    api_client: ApiClient,
    organization: Organization,
    survey: Survey,
    django_assert_num_queries: Any,
) -> None:
    for n in range(3):
        api_client.post("/api/v1/event-rules", body(survey, name=f"rule {n}"))
    # The API key, the count and the page (with the survey ids, no join needed).
    with django_assert_num_queries(3):
        response = api_client.get("/api/v1/event-rules")
    assert len(response.json()["items"]) == 3
