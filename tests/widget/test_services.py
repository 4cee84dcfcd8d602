from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from cxloop.contacts.models import Contact
from cxloop.contacts.services import contact_opt_out
from cxloop.distribution.models import ContactPolicy, Invitation, InvitationStatus
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from cxloop.surveys.services import survey_pause
from cxloop.widget.models import WidgetConfig
from cxloop.widget.services import (
    Visitor,
    invitation_ticket,
    widget_config_save,
    widget_eligibility,
    widget_response_submit,
)
from tests.factories import survey_for
from tests.widget.conftest import SHOP

pytestmark = pytest.mark.django_db
NOON_SHANGHAI = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)
VISITOR = Visitor(user_id="u-1", attributes={"tier": "gold"})


def test_an_anonymous_visitor_is_shown_and_nothing_is_recorded(widget: WidgetConfig) -> None:
    decision = widget_eligibility(widget=widget, visitor=None, now=NOON_SHANGHAI)
    assert decision.show
    assert Invitation.objects.count() == 0
    assert Contact.objects.count() == 0


def test_an_identified_visitor_becomes_a_contact_with_a_widget_invitation(
    widget: WidgetConfig,
) -> None:
    decision = widget_eligibility(widget=widget, visitor=VISITOR, now=NOON_SHANGHAI)
    assert decision.show
    contact = Contact.objects.get(organization=widget.organization, external_id="u-1")
    assert contact.attributes == {"tier": "gold"}
    invitation = Invitation.objects.get(contact=contact)
    assert invitation == decision.invitation
    assert invitation.channel == "widget"
    assert invitation.status == InvitationStatus.SENT
    assert invitation.sent_at == NOON_SHANGHAI
    assert invitation.batch_key == f"widget:{widget.pk}:2026-05-06"


def test_the_same_day_the_visitor_is_not_asked_twice(widget: WidgetConfig) -> None:
    widget_eligibility(widget=widget, visitor=VISITOR, now=NOON_SHANGHAI)
    again = widget_eligibility(
        widget=widget, visitor=VISITOR, now=NOON_SHANGHAI + timedelta(hours=2)
    )
    assert not again.show
    assert again.reason == "already_asked"
    assert Invitation.objects.count() == 1


def test_being_shown_counts_toward_the_contact_frequency_rules(widget: WidgetConfig) -> None:
    ContactPolicy.objects.create(organization=widget.organization, min_days_between=30)
    widget_eligibility(widget=widget, visitor=VISITOR, now=NOON_SHANGHAI)
    next_day = widget_eligibility(
        widget=widget, visitor=VISITOR, now=NOON_SHANGHAI + timedelta(days=1)
    )
    assert not next_day.show
    assert next_day.reason == "recently_invited"
    skipped = Invitation.objects.get(status=InvitationStatus.SKIPPED)
    assert skipped.reason == "recently_invited"  # the decision is recorded and visible
    later = widget_eligibility(
        widget=widget, visitor=VISITOR, now=NOON_SHANGHAI + timedelta(days=31)
    )
    assert later.show


def test_a_visitor_recently_invited_by_email_to_another_survey_is_not_shown(
    organization: Organization, widget: WidgetConfig
) -> None:
    contact = Contact.objects.create(
        organization=organization, external_id="u-1", email="li@example.com"
    )
    other = survey_for(organization, name="Delivery")
    invitation_create(
        survey=other,
        contact=contact,
        channel="email",
        batch_key="wave-1",
        now=NOON_SHANGHAI - timedelta(days=10),
    )
    decision = widget_eligibility(widget=widget, visitor=VISITOR, now=NOON_SHANGHAI)
    assert not decision.show
    assert decision.reason == "recently_invited"
    assert decision.invitation is not None
    assert decision.invitation.status == InvitationStatus.SKIPPED


def test_an_opted_out_visitor_is_not_shown(
    organization: Organization, widget: WidgetConfig
) -> None:
    contact = Contact.objects.create(
        organization=organization, external_id="u-1", email="li@example.com"
    )
    contact_opt_out(contact=contact, channel="email", source="link")
    decision = widget_eligibility(widget=widget, visitor=VISITOR, now=NOON_SHANGHAI)
    assert not decision.show
    assert decision.reason == "opted_out"


def test_quiet_hours_do_not_hide_the_widget_from_a_visitor_on_the_site(
    widget: WidgetConfig,
) -> None:
    eleven_pm_shanghai = datetime(2026, 5, 6, 15, 0, tzinfo=UTC)
    decision = widget_eligibility(widget=widget, visitor=VISITOR, now=eleven_pm_shanghai)
    assert decision.show
    assert decision.invitation is not None
    assert decision.invitation.scheduled_at == eleven_pm_shanghai


def test_a_switched_off_widget_or_a_paused_survey_shows_nothing(
    organization: Organization, survey: Survey, widget: WidgetConfig
) -> None:
    widget = widget_config_save(
        organization=organization,
        survey=survey,
        values={"allowed_origins": [SHOP], "enabled": False},
    )
    assert widget_eligibility(widget=widget, visitor=VISITOR).reason == "disabled"
    widget = widget_config_save(
        organization=organization, survey=survey, values={"allowed_origins": [SHOP]}
    )
    survey_pause(survey=survey)
    widget.refresh_from_db()
    assert widget_eligibility(widget=widget, visitor=None).reason == "survey_not_active"
    assert Invitation.objects.count() == 0


def test_saving_again_keeps_the_public_key(
    organization: Organization, survey: Survey, widget: WidgetConfig
) -> None:
    again = widget_config_save(
        organization=organization, survey=survey, values={"display": "popup"}
    )
    assert again.public_key == widget.public_key
    assert again.display == "popup"
    assert WidgetConfig.objects.count() == 1


def test_an_identified_answer_joins_its_invitation_and_contact(widget: WidgetConfig) -> None:
    # Answered now: the invitation must not have expired (links last 30 days).
    decision = widget_eligibility(widget=widget, visitor=VISITOR, now=timezone.now())
    assert decision.invitation is not None
    response, created = widget_response_submit(
        widget=widget,
        answers={"nps": 9, "why": "Fast delivery"},
        language="en",
        page_url="https://shop.example.com/orders/42?ref=mail",
        origin=SHOP,
        visitor=VISITOR,
        ticket=invitation_ticket(decision.invitation),
        idempotency_key="k-1",
    )
    assert created
    assert response.contact is not None and response.contact.external_id == "u-1"
    assert response.attributes == {
        "tier": "gold",
        "origin": SHOP,
        "page_url": "https://shop.example.com/orders/42?ref=mail",
    }
    assert response.nps_score == 9 and response.comment == "Fast delivery"
    decision.invitation.refresh_from_db()
    assert decision.invitation.status == InvitationStatus.COMPLETED
    assert decision.invitation.response == response
    # A retry with the same key returns the same response and stores nothing more.
    again, created_again = widget_response_submit(
        widget=widget,
        answers={"nps": 9},
        language="en",
        page_url="",
        origin=SHOP,
        visitor=VISITOR,
        ticket=invitation_ticket(decision.invitation),
        idempotency_key="k-1",
    )
    assert again == response and not created_again
    assert Response.objects.count() == 1


def test_an_anonymous_answer_has_no_contact(widget: WidgetConfig) -> None:
    response, _created = widget_response_submit(
        widget=widget,
        answers={"nps": 3},
        language="zh-Hans",
        page_url="https://shop.example.com/",
        origin=SHOP,
        visitor=None,
        ticket=None,
        idempotency_key="k-2",
    )
    assert response.contact is None
    assert response.language == "zh-Hans"
    assert response.attributes == {"origin": SHOP, "page_url": "https://shop.example.com/"}
