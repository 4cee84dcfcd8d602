import smtplib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.utils import translation
from django.utils.html import escape

from cxloop.contacts.models import Contact
from cxloop.distribution import sending
from cxloop.distribution.models import ContactPolicy, Invitation, InvitationStatus
from cxloop.distribution.sending import (
    SendReport,
    due_invitations_send,
    invitation_id_from_message_id,
    invitation_message_id,
    invitations_claim,
    invitations_send,
)
from cxloop.distribution.services import invitation_create, invitation_link, invitation_short_link
from cxloop.distribution.sms.base import (
    SmsError,
    SmsMessage,
    SmsPermanentError,
    SmsReceipt,
    SmsTransientError,
)
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey
from tests.conftest import ApiClient
from tests.distribution.mail_fakes import ScriptedBackend
from tests.factories import survey_for

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 5, 6, 4, 0, tzinfo=UTC)  # noon in Shanghai: no quiet hours
LATER = T0 + timedelta(minutes=1)


@pytest.fixture
def survey(organization: Organization) -> Survey:
    return survey_for(organization)


@pytest.fixture
def scripted_mail(settings: Any) -> type[ScriptedBackend]:
    settings.EMAIL_BACKEND = "tests.distribution.mail_fakes.ScriptedBackend"
    settings.CXLOOP_SEND_RETRY_BASE_SECONDS = 60
    settings.CXLOOP_SEND_MAX_ATTEMPTS = 3
    ScriptedBackend.reset()
    return ScriptedBackend


def contact_for(organization: Organization, n: int = 1, **fields: Any) -> Contact:
    values = {"email": f"c{n}@example.com", "external_id": f"c-{n}", "language": "en", **fields}
    return Contact.objects.create(organization=organization, **values)


def invite(survey: Survey, contact: Contact, *, channel: str = "email", **kw: Any) -> Invitation:
    invitation, _created = invitation_create(
        survey=survey, contact=contact, channel=channel, batch_key="b", now=kw.pop("now", T0), **kw
    )
    return invitation


def send(*invitations: Invitation, now: datetime = LATER) -> SendReport:
    return invitations_send(invitation_ids=[i.pk for i in invitations], now=now)


def test_a_due_invitation_is_sent_once_with_its_links_and_headers(
    organization: Organization, survey: Survey
) -> None:
    invitation = invite(survey, contact_for(organization))

    report = send(invitation)
    again = send(invitation)

    assert (report.sent, again.sent) == (1, 0)
    [message] = mail.outbox
    assert message.to == ["c1@example.com"]
    assert invitation_link(invitation) in message.body
    html_part = message.alternatives[0][0]
    assert escape(invitation_link(invitation, score=9)) in html_part  # one-click NPS
    assert message.extra_headers["Message-ID"] == invitation_message_id(invitation)
    assert message.extra_headers["List-Unsubscribe"].startswith("<http")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert isinstance(message, EmailMultiAlternatives)
    assert [content_type for _body, content_type in message.alternatives] == ["text/html"]
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.SENT
    assert invitation.sent_at == LATER
    assert invitation.provider_message_id == invitation_message_id(invitation)
    assert (invitation.claim_token, invitation.claimed_at, invitation.attempts) == ("", None, 1)


def test_the_message_id_is_stable_and_names_the_invitation(
    organization: Organization, survey: Survey
) -> None:
    invitation = invite(survey, contact_for(organization))

    message_id = invitation_message_id(invitation)

    assert parseaddr(message_id)[1].endswith("@localhost")
    assert invitation_id_from_message_id(message_id) == invitation.pk
    assert invitation_message_id(invitation, reminder=1) != message_id
    assert (
        invitation_id_from_message_id(invitation_message_id(invitation, reminder=1))
        == invitation.pk
    )
    assert invitation_id_from_message_id("<abc@example.com>") is None


def test_one_smtp_connection_carries_a_batch(
    organization: Organization, survey: Survey, scripted_mail: type[ScriptedBackend]
) -> None:
    invitations = [invite(survey, contact_for(organization, n)) for n in range(5)]

    report = send(*invitations)

    assert report.sent == 5
    assert scripted_mail.connections == 1
    assert sorted(m.to[0] for m in mail.outbox) == [f"c{n}@example.com" for n in range(5)]


def test_not_yet_due_links_and_widgets_are_not_sent(
    organization: Organization, survey: Survey
) -> None:
    later = invite(survey, contact_for(organization, 1), send_at=T0 + timedelta(hours=2))
    link = invite(survey, contact_for(organization, 2), channel="link")
    # (invitation_create refuses "widget" on main; the widget branch makes them)
    widget = invite(survey, contact_for(organization, 3), channel="link")
    Invitation.objects.filter(pk=widget.pk).update(channel="widget")

    report = send(later, link, widget)
    due_later = send(later, link, widget, now=T0 + timedelta(hours=2))

    assert (report.sent, due_later.sent) == (0, 1)
    assert [m.to for m in mail.outbox] == [["c1@example.com"]]
    assert Invitation.objects.get(pk=link.pk).status == InvitationStatus.QUEUED
    assert Invitation.objects.get(pk=widget.pk).status == InvitationStatus.QUEUED


def test_an_opt_out_between_queueing_and_sending_skips_the_send(
    organization: Organization, survey: Survey
) -> None:
    contact = contact_for(organization)
    invitation = invite(survey, contact)
    Contact.objects.filter(pk=contact.pk).update(email_opted_out_at=T0)

    report = send(invitation)

    assert report.skipped == {"opted_out": 1}
    assert mail.outbox == []
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reason) == (InvitationStatus.SKIPPED, "opted_out")


def test_an_expired_invitation_is_skipped(organization: Organization, survey: Survey) -> None:
    invitation = invite(survey, contact_for(organization))

    report = send(invitation, now=invitation.expires_at)

    assert report.skipped == {"expired": 1}
    assert mail.outbox == []


def test_a_live_claim_keeps_other_senders_off_and_a_dead_ones_claim_lapses(
    organization: Organization, survey: Survey, settings: Any
) -> None:
    settings.CXLOOP_SEND_CLAIM_TIMEOUT = 600
    invitation = invite(survey, contact_for(organization))
    claim = invitations_claim(now=LATER, report=SendReport(), invitation_ids=[invitation.pk])
    assert [i.pk for i in claim.invitations] == [invitation.pk]

    while_held = send(invitation, now=LATER + timedelta(minutes=5))
    after_lapse = send(invitation, now=LATER + timedelta(minutes=11))

    assert (while_held.sent, after_lapse.sent) == (0, 1)
    invitation.refresh_from_db()
    assert invitation.attempts == 2
    assert len(mail.outbox) == 1


def test_transient_failures_are_retried_with_backoff_then_sent_once(
    organization: Organization, survey: Survey, scripted_mail: type[ScriptedBackend]
) -> None:
    invitation = invite(survey, contact_for(organization))
    scripted_mail.reset(smtplib.SMTPRecipientsRefused({"c1@example.com": (451, b"try later")}))

    first = send(invitation)
    invitation.refresh_from_db()
    too_early = send(invitation, now=LATER + timedelta(seconds=59))
    on_time = send(invitation, now=LATER + timedelta(seconds=60))

    assert first.retrying == 1
    assert invitation.next_attempt_at == LATER + timedelta(seconds=60)
    assert "451 try later" in invitation.failure
    assert (too_early.sent, on_time.sent) == (0, 1)
    assert len(mail.outbox) == 1
    invitation.refresh_from_db()
    assert (invitation.status, invitation.attempts, invitation.failure) == ("sent", 2, "")


def test_backoff_doubles_and_gives_up_after_the_last_attempt(
    organization: Organization, survey: Survey, scripted_mail: type[ScriptedBackend]
) -> None:
    invitation = invite(survey, contact_for(organization))
    refused = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
    scripted_mail.reset(refused, refused, refused)

    send(invitation, now=LATER)
    send(invitation, now=LATER + timedelta(seconds=60))
    invitation.refresh_from_db()
    assert invitation.next_attempt_at == LATER + timedelta(seconds=60 + 120)
    with translation.override("en"):  # the reason is written in the worker's language
        last = send(invitation, now=LATER + timedelta(seconds=180))

    assert last.failed == 1
    invitation.refresh_from_db()
    assert (invitation.status, invitation.reason) == ("failed", "retries_exhausted")
    assert (
        "3 attempts" in invitation.failure
        and "Connection unexpectedly closed" in invitation.failure
    )
    assert invitation.failed_at == LATER + timedelta(seconds=180)
    assert mail.outbox == []


def test_a_refused_recipient_fails_with_the_reason_and_the_batch_goes_on(
    organization: Organization, survey: Survey, scripted_mail: type[ScriptedBackend]
) -> None:
    refused, fine = (invite(survey, contact_for(organization, n)) for n in (1, 2))
    scripted_mail.reset(
        smtplib.SMTPRecipientsRefused({"c1@example.com": (550, b"5.1.1 No such user")}), None
    )

    report = send(refused, fine)

    assert (report.sent, report.failed) == (1, 1)
    refused.refresh_from_db()
    assert (refused.status, refused.reason) == ("failed", "rejected")
    assert refused.failure == "c1@example.com: 550 5.1.1 No such user"
    assert [m.to for m in mail.outbox] == [["c2@example.com"]]


def test_a_mail_server_that_cannot_be_reached_defers_the_whole_batch(
    organization: Organization, survey: Survey, scripted_mail: type[ScriptedBackend]
) -> None:
    invitations = [invite(survey, contact_for(organization, n)) for n in range(3)]
    scripted_mail.reset(open_failure=ConnectionRefusedError(111, "Connection refused"))

    report = send(*invitations)

    assert report.retrying == 3
    assert set(Invitation.objects.values_list("status", flat=True)) == {"queued"}
    assert all(i.next_attempt_at == LATER + timedelta(seconds=60) for i in Invitation.objects.all())


def test_a_broken_connection_defers_the_rest_of_the_batch(
    organization: Organization, survey: Survey, scripted_mail: type[ScriptedBackend]
) -> None:
    invitations = [invite(survey, contact_for(organization, n)) for n in range(3)]
    scripted_mail.reset(None, smtplib.SMTPServerDisconnected("gone"))

    report = send(*invitations)

    assert (report.sent, report.retrying) == (1, 2)
    assert len(mail.outbox) == 1


def test_the_dispatcher_sends_everything_due(organization: Organization, survey: Survey) -> None:
    for n in range(5):
        invite(survey, contact_for(organization, n))
    invite(survey, contact_for(organization, 9), send_at=T0 + timedelta(days=1))

    report, more = due_invitations_send(now=lambda: LATER, time_budget=30, batch=2)

    assert (report.sent, more) == (5, False)
    assert len(mail.outbox) == 5


def test_the_reminder_policy_fields_have_the_documented_defaults(
    organization: Organization,
) -> None:
    policy = ContactPolicy.objects.create(organization=organization)

    assert (policy.reminder_after_days, policy.max_reminders) == (3, 1)


class FakeSms:
    name = "fake"

    def __init__(self, *outcomes: SmsReceipt | SmsError) -> None:
        self.outcomes = list(outcomes)
        self.sent: list[SmsMessage] = []

    def send(self, message: SmsMessage) -> SmsReceipt:
        outcome = self.outcomes.pop(0) if self.outcomes else SmsReceipt("m-1", True, "queued")
        if isinstance(outcome, SmsError):
            raise outcome
        self.sent.append(message)
        return outcome


@pytest.fixture
def fake_sms(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeSms]:
    def install(*outcomes: SmsReceipt | SmsError) -> FakeSms:
        provider = FakeSms(*outcomes)
        monkeypatch.setattr(sending, "sms_provider_for", lambda *, organization: provider)
        return provider

    return install


def test_an_sms_carries_the_short_link_and_the_provider_id(
    organization: Organization, survey: Survey, fake_sms: Callable[..., FakeSms]
) -> None:
    provider = fake_sms(SmsReceipt("SM123", True, "queued"))
    invitation = invite(survey, contact_for(organization, phone="+8613800000000"), channel="sms")

    report = send(invitation)

    assert report.sent == 1
    [message] = provider.sent
    assert message.to == "+8613800000000"
    assert invitation_short_link(invitation) in message.text
    assert message.template_params["link"] == invitation_short_link(invitation)
    assert message.language == "en"
    invitation.refresh_from_db()
    assert (invitation.status, invitation.provider_message_id) == ("sent", "SM123")
    assert invitation.delivered_at is None


def test_an_sms_the_provider_reports_delivered_is_delivered(
    organization: Organization, survey: Survey, fake_sms: Callable[..., FakeSms]
) -> None:
    fake_sms(SmsReceipt("SM1", True, "delivered"))
    invitation = invite(survey, contact_for(organization, phone="+8613800000000"), channel="sms")

    send(invitation)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.delivered_at) == ("delivered", LATER)


def test_sms_errors_retry_when_transient_and_fail_when_permanent(
    organization: Organization, survey: Survey, fake_sms: Callable[..., FakeSms]
) -> None:
    fake_sms(
        SmsTransientError("throttled", code="isv.BUSINESS_LIMIT_CONTROL"),
        SmsPermanentError("invalid number", code="isv.MOBILE_NUMBER_ILLEGAL"),
    )
    throttled = invite(survey, contact_for(organization, 1, phone="+8613800000001"), channel="sms")
    invalid = invite(survey, contact_for(organization, 2, phone="+8613800000002"), channel="sms")

    report = send(throttled, invalid)

    assert (report.retrying, report.failed) == (1, 1)
    throttled.refresh_from_db()
    invalid.refresh_from_db()
    assert (throttled.status, throttled.next_attempt_at) == (
        "queued",
        LATER + timedelta(seconds=60),
    )
    assert (invalid.status, invalid.reason) == ("failed", "rejected")
    assert "invalid number" in invalid.failure


def test_sms_without_a_configuration_fails_with_the_reason(
    organization: Organization, survey: Survey
) -> None:
    invitation = invite(survey, contact_for(organization, phone="+8613800000000"), channel="sms")

    with translation.override("en"):
        send(invitation)

    invitation.refresh_from_db()
    assert (invitation.status, invitation.reason) == ("failed", "rejected")
    assert "SMS is not set up" in invitation.failure


def test_invitations_queued_through_the_api_are_sent_on_commit(
    organization: Organization,
    survey: Survey,
    api_client: ApiClient,
    django_capture_on_commit_callbacks: Any,
    run_tasks: Callable[[], None],
) -> None:
    ContactPolicy.objects.create(organization=organization)  # no quiet hours, whatever the time
    contact_for(organization, 1)
    contact_for(organization, 2)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/surveys/{survey.pk}/invitations",
            {"channel": "email", "contacts": ["c-1", "c-2"]},
        )
    run_tasks()

    assert response.status_code == 202
    assert sorted(m.to[0] for m in mail.outbox) == ["c1@example.com", "c2@example.com"]
    assert set(Invitation.objects.values_list("status", flat=True)) == {"sent"}


def test_a_sender_whose_claim_is_about_to_lapse_hands_the_rest_back_untried(
    organization: Organization, survey: Survey, settings: Any
) -> None:
    invitations = [invite(survey, contact_for(organization, n)) for n in range(3)]
    settings.CXLOOP_SEND_CLAIM_TIMEOUT = 1e-9  # already half gone when sending starts

    handed_back = send(*invitations)
    settings.CXLOOP_SEND_CLAIM_TIMEOUT = 900
    later = send(*invitations)

    assert (handed_back.sent, handed_back.retrying, later.sent) == (0, 0, 3)
    assert len(mail.outbox) == 3
    assert set(Invitation.objects.values_list("attempts", flat=True)) == {1}


def test_a_message_that_cannot_be_built_fails_and_the_batch_goes_on(
    organization: Organization, survey: Survey, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken, fine = (invite(survey, contact_for(organization, n)) for n in (1, 2))
    real = sending.render_invitation_email

    def render(*, invitation: Invitation, kind: str) -> Any:
        if invitation.pk == broken.pk:
            raise ValueError("template error")
        return real(invitation=invitation, kind=kind)

    monkeypatch.setattr(sending, "render_invitation_email", render)

    report = send(broken, fine)

    assert (report.sent, report.failed) == (1, 1)
    broken.refresh_from_db()
    assert (broken.status, broken.failure) == ("failed", "ValueError: template error")
