from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cxloop.campaigns.models import Event, EventRule
from cxloop.campaigns.services import EventRuleInput, event_receive, event_rule_create
from cxloop.contacts.models import Contact
from cxloop.contacts.services import contact_opt_out
from cxloop.distribution.models import Invitation, InvitationStatus
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_pause
from tests.campaigns.conftest import NOON_SHANGHAI
from tests.conftest import ApiClient
from tests.factories import survey_for

pytestmark = pytest.mark.django_db

DELIVERY = {
    "external_id": "c-1",
    "phone": "+8613800000000",
    "name": "李雷",
    "attributes": {"tier": "gold"},
}


def rule(organization: Organization, survey: Survey, **overrides: Any) -> EventRule:
    values: dict[str, Any] = {
        "name": "CSAT by SMS two hours after order_delivered",
        "event": "order_delivered",
        "survey_id": survey.pk,
        "channel": "sms",
        "delay_minutes": 120,
    }
    values.update(overrides)
    return event_rule_create(organization=organization, data=EventRuleInput(**values))


def receive(organization: Organization, **overrides: Any) -> Any:
    values: dict[str, Any] = {
        "event": "order_delivered",
        "contact": DELIVERY,
        "attributes": {"store": "上海南京西路店", "order_id": "o-9"},
        "now": NOON_SHANGHAI,
    }
    values.update(overrides)
    return event_receive(organization=organization, **values)


def test_csat_by_sms_two_hours_after_order_delivered(
    organization: Organization, survey: Survey
) -> None:
    csat = rule(organization, survey)
    receipt = receive(organization)
    [match] = receipt.outcomes
    invitation = Invitation.objects.get()
    assert match == {
        "rule_id": csat.pk,
        "rule": csat.name,
        "invitation_id": invitation.pk,
        "scheduled_at": (NOON_SHANGHAI + timedelta(hours=2)).isoformat(),
        "skipped": False,
        "reason": "",
    }
    assert invitation.status == InvitationStatus.QUEUED
    assert invitation.channel == "sms"
    assert invitation.batch_key == f"event:{receipt.event.pk}:rule:{csat.pk}"
    assert invitation.scheduled_at == NOON_SHANGHAI + timedelta(hours=2)
    assert invitation.attributes == {"tier": "gold", "store": "上海南京西路店", "order_id": "o-9"}
    assert invitation.contact.external_id == "c-1" and invitation.contact.name == "李雷"


def test_ces_by_email_right_after_ticket_closed_counts_from_occurred_at(
    organization: Organization,
) -> None:
    ces_survey = survey_for(organization, name="CES after support")
    rule(
        organization,
        ces_survey,
        name="CES by e-mail right after ticket_closed",
        event="ticket_closed",
        channel="email",
        delay_minutes=0,
    )
    occurred = NOON_SHANGHAI - timedelta(minutes=5)
    receive(
        organization,
        event="ticket_closed",
        contact={"external_id": "c-2", "email": "han@example.com"},
        occurred_at=occurred,
    )
    invitation = Invitation.objects.get()
    assert invitation.channel == "email"
    assert invitation.survey == ces_survey
    # Five minutes late already: the send is due now, never in the past.
    assert invitation.scheduled_at == NOON_SHANGHAI


def test_a_delay_ending_in_quiet_hours_is_deferred_to_their_end(
    organization: Organization, survey: Survey
) -> None:
    rule(organization, survey, delay_minutes=10 * 60)  # 12:00 + 10 h = 22:00 in Shanghai
    [match] = receive(organization).outcomes
    next_morning = datetime(2026, 5, 7, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    assert match["skipped"] is False
    assert match["reason"] == "quiet_hours"
    assert match["scheduled_at"] == next_morning.isoformat()
    assert Invitation.objects.get().scheduled_at == next_morning


def test_a_retried_post_with_the_same_key_invites_nobody_twice(
    organization: Organization, survey: Survey
) -> None:
    rule(organization, survey)
    first = receive(organization, idempotency_key="delivery-o-9")
    again = receive(
        organization, idempotency_key="delivery-o-9", now=NOON_SHANGHAI + timedelta(minutes=1)
    )
    assert again.replayed and not first.replayed
    assert again.event.pk == first.event.pk
    assert again.outcomes == first.outcomes
    assert Event.objects.count() == 1
    assert Invitation.objects.count() == 1


def test_a_retry_after_a_crash_finishes_without_a_second_invitation(
    organization: Organization, survey: Survey
) -> None:
    rule(organization, survey)
    first = receive(organization, idempotency_key="k1")
    # As if the process died after inviting but before recording the outcomes.
    Event.objects.filter(pk=first.event.pk).update(processed_at=None, outcomes=[])
    again = receive(organization, idempotency_key="k1")
    assert not again.replayed
    assert again.outcomes[0]["invitation_id"] == first.outcomes[0]["invitation_id"]
    assert Invitation.objects.count() == 1


def test_events_without_a_key_are_separate_and_fatigue_rules_apply(
    organization: Organization, survey: Survey
) -> None:
    rule(organization, survey)
    receive(organization)
    [second] = receive(organization, now=NOON_SHANGHAI + timedelta(days=1)).outcomes
    assert second["skipped"] is True
    assert second["reason"] == "recently_invited"
    assert second["scheduled_at"] is None
    assert Event.objects.count() == 2


def test_conditions_choose_the_rule(organization: Organization, survey: Survey) -> None:
    shanghai = rule(organization, survey, name="Shanghai", conditions={"store": ["上海南京西路店"]})
    beijing = rule(organization, survey, name="Beijing", conditions={"store": ["北京三里屯店"]})
    gold = rule(organization, survey, name="Gold", conditions={"tier": ["gold"]}, channel="email")
    outcomes = {o["rule_id"]: o for o in receive(organization).outcomes}
    assert outcomes[shanghai.pk]["skipped"] is False
    assert outcomes[beijing.pk] == {
        "rule_id": beijing.pk,
        "rule": "Beijing",
        "invitation_id": None,
        "scheduled_at": None,
        "skipped": True,
        "reason": "conditions_not_met",
    }
    # The tier is the contact's attribute; the contact has no e-mail address.
    assert outcomes[gold.pk]["reason"] == "no_email"


def test_an_opted_out_contact_is_skipped_and_the_skip_recorded(
    organization: Organization, survey: Survey, contact: Contact
) -> None:
    rule(organization, survey)
    contact_opt_out(contact=contact, channel="sms", source="api")
    [match] = receive(organization).outcomes
    assert match["skipped"] is True and match["reason"] == "opted_out"
    skipped = Invitation.objects.get(pk=match["invitation_id"])
    assert skipped.status == InvitationStatus.SKIPPED and skipped.reason == "opted_out"


def test_inactive_rules_and_surveys(organization: Organization, survey: Survey) -> None:
    rule(organization, survey, active=False)
    paused = survey_pause(survey=survey_for(organization, name="Paused"))
    live = rule(organization, paused, name="On a paused survey")
    [match] = receive(organization).outcomes
    assert match["rule_id"] == live.pk and match["reason"] == "survey_inactive"
    assert not Invitation.objects.exists()


def test_dedupe_invites_once_per_rule_and_window(
    organization: Organization, survey: Survey
) -> None:
    from cxloop.distribution.models import ContactPolicy

    ContactPolicy.objects.create(organization=organization, min_days_between=0, max_per_year=50)
    once_a_week = rule(organization, survey, dedupe_days=7)
    assert receive(organization).outcomes[0]["skipped"] is False
    second = receive(organization, now=NOON_SHANGHAI + timedelta(days=2)).outcomes[0]
    assert second["reason"] == "duplicate"
    later = receive(organization, now=NOON_SHANGHAI + timedelta(days=8)).outcomes[0]
    assert later["skipped"] is False
    assert Invitation.objects.filter(batch_key__endswith=f":rule:{once_a_week.pk}").count() == 2


def test_unknown_events_are_stored_with_no_match(organization: Organization) -> None:
    receipt = receive(organization, event="cart_abandoned")
    assert receipt.outcomes == []
    assert Event.objects.get().event == "cart_abandoned"


# --- API -------------------------------------------------------------------------------------


def test_post_event_api(api_client: ApiClient, organization: Organization, survey: Survey) -> None:
    csat = rule(organization, survey)
    body = {
        "event": "order_delivered",
        "contact": DELIVERY,
        "attributes": {"store": "上海南京西路店", "order_id": "o-9"},
        "occurred_at": "2026-05-06T12:00:00+08:00",
        "idempotency_key": "o-9",
    }
    response = api_client.post("/api/v1/events", body)
    assert response.status_code == 202, response.content
    data = response.json()
    invitation = Invitation.objects.get()
    assert data["replayed"] is False
    assert data["matches"] == [
        {
            "rule_id": csat.pk,
            "rule": csat.name,
            "invitation_id": invitation.pk,
            "scheduled_at": invitation.scheduled_at.isoformat(),
            "skipped": False,
            # The test runs at the real time: quiet hours may defer the send.
            "reason": invitation.reason,
        }
    ]
    assert invitation.reason in ("", "quiet_hours")
    again = api_client.post("/api/v1/events", body)
    assert again.status_code == 202
    assert again.json()["replayed"] is True
    assert again.json()["matches"] == data["matches"]
    assert Invitation.objects.count() == 1


def test_post_event_with_a_bad_phone_is_422_on_contact_phone(api_client: ApiClient) -> None:
    response = api_client.post(
        "/api/v1/events",
        {"event": "order_delivered", "contact": {"external_id": "c-1", "phone": "12"}},
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["contact.phone"]
    assert not Event.objects.exists() and not Contact.objects.exists()


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"event": "has space", "contact": {"external_id": "c"}}, ["event"]),
        ({"event": "x", "contact": {}}, ["contact"]),
        ({"event": "x"}, ["contact"]),
        (
            {"event": "x", "contact": {"external_id": "c"}, "attributes": {"a b": "1"}},
            ["attributes.a b"],
        ),
        (
            {"event": "x", "contact": {"external_id": "c"}, "occurred_at": "yesterday"},
            ["occurred_at"],
        ),
    ],
)
def test_post_event_bad_bodies(
    api_client: ApiClient, body: dict[str, Any], fields: list[str]
) -> None:
    response = api_client.post("/api/v1/events", body)
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == fields
    assert not Event.objects.exists()


def test_unknown_event_name_is_202_with_no_matches(api_client: ApiClient) -> None:
    response = api_client.post(
        "/api/v1/events", {"event": "nobody_listens", "contact": {"external_id": "c-9"}}
    )
    assert response.status_code == 202
    assert response.json()["matches"] == []


def test_another_organizations_rule_never_fires(
    api_client: ApiClient, other_membership: Any
) -> None:
    other = other_membership.organization
    rule(other, survey_for(other))
    response = api_client.post("/api/v1/events", {"event": "order_delivered", "contact": DELIVERY})
    assert response.status_code == 202
    assert response.json()["matches"] == []
    assert not Invitation.objects.exists()
