"""The send pipeline: queued invitations out by e-mail and SMS, reminders, bounces.

Kept apart from services.py (creation, fatigue rules, links) because this half runs in the
background tasks of tasks.py and the scheduler.

Exactly-once, as far as a mail server allows: each invitation is *claimed* (a token and a
time, committed) under a row lock before its message is handed over, and only the holder of
the token records the outcome. A retried or duplicated task finds the invitation claimed or
already sent and sends nothing. The one gap no SMTP client can close is a sender that dies
after the server accepted a message and before "sent" was committed: its claim expires
(``CXLOOP_SEND_CLAIM_TIMEOUT``) and the message goes again *with the same Message-ID*, so that
one message is deduplicable by the receiving side.
"""

import logging
import smtplib
import socket
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cxloop.common.languages import django_language, normalize_language
from cxloop.contacts.models import Contact
from cxloop.distribution.email_content import render_invitation_email
from cxloop.distribution.models import (
    ContactPolicy,
    Invitation,
    InvitationChannel,
    InvitationStatus,
)
from cxloop.distribution.selectors import contact_policy_in_force
from cxloop.distribution.services import invitation_short_link, sms_provider_for
from cxloop.distribution.sms.base import (
    SmsError,
    SmsMessage,
    SmsPermanentError,
    SmsProvider,
    SmsTransientError,
)
from cxloop.organizations.models import Organization

logger = logging.getLogger(__name__)

SENDABLE_CHANNELS = (InvitationChannel.EMAIL, InvitationChannel.SMS)
# Reminders are an e-mail feature: SMS templates are approved per message text.
REMINDABLE_STATUSES = (
    InvitationStatus.SENT,
    InvitationStatus.DELIVERED,
    InvitationStatus.OPENED,
    InvitationStatus.STARTED,
)
# Invitations claimed per transaction and sent over one SMTP connection.
CLAIM_BATCH = 200
FAILURE_TEXT_LIMIT = 500

# Failure reasons (Invitation.reason of a failed invitation); the text goes to `failure`.
REJECTED = "rejected"
RETRIES_EXHAUSTED = "retries_exhausted"
BOUNCED = "bounced"


def claim_timeout() -> timedelta:
    return timedelta(seconds=settings.CXLOOP_SEND_CLAIM_TIMEOUT)


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the `attempts`-th failed attempt: base, 2×, 4×… capped."""
    base = settings.CXLOOP_SEND_RETRY_BASE_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


@dataclass(slots=True)
class SendReport:
    sent: int = 0
    failed: int = 0
    retrying: int = 0
    skipped: dict[str, int] = field(default_factory=dict)

    def skip(self, reason: str, count: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def add(self, other: "SendReport") -> None:
        self.sent += other.sent
        self.failed += other.failed
        self.retrying += other.retrying
        for reason, count in other.skipped.items():
            self.skip(reason, count)

    @property
    def handled(self) -> int:
        return self.sent + self.failed + self.retrying + sum(self.skipped.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "retrying": self.retrying,
            "skipped": dict(self.skipped),
        }


# --- Message ids -----------------------------------------------------------------------------


def _message_id_domain() -> str:
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = address.rpartition("@")[2]
    return domain or urlsplit(settings.PUBLIC_URL).hostname or "localhost"


def invitation_message_id(invitation: Invitation, *, reminder: int = 0) -> str:
    """The Message-ID of the invitation's e-mail (reminder n: its own, also stable).

    Stable so that a message sent again after a crash carries the same id as the first."""
    suffix = f".r{reminder}" if reminder else ""
    return f"<cxloop.invitation.{invitation.pk}{suffix}@{_message_id_domain()}>"


def invitation_id_from_message_id(message_id: str) -> int | None:
    local = message_id.strip().strip("<>").partition("@")[0]
    prefix = "cxloop.invitation."
    if not local.startswith(prefix):
        return None
    number = local[len(prefix) :].partition(".")[0]
    return int(number) if number.isdigit() and len(number) < 19 else None


# --- Claims ----------------------------------------------------------------------------------


def _unclaimed(now: datetime) -> Q:
    return Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - claim_timeout())


def due_invitations(*, now: datetime) -> QuerySet[Invitation]:
    """Queued invitations whose moment has come, that no live sender holds."""
    return (
        Invitation.objects.filter(
            status=InvitationStatus.QUEUED,
            channel__in=SENDABLE_CHANNELS,
            scheduled_at__lte=now,
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .filter(_unclaimed(now))
    )


def _locked_ids(queryset: QuerySet[Invitation], limit: int) -> list[int]:
    # SQLite has no row locks: there the IMMEDIATE transaction serializes claimers instead.
    features = connection.features
    # Only the invitation rows: a contact locked by invitation_create must not hide them.
    of = ("self",) if features.has_select_for_update_of else ()
    return list(
        queryset.select_for_update(skip_locked=features.has_select_for_update_skip_locked, of=of)
        .order_by("scheduled_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def _send_refusal(invitation: Invitation, now: datetime) -> str:
    """Why the invitation must not be sent now (checked at send time), or ""."""
    contact = invitation.contact
    if invitation.expires_at <= now:
        return "expired"
    if contact.opted_out(invitation.channel):
        return "opted_out"
    if invitation.channel == InvitationChannel.EMAIL:
        if not contact.email:
            return "no_email"
        if contact.email_bounced_at is not None:
            return "email_bouncing"
    if invitation.channel == InvitationChannel.SMS and not contact.phone:
        return "no_phone"
    return ""


@dataclass(frozen=True, slots=True)
class Claim:
    token: str
    claimed_at: datetime
    invitations: tuple[Invitation, ...]


def invitations_claim(
    *,
    now: datetime,
    report: SendReport,
    invitation_ids: Sequence[int] | None = None,
    limit: int = CLAIM_BATCH,
) -> Claim:
    """Claim up to `limit` due invitations (of `invitation_ids` if given) for this sender.

    Invitations that must not go out any more (expired, contact opted out meanwhile, no
    address) are marked skipped with that reason instead. The claim is committed when this
    returns, before anything is sent.
    """
    token = uuid.uuid4().hex
    queryset = due_invitations(now=now)
    if invitation_ids is not None:
        queryset = queryset.filter(pk__in=list(invitation_ids))
    with transaction.atomic():
        ids = _locked_ids(queryset, limit)
        if not ids:
            return Claim(token, now, ())
        loaded = list(
            Invitation.objects.select_related("contact", "survey", "organization")
            .filter(pk__in=ids)
            .order_by("pk")
        )
        refused: dict[str, list[int]] = defaultdict(list)
        claimed: list[Invitation] = []
        for invitation in loaded:
            reason = _send_refusal(invitation, now)
            if reason:
                refused[reason].append(invitation.pk)
            else:
                claimed.append(invitation)
        for reason, refused_ids in refused.items():
            Invitation.objects.filter(pk__in=refused_ids).update(
                status=InvitationStatus.SKIPPED, reason=reason, claim_token="", claimed_at=None
            )
            report.skip(reason, len(refused_ids))
        Invitation.objects.filter(pk__in=[i.pk for i in claimed]).update(
            claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    for invitation in claimed:
        invitation.claim_token, invitation.claimed_at = token, now
        invitation.attempts += 1
    return Claim(token, now, tuple(claimed))


# --- Outcomes (only the claim holder records them) ----------------------------------------


def _held(invitation: Invitation, token: str) -> QuerySet[Invitation]:
    return Invitation.objects.filter(pk=invitation.pk, claim_token=token)


def _record_sent(
    invitation: Invitation, token: str, *, now: datetime, provider_id: str, delivered: bool
) -> None:
    status = InvitationStatus.DELIVERED if delivered else InvitationStatus.SENT
    changed = _held(invitation, token).update(
        status=status,
        sent_at=now,
        delivered_at=now if delivered else None,
        provider_message_id=provider_id[:100],
        claim_token="",
        claimed_at=None,
        next_attempt_at=None,
        failure="",
    )
    if not changed:
        logger.warning("Invitation %s was sent but its claim had been taken over", invitation.pk)


def _record_failed(
    invitation: Invitation, token: str, *, now: datetime, reason: str, text: str
) -> None:
    _held(invitation, token).update(
        status=InvitationStatus.FAILED,
        reason=reason,
        failure=text[:FAILURE_TEXT_LIMIT],
        failed_at=now,
        claim_token="",
        claimed_at=None,
        next_attempt_at=None,
    )


def _release(invitations: Sequence[Invitation], token: str, *, uncount: bool) -> None:
    """Give claimed invitations back untried (`uncount`: the claim's attempt is taken back)."""
    held = Invitation.objects.filter(pk__in=[i.pk for i in invitations], claim_token=token)
    if uncount:
        held.update(claim_token="", claimed_at=None, attempts=F("attempts") - 1)
    else:
        held.update(claim_token="", claimed_at=None)


def _record_transient(
    invitation: Invitation, token: str, *, now: datetime, text: str, report: SendReport
) -> None:
    """Try again after a backoff, or give up once the attempts are used."""
    if invitation.attempts >= settings.CXLOOP_SEND_MAX_ATTEMPTS:
        _record_failed(
            invitation,
            token,
            now=now,
            reason=RETRIES_EXHAUSTED,
            text=_("Gave up after %(attempts)d attempts: %(error)s")
            % {"attempts": invitation.attempts, "error": text},
        )
        report.failed += 1
        return
    retry_at = now + retry_delay(invitation.attempts)
    _held(invitation, token).update(
        next_attempt_at=retry_at,
        failure=text[:FAILURE_TEXT_LIMIT],
        claim_token="",
        claimed_at=None,
    )
    report.retrying += 1
    _enqueue_retry(invitation.pk, retry_at)


def _enqueue_retry(invitation_id: int, retry_at: datetime) -> None:
    from cxloop.distribution.tasks import send_invitations

    # Backends without deferred tasks (immediate, in tests) leave it to the scheduler.
    if send_invitations.get_backend().supports_defer:
        transaction.on_commit(
            lambda: send_invitations.using(run_after=retry_at).enqueue([invitation_id])
        )


# --- E-mail ----------------------------------------------------------------------------------


def invitation_email_message(
    invitation: Invitation, *, kind: str = "invitation", reminder: int = 0, connection: Any = None
) -> EmailMultiAlternatives:
    rendered = render_invitation_email(invitation=invitation, kind=kind)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.contact.email],
        headers={
            **rendered.headers,
            "Message-ID": invitation_message_id(invitation, reminder=reminder),
        },
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message


def smtp_error_is_permanent(error: BaseException) -> bool:
    """5xx answers and refused recipients are final; 4xx, timeouts and network errors pass."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    if isinstance(error, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError)):
        return False
    # Anything else (e.g. an address the message cannot encode) will fail the same way again.
    return not isinstance(error, (socket.timeout, TimeoutError))


def smtp_error_text(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        parts = [
            f"{address}: {code} {message.decode('utf-8', 'replace')}"
            for address, (code, message) in error.recipients.items()
        ]
        return "; ".join(parts)
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def _connection_is_broken(error: BaseException) -> bool:
    """Whether the SMTP session is unusable, as opposed to one message being refused."""
    return not isinstance(
        error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)
    )


@dataclass(frozen=True, slots=True)
class EmailJob:
    invitation: Invitation
    token: str
    kind: str
    reminder: int
    on_sent: Callable[[Invitation, str], None]
    on_permanent: Callable[[Invitation, str], None]
    on_transient: Callable[[Invitation, str], None]


def _send_email_jobs(jobs: Sequence[EmailJob], *, claimed_at: datetime) -> None:
    """Send over one SMTP connection; each outcome is recorded as soon as it is known, so
    a crash leaves at most the message in flight in doubt."""
    if not jobs:
        return
    started = time.monotonic()
    # Past half the claim's life another sender may soon take the rest over: stop early.
    deadline = started + claim_timeout().total_seconds() / 2
    smtp = get_connection(fail_silently=False)
    try:
        smtp.open()
    except Exception as error:  # every way of not connecting is transient
        text = smtp_error_text(error)
        logger.warning("Cannot connect to the mail server: %s", text)
        for job in jobs:
            job.on_transient(job.invitation, text)
        return
    try:
        for index, job in enumerate(jobs):
            if time.monotonic() > deadline:
                # Not a failure: hand the rest back untried, for the next sender to claim.
                _release(
                    [rest.invitation for rest in jobs[index:]],
                    job.token,
                    uncount=job.kind == "invitation",
                )
                return
            try:
                message = invitation_email_message(
                    job.invitation, kind=job.kind, reminder=job.reminder, connection=smtp
                )
            except Exception as error:
                # A message that cannot be built fails the same way on every attempt.
                logger.exception("Cannot build the e-mail of invitation %s", job.invitation.pk)
                job.on_permanent(job.invitation, smtp_error_text(error))
                continue
            try:
                handed_over = smtp.send_messages([message])
            except Exception as error:  # classified just below
                text = smtp_error_text(error)
                if smtp_error_is_permanent(error):
                    job.on_permanent(job.invitation, text)
                else:
                    job.on_transient(job.invitation, text)
                if _connection_is_broken(error):
                    for rest in jobs[index + 1 :]:
                        rest.on_transient(rest.invitation, text)
                    return
                continue
            if not handed_over:
                # The backend lost its connection without raising: nothing was sent.
                for rest in jobs[index:]:
                    rest.on_transient(rest.invitation, "the mail server connection was lost")
                return
            job.on_sent(job.invitation, message.extra_headers["Message-ID"])
    finally:
        try:
            smtp.close()
        except Exception:  # the messages are out; a failing QUIT changes nothing
            logger.debug("Closing the SMTP connection failed", exc_info=True)


def _email_invitation_jobs(
    claim: Claim, invitations: Iterable[Invitation], report: SendReport
) -> list[EmailJob]:
    def sent(invitation: Invitation, message_id: str) -> None:
        _record_sent(
            invitation, claim.token, now=claim.claimed_at, provider_id=message_id, delivered=False
        )
        report.sent += 1

    def permanent(invitation: Invitation, text: str) -> None:
        _record_failed(invitation, claim.token, now=claim.claimed_at, reason=REJECTED, text=text)
        report.failed += 1

    def transient(invitation: Invitation, text: str) -> None:
        _record_transient(invitation, claim.token, now=claim.claimed_at, text=text, report=report)

    return [
        EmailJob(i, claim.token, "invitation", 0, sent, permanent, transient) for i in invitations
    ]


# --- SMS ------------------------------------------------------------------------------------


def _message_language(invitation: Invitation) -> str:
    survey = invitation.survey
    wanted = normalize_language(invitation.contact.language)
    return wanted if wanted and wanted in survey.languages else survey.default_language


def invitation_sms_message(invitation: Invitation) -> SmsMessage:
    language = _message_language(invitation)
    link = invitation_short_link(invitation)
    organization = invitation.organization
    with translation.override(django_language(language)):
        text = _("%(organization)s would like your feedback: %(link)s") % {
            "organization": organization.name,
            "link": link,
        }
    return SmsMessage(
        to=invitation.contact.phone,
        text=text,
        template_params={"name": invitation.contact.name or organization.name, "link": link},
        language=language,
    )


DELIVERED_RAW_STATUSES = frozenset({"delivered", "delivrd", "success"})


def _send_sms_invitations(
    claim: Claim, invitations: Sequence[Invitation], report: SendReport
) -> None:
    by_organization: dict[int, list[Invitation]] = defaultdict(list)
    for invitation in invitations:
        by_organization[invitation.organization_id].append(invitation)
    for group in by_organization.values():
        provider: SmsProvider | None = None
        try:
            provider = sms_provider_for(organization=group[0].organization)
        except SmsPermanentError as error:
            for invitation in group:
                _record_failed(
                    invitation,
                    claim.token,
                    now=claim.claimed_at,
                    reason=REJECTED,
                    text=error.message,
                )
                report.failed += 1
            continue
        for invitation in group:
            try:
                receipt = provider.send(invitation_sms_message(invitation))
            except SmsTransientError as error:
                _record_transient(
                    invitation, claim.token, now=claim.claimed_at, text=str(error), report=report
                )
            except SmsError as error:
                _record_failed(
                    invitation, claim.token, now=claim.claimed_at, reason=REJECTED, text=str(error)
                )
                report.failed += 1
            else:
                _record_sent(
                    invitation,
                    claim.token,
                    now=claim.claimed_at,
                    provider_id=receipt.provider_message_id,
                    delivered=receipt.raw_status.lower() in DELIVERED_RAW_STATUSES,
                )
                report.sent += 1


# --- Sending ---------------------------------------------------------------------------------


def _send_claim(claim: Claim, report: SendReport) -> None:
    emails = [i for i in claim.invitations if i.channel == InvitationChannel.EMAIL]
    texts = [i for i in claim.invitations if i.channel == InvitationChannel.SMS]
    _send_email_jobs(_email_invitation_jobs(claim, emails, report), claimed_at=claim.claimed_at)
    _send_sms_invitations(claim, texts, report)


def invitations_send(*, invitation_ids: Sequence[int], now: datetime | None = None) -> SendReport:
    """Send those of the invitations that are due and not held by another sender.

    Safe to run any number of times, concurrently too: sent, skipped, failed and claimed
    invitations are passed over. Without `now`, each batch is claimed at the current time
    (a claim stamped earlier than it was made would lapse early).
    """
    report = SendReport()
    ids = list(dict.fromkeys(invitation_ids))
    for start in range(0, len(ids), CLAIM_BATCH):
        claim = invitations_claim(
            now=now or timezone.now(),
            report=report,
            invitation_ids=ids[start : start + CLAIM_BATCH],
        )
        _send_claim(claim, report)
    return report


def due_invitations_send(
    *, now: Callable[[], datetime], time_budget: float, batch: int = CLAIM_BATCH
) -> tuple[SendReport, bool]:
    """Send due invitations batch by batch for up to `time_budget` seconds.

    Returns the report and whether due invitations may remain."""
    report = SendReport()
    started = time.monotonic()
    while time.monotonic() - started < time_budget:
        before = report.handled
        claim = invitations_claim(now=now(), report=report, limit=batch)
        if not claim.invitations and report.handled == before:
            return report, False
        _send_claim(claim, report)
    return report, True


# --- Reminders -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    after_days: int
    max_reminders: int


def reminder_policy(*, organization_id: int, survey_id: int) -> ReminderPolicy:
    """The survey's override, else the organization's default, else the product defaults."""
    policy = (
        contact_policy_in_force(organization_id=organization_id, survey_id=survey_id)
        or ContactPolicy()
    )
    return ReminderPolicy(policy.reminder_after_days, policy.max_reminders)


def reminders_due(*, now: datetime) -> QuerySet[Invitation]:
    """Invitations that may get a reminder, before the per-survey policy is applied."""
    return Invitation.objects.filter(
        channel=InvitationChannel.EMAIL,
        status__in=REMINDABLE_STATUSES,
        expires_at__gt=now,
        response__isnull=True,
        contact__email_opted_out_at__isnull=True,
        contact__email_bounced_at__isnull=True,
    ).filter(_unclaimed(now))


def _reminders_of_survey(
    now: datetime, survey_id: int, policy: ReminderPolicy
) -> QuerySet[Invitation]:
    quiet_since = now - timedelta(days=policy.after_days)
    return (
        reminders_due(now=now)
        .filter(survey_id=survey_id, reminders_sent__lt=policy.max_reminders)
        .filter(
            Q(last_reminded_at__isnull=True, sent_at__lte=quiet_since)
            | Q(last_reminded_at__lte=quiet_since)
        )
    )


def reminders_send(*, now: datetime, limit: int = 10_000) -> SendReport:
    """Remind the non-responders of every survey whose policy says it is time.

    A reminder goes to the same personal link; it creates no invitation, so the fatigue
    rules do not count it. Claimed like a send, so no reminder goes out twice.
    """
    report = SendReport()
    surveys = reminders_due(now=now).values_list("organization_id", "survey_id").distinct()
    for organization_id, survey_id in list(surveys):
        policy = reminder_policy(organization_id=organization_id, survey_id=survey_id)
        if policy.max_reminders == 0:
            continue
        while report.handled < limit:
            token = uuid.uuid4().hex
            with transaction.atomic():
                ids = _locked_ids(_reminders_of_survey(now, survey_id, policy), CLAIM_BATCH)
                Invitation.objects.filter(pk__in=ids).update(claim_token=token, claimed_at=now)
            if not ids:
                break
            invitations = list(
                Invitation.objects.select_related("contact", "survey", "organization").filter(
                    pk__in=ids
                )
            )
            _send_email_jobs(_reminder_jobs(token, now, invitations, report), claimed_at=now)
    return report


def _reminder_jobs(
    token: str, now: datetime, invitations: Sequence[Invitation], report: SendReport
) -> list[EmailJob]:
    def sent(invitation: Invitation, _message_id: str) -> None:
        _held(invitation, token).update(
            reminders_sent=F("reminders_sent") + 1,
            last_reminded_at=now,
            claim_token="",
            claimed_at=None,
        )
        report.sent += 1

    def permanent(invitation: Invitation, text: str) -> None:
        # The invitation itself went out; this reminder is given up, not retried.
        _held(invitation, token).update(
            reminders_sent=F("reminders_sent") + 1,
            failure=text[:FAILURE_TEXT_LIMIT],
            claim_token="",
            claimed_at=None,
        )
        report.failed += 1

    def transient(invitation: Invitation, text: str) -> None:
        _held(invitation, token).update(
            failure=text[:FAILURE_TEXT_LIMIT], claim_token="", claimed_at=None
        )
        report.retrying += 1

    return [
        EmailJob(i, token, "reminder", i.reminders_sent + 1, sent, permanent, transient)
        for i in invitations
    ]


# --- Bounces ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BounceReport:
    reference: str  # the message id or invitation id as given
    reason: str
    permanent: bool
    message_id: str = ""
    invitation_id: int | None = None


@dataclass(frozen=True, slots=True)
class BounceOutcome:
    failed: tuple[int, ...]  # invitation ids now failed (permanent bounces)
    noted: tuple[int, ...]  # invitation ids with a temporary problem noted
    unknown: tuple[str, ...]  # references that name no invitation of the organization


def invitation_bounces_record(
    *, organization: Organization, bounces: Sequence[BounceReport], now: datetime
) -> BounceOutcome:
    """Record what a mail server reported after accepting a message.

    A permanent bounce fails the invitation with the reason and marks the contact's e-mail
    address as bouncing (nothing more is sent to it until it changes); a temporary one is
    only noted. References to other organizations' invitations are unknown here.
    """
    failed: list[int] = []
    noted: list[int] = []
    unknown: list[str] = []
    for bounce in bounces:
        pk = bounce.invitation_id
        if pk is None and bounce.message_id:
            pk = invitation_id_from_message_id(bounce.message_id)
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update()
                .filter(organization=organization, pk=pk)
                .first()
                if pk is not None
                else None
            )
            if invitation is None or invitation.channel != InvitationChannel.EMAIL:
                unknown.append(bounce.reference)
                continue
            text = bounce.reason[:FAILURE_TEXT_LIMIT]
            if not bounce.permanent:
                invitation.failure = text
                invitation.save(update_fields=["failure"])
                noted.append(invitation.pk)
                continue
            if invitation.status in (InvitationStatus.SENT, InvitationStatus.DELIVERED):
                invitation.status = InvitationStatus.FAILED
                invitation.reason = BOUNCED
                invitation.failed_at = now
            invitation.failure = text
            invitation.save(update_fields=["status", "reason", "failed_at", "failure"])
            Contact.objects.filter(pk=invitation.contact_id, email_bounced_at__isnull=True).update(
                email_bounced_at=now
            )
            failed.append(invitation.pk)
    return BounceOutcome(tuple(failed), tuple(noted), tuple(unknown))


# --- Scheduler ------------------------------------------------------------------------------


def reminders_due_count(*, now: datetime) -> int:
    total = 0
    surveys = reminders_due(now=now).values_list("organization_id", "survey_id").distinct()
    for organization_id, survey_id in list(surveys):
        policy = reminder_policy(organization_id=organization_id, survey_id=survey_id)
        if policy.max_reminders:
            total += _reminders_of_survey(now, survey_id, policy).count()
    return total


def scheduler_tick(*, now: datetime) -> dict[str, int]:
    """Queue the sending of what is due at `now`: delayed and retried invitations, the
    claims of dead senders, reminders. Returns what was found due."""
    from cxloop.distribution.tasks import send_due_invitations, send_due_reminders

    sends_due = due_invitations(now=now).count()
    reminders = reminders_due_count(now=now)
    if sends_due:
        transaction.on_commit(send_due_invitations.enqueue)
    if reminders:
        transaction.on_commit(send_due_reminders.enqueue)
    return {"sends_due": sends_due, "reminders_due": reminders}
