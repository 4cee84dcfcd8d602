import json
from typing import Any

import pytest
from django.test import Client

from cxloop.contacts.models import Contact
from cxloop.distribution.models import Invitation, InvitationStatus
from cxloop.responses.models import Response
from cxloop.widget import public_views
from cxloop.widget.models import WidgetConfig
from tests.widget.conftest import SHOP

pytestmark = pytest.mark.django_db
EVIL = "https://evil.example.net"


def url(widget: WidgetConfig, endpoint: str) -> str:
    return f"/w/{widget.public_key}/{endpoint}"


def post(
    widget: WidgetConfig, endpoint: str, payload: Any, origin: str = SHOP, **headers: str
) -> Any:
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return Client().post(
        url(widget, endpoint),
        body,
        content_type="application/json",
        headers={"Origin": origin, **headers},
    )


def answer_payload(**overrides: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "answers": {"nps": 9, "why": "Great"},
        "language": "en",
        "page_url": "https://shop.example.com/orders/42",
        "idempotency_key": "abc123",
    }
    payload.update(overrides)
    return payload


def test_the_script_is_javascript_with_its_key_and_cached(widget: WidgetConfig) -> None:
    response = Client().get(f"/w/{widget.public_key}.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "max-age=300" in response["Cache-Control"]
    body = response.content.decode()
    assert json.dumps(widget.public_key) in body
    assert "__CXLOOP_WIDGET_SETTINGS__" not in body
    again = Client().get(f"/w/{widget.public_key}.js", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304
    assert Client().get("/w/no-such-key.js").status_code == 404


def test_an_allowed_origin_reads_the_config_in_its_language(widget: WidgetConfig) -> None:
    response = Client().get(
        url(widget, "config"), {"languages": "zh-CN,en"}, headers={"Origin": SHOP}
    )
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == SHOP
    assert "Origin" in response["Vary"]
    config = response.json()
    assert config["language"] == "zh-Hans"
    assert config["triggers"]["event_name"] == "order-confirmed"
    nps = config["survey"]["questions"][0]
    assert nps == {
        "key": "nps",
        "type": "nps",
        "text": "您有多大可能向朋友推荐我们？",
        "required": True,
        "min": 0,
        "max": 10,
        "low_label": nps["low_label"],
        "high_label": nps["high_label"],
        "point_labels": {},
    }
    english = Client().get(url(widget, "config"), {"lang": "en"}, headers={"Origin": SHOP})
    assert english.json()["survey"]["questions"][0]["text"] == "How likely are you to recommend us?"
    assert english.json()["texts"]["submit"] == "Submit"


def test_the_config_reads_the_database_twice(
    widget: WidgetConfig, django_assert_num_queries: Any
) -> None:
    # The widget with its survey and organization, then the survey's questions.
    with django_assert_num_queries(2):
        response = Client().get(url(widget, "config"), headers={"Origin": SHOP})
    assert response.status_code == 200


def test_a_disallowed_origin_gets_no_cors_headers(widget: WidgetConfig) -> None:
    for origin in (EVIL, "https://shop.example.com.evil.net", "http://shop.example.com", ""):
        headers = {"Origin": origin} if origin else {}
        response = Client().get(url(widget, "config"), headers=headers)
        assert response.status_code == 403
        assert "Access-Control-Allow-Origin" not in response
        assert "Origin" in response["Vary"]


def test_preflight_is_answered_for_allowed_origins_only(widget: WidgetConfig) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = Client().options(url(widget, "responses"), headers={"Origin": SHOP, **preflight})
    assert allowed.status_code == 204
    assert allowed["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert "Content-Type" in allowed["Access-Control-Allow-Headers"]
    refused = Client().options(url(widget, "responses"), headers={"Origin": EVIL, **preflight})
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused
    assert "Access-Control-Allow-Methods" not in refused


def test_a_post_from_a_disallowed_origin_is_refused_and_stores_nothing(
    widget: WidgetConfig,
) -> None:
    response = post(widget, "responses", answer_payload(), origin=EVIL)
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response
    refused = post(widget, "eligibility", {"visitor": {"userId": "u-1"}}, origin=EVIL)
    assert refused.status_code == 403
    assert Response.objects.count() == 0
    assert Contact.objects.count() == 0


def test_an_identified_visitor_is_shown_then_the_answer_joins_the_contact(
    widget: WidgetConfig,
) -> None:
    visitor = {"userId": "u-1", "attributes": {"tier": "gold"}}
    decision = post(widget, "eligibility", {"visitor": visitor, "language": "en"})
    assert decision.status_code == 200
    assert decision["Access-Control-Allow-Origin"] == SHOP
    body = decision.json()
    assert body["show"] is True and body["ticket"]
    response = post(widget, "responses", answer_payload(visitor=visitor, ticket=body["ticket"]))
    assert response.status_code == 201
    stored = Response.objects.get(pk=response.json()["id"])
    assert stored.attributes == {
        "tier": "gold",
        "origin": SHOP,
        "page_url": "https://shop.example.com/orders/42",
    }
    assert stored.contact is not None and stored.contact.external_id == "u-1"
    invitation = Invitation.objects.get(contact=stored.contact)
    assert invitation.status == InvitationStatus.COMPLETED
    # The same idempotency key again: 200, same id, nothing new.
    again = post(widget, "responses", answer_payload(visitor=visitor, ticket=body["ticket"]))
    assert again.status_code == 200 and again.json()["id"] == stored.pk
    assert Response.objects.count() == 1
    # Asked again the same day: no.
    assert post(widget, "eligibility", {"visitor": visitor}).json() == {
        "show": False,
        "reason": "already_asked",
        "ticket": None,
    }


def test_an_anonymous_visitor_is_shown_without_a_ticket(widget: WidgetConfig) -> None:
    assert post(widget, "eligibility", {}).json() == {"show": True, "reason": "", "ticket": None}


def test_invalid_answers_are_422_with_fields_in_the_visitors_language(
    widget: WidgetConfig,
) -> None:
    response = post(widget, "responses", answer_payload(answers={"nps": 11}, language="zh-Hans"))
    assert response.status_code == 422
    assert response["Access-Control-Allow-Origin"] == SHOP
    detail = response.json()["detail"]
    assert [item["field"] for item in detail] == ["answers.nps"]
    assert "0" in detail[0]["msg"] and "10" in detail[0]["msg"]
    assert "Choose" not in detail[0]["msg"]  # Chinese, not English
    english = post(widget, "responses", answer_payload(answers={}, language="en"))
    assert english.json()["detail"][0]["msg"] == "This question is required."
    assert Response.objects.count() == 0


@pytest.mark.parametrize(
    "payload",
    [
        "not json",
        "[1, 2]",
        b"\xff\xfe",
        {"answers": "nps=9", "idempotency_key": "k"},
        {"answers": {"nps": 9}},
        {"answers": {"nps": 9}, "idempotency_key": ["k"]},
        {"answers": {"nps": 9}, "idempotency_key": "k" * 65},
        {"answers": {"nps": 9}, "idempotency_key": "k", "page_url": 5},
        {"answers": {"nps": 9}, "idempotency_key": "k", "visitor": "u-1"},
        {"answers": {"nps": 9}, "idempotency_key": "k", "visitor": {"userId": ["u"]}},
        {"answers": {"nps": 9}, "idempotency_key": "k", "ticket": "1:forged"},
        {"answers": {"nps": {"a": 1}}, "idempotency_key": "k", "language": ["en"]},
        "[" * 10000 + "]" * 10000,
    ],
)
def test_junk_is_refused_with_a_4xx_never_a_500(widget: WidgetConfig, payload: Any) -> None:
    response = post(widget, "responses", payload)
    assert response.status_code in (400, 422)
    assert response.json()["detail"]
    assert Response.objects.count() == 0


def test_junk_identification_is_refused(widget: WidgetConfig) -> None:
    for visitor in (
        {"userId": "u" * 101},
        {"userId": "u-1", "attributes": {"bad name": "x"}},
        {"userId": "u-1", "attributes": {f"a{i}": "x" for i in range(21)}},
        {"userId": "u-1", "attributes": ["tier"]},
    ):
        assert post(widget, "eligibility", {"visitor": visitor}).status_code == 422
    assert Contact.objects.count() == 0


def test_a_large_body_is_refused(widget: WidgetConfig) -> None:
    big = answer_payload(answers={"nps": 9, "why": "x" * (public_views.MAX_BODY_BYTES + 1)})
    assert post(widget, "responses", big).status_code == 413


def test_posts_are_rate_limited_per_address(
    widget: WidgetConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(public_views, "POSTS_PER_MINUTE", 2)
    statuses = [post(widget, "eligibility", {}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_a_switched_off_widget_says_so_and_takes_no_answers(widget: WidgetConfig) -> None:
    WidgetConfig.objects.filter(pk=widget.pk).update(enabled=False)
    config = Client().get(url(widget, "config"), headers={"Origin": SHOP})
    assert config.status_code == 200 and config.json() == {"enabled": False}
    assert post(widget, "responses", answer_payload()).status_code == 409
    assert Response.objects.count() == 0


def test_a_wrong_method_is_405(widget: WidgetConfig) -> None:
    response = Client().get(url(widget, "responses"), headers={"Origin": SHOP})
    assert response.status_code == 405
    assert Client().post(f"/w/{widget.public_key}.js").status_code == 405
