from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization


class SmsProviderName(models.TextChoices):
    ALIYUN = "aliyun", _("Aliyun SMS")
    TENCENT = "tencent", _("Tencent Cloud SMS")
    TWILIO = "twilio", _("Twilio")


class SmsConfiguration(models.Model):
    """How an organization sends SMS: one provider, its credentials and its templates.

    The provider's credentials (key ids and secrets) are kept encrypted in
    ``encrypted_credentials`` (see ``distribution.sms.credentials``); everything else is
    plain. Which values each provider needs is described in ``distribution.sms.providers``.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sms_configuration"
    )
    provider = models.CharField(_("provider"), max_length=16, choices=SmsProviderName.choices)
    encrypted_credentials = models.TextField(blank=True, default="")
    # Aliyun and Tencent Cloud: the approved sign name; Twilio: the From number or sender id.
    sender = models.CharField(_("sender"), max_length=100, blank=True, default="")
    # Provider settings that are not secret, e.g. Tencent's SdkAppId and region.
    options = models.JSONField(default=dict, blank=True)
    # Approved template id per survey language, e.g. {"zh-Hans": "SMS_123", "en": "SMS_456"}.
    templates = models.JSONField(default=dict, blank=True)
    # Blank: the provider's production endpoint.
    endpoint = models.URLField(_("endpoint"), max_length=300, blank=True, default="")
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_provider_display()}"


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")
    LINK = "link", _("Personal link")
    WIDGET = "widget", _("Website widget")


class InvitationStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SKIPPED = "skipped", _("Skipped")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    OPENED = "opened", _("Opened")
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")


# Later stages only move forward: an opened e-mail never becomes "sent" again.
INVITATION_PROGRESS: dict[str, int] = {
    InvitationStatus.QUEUED: 0,
    InvitationStatus.SENT: 1,
    InvitationStatus.DELIVERED: 2,
    InvitationStatus.OPENED: 3,
    InvitationStatus.STARTED: 4,
    InvitationStatus.COMPLETED: 5,
}


class ContactPolicy(models.Model):
    """How often a contact may be asked; one row per organization (survey = null) and
    optional per-survey overrides."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="contact_policies"
    )
    survey = models.OneToOneField(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    min_days_between = models.PositiveIntegerField(_("days between invitations"), default=90)
    max_per_year = models.PositiveIntegerField(_("invitations per year at most"), default=4)
    quiet_start = models.TimeField(_("quiet hours start"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours end"), null=True, blank=True)
    link_valid_days = models.PositiveIntegerField(_("personal links valid for (days)"), default=30)
    reminder_after_days = models.PositiveIntegerField(
        _("remind non-responders after (days)"), default=3
    )
    # 0: no reminders. Reminders go to the same invitation and do not count as invitations
    # for the fatigue rules.
    max_reminders = models.PositiveIntegerField(_("reminders at most"), default=1)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("organization",),
                condition=models.Q(survey__isnull=True),
                name="contact_policy_one_default_per_org",
            )
        ]

    def __str__(self) -> str:
        return f"contact policy of {self.organization_id} ({self.survey_id or 'default'})"


class Invitation(models.Model):
    """One request to one contact to answer one survey, on one channel.

    Its personal link is single-use: the response it leads to is linked to the contact and
    carries the invitation's attributes. ``batch_key`` makes creation idempotent: the same
    contact, survey and batch (an API request, a wave, an event) never gets two invitations.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="invitations"
    )
    channel = models.CharField(max_length=8, choices=InvitationChannel.choices)
    status = models.CharField(
        max_length=10, choices=InvitationStatus.choices, default=InvitationStatus.QUEUED
    )
    # Why it was skipped (opted_out, recently_invited, yearly_limit) or deferred (quiet_hours).
    reason = models.CharField(max_length=32, blank=True)
    failure = models.TextField(blank=True)
    batch_key = models.CharField(max_length=100)
    short_code = models.CharField(max_length=12, unique=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    scheduled_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=100, blank=True)
    # The send claim: a sender sets both (committed) before it hands the message over, and
    # only the holder of the token may record the outcome. A claim older than
    # CXLOOP_SEND_CLAIM_TIMEOUT belongs to a sender that died and may be taken over.
    claim_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    # After a transient failure: not before this moment (exponential backoff).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        "responses.Response",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitation",
    )

    class Meta:
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("survey", "contact", "batch_key"), name="invitation_once_per_batch"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=("contact", "status", "created_at"), name="invitation_contact"),
            models.Index(fields=("survey", "status"), name="invitation_survey_status"),
            models.Index(fields=("status", "scheduled_at"), name="invitation_due"),
            # Waves and event rules find their invitations by batch ("wave-run:12", "event:9").
            models.Index(fields=("organization", "batch_key"), name="invitation_batch"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} ({self.channel}, {self.status})"


class EmailKind(models.TextChoices):
    INVITATION = "invitation", _("Invitation")
    REMINDER = "reminder", _("Reminder")


class EmailTemplate(models.Model):
    """An organization's own subject and body of an e-mail, in one survey language.

    A row with ``survey`` set overrides the organization's default (``survey`` null) for
    that survey; without any row the built-in text of ``distribution.email_defaults`` is
    used. ``subject`` and ``body`` are plain text with ``{placeholders}`` only (see
    ``distribution.email_placeholders``): never template code.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="email_templates"
    )
    survey = models.ForeignKey(
        "surveys.Survey", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    language = models.CharField(_("language"), max_length=8)
    kind = models.CharField(_("kind"), max_length=16, choices=EmailKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("body"))
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints: ClassVar = [
            # NULLs are distinct in a unique index, so the organization default needs its
            # own conditional constraint.
            models.UniqueConstraint(
                fields=("organization", "language", "kind"),
                condition=models.Q(survey__isnull=True),
                name="email_template_one_default",
            ),
            models.UniqueConstraint(
                fields=("organization", "survey", "language", "kind"),
                condition=models.Q(survey__isnull=False),
                name="email_template_one_per_survey",
            ),
        ]

    def __str__(self) -> str:
        scope = self.survey_id or "default"
        return f"{self.kind} e-mail {self.language} of {self.organization_id} ({scope})"
