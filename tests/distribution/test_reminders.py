from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from cxloop.contacts.models import Contact
from cxloop.distribution.models import ContactPolicy, Invitation, InvitationStatus
from cxloop.distribution.sending import (
    invitation_message_id,
    invitations_send,
    reminders_send,
    scheduler_tick,
)
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.distribution.test_sending import LATER, T0, contact_for
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


def sent(survey: Survey, contact: Contact, *, now: Any = T0) -> Invitation:
    invitation, _ = invitation_create(
        survey=survey, contact=contact, channel="email", batch_key="b", now=now
    )
    invitations_send(invitation_ids=[invitation.pk], now=now + timedelta(minutes=1))
    invitation.refresh_from_db()
    return invitation


def test_one_reminder_after_three_days_by_default(
    organization: Organization, survey: Survey
) -> None:
    invitation = sent(survey, contact_for(organization))
    mail.outbox.clear()

    too_early = reminders_send(now=LATER + 3 * DAY - timedelta(seconds=1))
    on_time = reminders_send(now=LATER + 3 * DAY)
    no_second = reminders_send(now=LATER + 30 * DAY - timedelta(seconds=1))

    assert (too_early.sent, on_time.sent, no_second.sent) == (0, 1, 0)
    [reminder] = mail.outbox
    assert "reminder" in reminder.subject.lower()
    assert reminder.extra_headers["Message-ID"] == invitation_message_id(invitation, reminder=1)
    invitation.refresh_from_db()
    assert (invitation.reminders_sent, invitation.last_reminded_at) == (1, LATER + 3 * DAY)
    assert invitation.status == InvitationStatus.SENT
    assert Invitation.objects.count() == 1  # a reminder is not an invitation


def test_the_survey_override_sets_the_delay_and_the_count(
    organization: Organization, survey: Survey
) -> None:
    ContactPolicy.objects.create(organization=organization, reminder_after_days=5, max_reminders=1)
    ContactPolicy.objects.create(
        organization=organization, survey=survey, reminder_after_days=1, max_reminders=2
    )
    other_survey = survey_for(organization)
    sent(survey, contact_for(organization, 1))
    sent(other_survey, contact_for(organization, 2))
    mail.outbox.clear()

    day_one = reminders_send(now=LATER + DAY)
    day_two = reminders_send(now=LATER + 2 * DAY)
    day_three = reminders_send(now=LATER + 3 * DAY)
    day_five = reminders_send(now=LATER + 5 * DAY)

    assert [r.sent for r in (day_one, day_two, day_three, day_five)] == [1, 1, 0, 1]
    assert [m.to[0] for m in mail.outbox] == ["c1@example.com", "c1@example.com", "c2@example.com"]


def test_no_reminders_when_the_policy_says_none(organization: Organization, survey: Survey) -> None:
    ContactPolicy.objects.create(organization=organization, max_reminders=0)
    sent(survey, contact_for(organization))

    assert reminders_send(now=LATER + 10 * DAY).sent == 0


def test_answered_opted_out_expired_and_failed_invitations_get_no_reminder(
    organization: Organization, survey: Survey
) -> None:
    answered = sent(survey, contact_for(organization, 1))
    Invitation.objects.filter(pk=answered.pk).update(status=InvitationStatus.COMPLETED)
    opted_out = sent(survey, contact_for(organization, 2))
    Contact.objects.filter(pk=opted_out.contact_id).update(email_opted_out_at=T0)
    failed = sent(survey, contact_for(organization, 3))
    Invitation.objects.filter(pk=failed.pk).update(status=InvitationStatus.FAILED)
    started = sent(survey, contact_for(organization, 4))
    Invitation.objects.filter(pk=started.pk).update(status=InvitationStatus.STARTED)
    mail.outbox.clear()

    report = reminders_send(now=LATER + 3 * DAY)
    after_expiry = reminders_send(now=started.expires_at + 3 * DAY)

    assert (report.sent, after_expiry.sent) == (1, 0)
    assert [m.to[0] for m in mail.outbox] == ["c4@example.com"]


def test_a_reminder_claimed_by_another_scheduler_is_not_sent_twice(
    organization: Organization, survey: Survey
) -> None:
    invitation = sent(survey, contact_for(organization))
    mail.outbox.clear()
    Invitation.objects.filter(pk=invitation.pk).update(
        claim_token="other", claimed_at=LATER + 3 * DAY
    )

    assert reminders_send(now=LATER + 3 * DAY).sent == 0
    assert mail.outbox == []


def test_the_scheduler_tick_sends_what_is_due_and_reminds(
    organization: Organization,
    survey: Survey,
    django_capture_on_commit_callbacks: Any,
    run_tasks: Callable[[], None],
) -> None:
    # The tasks run on the real clock (immediate backend): dates relative to it.
    now = timezone.now()
    ContactPolicy.objects.create(organization=organization)  # no quiet hours
    due = [
        invitation_create(
            survey=survey,
            contact=contact_for(organization, n),
            channel="email",
            batch_key="b",
            now=now - DAY,
        )[0]
        for n in range(3)
    ]
    later = invitation_create(
        survey=survey,
        contact=contact_for(organization, 9),
        channel="email",
        batch_key="b",
        now=now + DAY,
    )[0]
    reminded = sent(survey, contact_for(organization, 7), now=now - 5 * DAY)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        counts = scheduler_tick(now=now)
    run_tasks()
    with django_capture_on_commit_callbacks(execute=True):
        second = scheduler_tick(now=now)
    run_tasks()

    assert counts == {"sends_due": 3, "reminders_due": 1}
    assert second == {"sends_due": 0, "reminders_due": 0}
    assert sorted(m.to[0] for m in mail.outbox) == [
        "c0@example.com",
        "c1@example.com",
        "c2@example.com",
        "c7@example.com",
    ]
    assert {i.status for i in Invitation.objects.filter(pk__in=[d.pk for d in due])} == {"sent"}
    assert Invitation.objects.get(pk=later.pk).status == "queued"
    assert Invitation.objects.get(pk=reminded.pk).reminders_sent == 1
