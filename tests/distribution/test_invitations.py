import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from cxloop.common.errors import InputError
from cxloop.contacts.models import Contact
from cxloop.distribution.models import ContactPolicy, Invitation, InvitationStatus
from cxloop.distribution.services import (
    invitation_create,
    invitation_link,
    invitation_short_link,
    invitation_token,
)
from cxloop.organizations.models import Membership, Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
NOON_SHANGHAI = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


@pytest.fixture
def contact(organization: Organization) -> Contact:
    return Contact.objects.create(
        organization=organization,
        external_id="c-1",
        email="li@example.com",
        phone="+8613800000000",
        language="zh-Hans",
        attributes={"tier": "gold"},
    )


def invite(
    survey: Survey, contact: Contact, batch: str = "b1", now: datetime = NOON_SHANGHAI, **kw: Any
) -> Invitation:
    invitation, _created = invitation_create(
        survey=survey,
        contact=contact,
        channel=kw.pop("channel", "email"),
        batch_key=batch,
        now=now,
        **kw,
    )
    return invitation


def test_a_new_invitation_is_queued_with_the_contact_attributes(
    survey: Survey, contact: Contact
) -> None:
    invitation = invite(survey, contact, attributes={"store": "上海南京西路店"})
    assert invitation.status == InvitationStatus.QUEUED
    assert invitation.attributes == {"tier": "gold", "store": "上海南京西路店"}
    assert invitation.expires_at == NOON_SHANGHAI + timedelta(days=30)
    assert len(invitation.short_code) == 8


def test_the_same_batch_never_invites_twice(survey: Survey, contact: Contact) -> None:
    first = invite(survey, contact)
    again, created = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="b1", now=NOON_SHANGHAI
    )
    assert again.pk == first.pk and not created
    assert Invitation.objects.count() == 1


def test_ninety_days_between_invitations_across_surveys(
    organization: Organization, survey: Survey, contact: Contact
) -> None:
    invite(survey, contact)
    other = survey_for(organization)
    skipped = invite(other, contact, batch="b2", now=NOON_SHANGHAI + timedelta(days=30))
    assert (skipped.status, skipped.reason) == (InvitationStatus.SKIPPED, "recently_invited")
    later = invite(other, contact, batch="b3", now=NOON_SHANGHAI + timedelta(days=91))
    assert later.status == InvitationStatus.QUEUED


def test_a_survey_override_shortens_the_gap(
    organization: Organization, survey: Survey, contact: Contact
) -> None:
    ContactPolicy.objects.create(
        organization=organization, survey=survey, min_days_between=7, max_per_year=52
    )
    invite(survey, contact)
    assert (
        invite(survey, contact, batch="b2", now=NOON_SHANGHAI + timedelta(days=8)).status
        == InvitationStatus.QUEUED
    )


def test_opted_out_contacts_are_skipped_on_that_channel_only(
    survey: Survey, contact: Contact
) -> None:
    contact.email_opted_out_at = timezone.now()
    contact.save()
    skipped = invite(survey, contact)
    assert (skipped.status, skipped.reason) == (InvitationStatus.SKIPPED, "opted_out")
    assert invite(survey, contact, batch="b2", channel="sms").status == InvitationStatus.QUEUED


def test_quiet_hours_defer_to_the_morning_in_the_contacts_time_zone(
    organization: Organization, survey: Survey, contact: Contact
) -> None:
    ContactPolicy.objects.create(
        organization=organization, quiet_start=time(21, 0), quiet_end=time(9, 0)
    )
    late_evening = datetime(2026, 5, 6, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
    deferred = invite(survey, contact, now=late_evening)
    assert (deferred.status, deferred.reason) == (InvitationStatus.QUEUED, "quiet_hours")
    assert deferred.scheduled_at == datetime(2026, 5, 7, 1, 0, tzinfo=UTC)  # 09:00 Shanghai


def test_contacts_of_another_organization_cannot_be_invited(
    survey: Survey, other_membership: Membership
) -> None:
    stranger = Contact.objects.create(
        organization=other_membership.organization, external_id="x", email="x@example.com"
    )
    with pytest.raises(InputError):
        invite(survey, stranger)
    assert not Invitation.objects.exists()


def state_of(page: Any) -> str:
    match = re.search(r'name="state" value="([^"]+)"', page.content.decode())
    assert match
    return match.group(1)


def test_a_personal_link_answers_once_and_links_the_contact(
    survey: Survey, contact: Contact
) -> None:
    invitation = invite(survey, contact, attributes={"store": "A"}, now=timezone.now())
    url = f"/i/{invitation_token(invitation)}"
    client = Client()
    page = client.get(url, {"lang": "en"})
    assert page.status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.OPENED
    done = client.post(url, {"state": state_of(page), "q-nps": "9"})
    assert done.status_code == 302
    response = Response.objects.get(survey=survey)
    assert response.contact_id == contact.pk
    assert response.attributes == {"tier": "gold", "store": "A"}
    invitation.refresh_from_db()
    assert (invitation.status, invitation.response_id) == (InvitationStatus.COMPLETED, response.pk)
    again = client.get(url, headers={"Accept-Language": "en"})
    assert "already answered" in again.content.decode()
    replay = client.post(
        url, {"state": state_of(page), "q-nps": "0"}, headers={"Accept-Language": "en"}
    )
    assert "already answered" in replay.content.decode()
    assert Response.objects.count() == 1


def test_one_click_score_from_the_email_is_preselected(survey: Survey, contact: Contact) -> None:
    invitation = invite(survey, contact, now=timezone.now())
    assert invitation_link(invitation, score=9).endswith(
        f"/i/{invitation_token(invitation)}?score=9"
    )
    page = Client().get(f"/i/{invitation_token(invitation)}", {"score": "9", "lang": "en"})
    assert re.search(r'name="q-nps" value="9" checked', page.content.decode())
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.STARTED


def test_expired_and_forged_links(survey: Survey, contact: Contact) -> None:
    invitation = invite(survey, contact, now=timezone.now() - timedelta(days=31))
    page = Client().get(f"/i/{invitation_token(invitation)}", headers={"Accept-Language": "en"})
    assert "expired" in page.content.decode()
    assert Client().get(f"/i/{invitation.pk}-forgedsignature").status_code == 404


def test_the_sms_short_link_leads_to_the_personal_link(survey: Survey, contact: Contact) -> None:
    invitation = invite(survey, contact, channel="sms", now=timezone.now())
    short = invitation_short_link(invitation)
    assert short.endswith(f"/r/{invitation.short_code}")
    response = Client().get(f"/r/{invitation.short_code}")
    assert response.status_code == 302
    assert response["Location"] == f"/i/{invitation_token(invitation)}"
    assert Client().get("/r/nosuchcode").status_code == 404


def test_a_delayed_send_is_scheduled_then_and_judged_by_the_rules_of_then(
    survey: Survey, contact: Contact
) -> None:
    # Two hours after noon in Shanghai is 14:00: no quiet hours, scheduled exactly then.
    later = NOON_SHANGHAI + timedelta(hours=2)
    invitation = invite(survey, contact, send_at=later)
    assert invitation.status == InvitationStatus.QUEUED
    assert invitation.scheduled_at == later


def test_a_delayed_send_landing_in_quiet_hours_waits_for_the_morning(
    survey: Survey, contact: Contact
) -> None:
    # Noon + 10 h is 22:00 in Shanghai: inside the default 21:00–09:00 quiet hours.
    invitation = invite(survey, contact, send_at=NOON_SHANGHAI + timedelta(hours=10))
    assert invitation.status == InvitationStatus.QUEUED
    assert invitation.reason == "quiet_hours"
    assert invitation.scheduled_at == datetime(2026, 5, 7, 1, 0, tzinfo=UTC)  # 09:00 next day
