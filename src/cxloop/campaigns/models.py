"""Automated distribution: event rules (transactional triggers) and relationship waves."""

from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization


class CampaignChannel(models.TextChoices):
    """The channels a campaign can send on by itself (a link or a widget needs a person)."""

    EMAIL = "email", _("E-mail")
    SMS = "sms", _("SMS")


class EventRule(models.Model):
    """When the organization's systems report ``event``, invite the contact to ``survey``
    on ``channel`` ``delay_minutes`` after the event, if the conditions hold."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="event_rules"
    )
    name = models.CharField(_("name"), max_length=200)
    event = models.CharField(_("event name"), max_length=100)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=CampaignChannel.choices)
    delay_minutes = models.PositiveIntegerField(_("delay (minutes)"), default=0)
    # Attribute → allowed values, e.g. {"store": ["上海南京西路店"]}; all must hold.
    conditions = models.JSONField(default=dict, blank=True)
    # 0: only the organization's fatigue rules apply; N: this rule invites a contact at
    # most once in N days, even when the fatigue rules of the survey would allow more.
    dedupe_days = models.PositiveIntegerField(_("at most once per contact in (days)"), default=0)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("event", "name", "id")
        indexes: ClassVar = [
            models.Index(fields=("organization", "event", "active"), name="event_rule_match"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.event})"


class Event(models.Model):
    """One event received through the API, stored once per idempotency key, with what
    each matching rule did about it (``outcomes``)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    event = models.CharField(max_length=100)
    # The client's idempotency key; "" when it sent none (then every POST is a new event).
    external_id = models.CharField(max_length=100, blank=True)
    contact = models.ForeignKey(
        "contacts.Contact", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attributes = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField()
    processed_at = models.DateTimeField(null=True, blank=True)
    # [{"rule_id", "rule", "invitation_id", "scheduled_at", "skipped", "reason"}, …]
    outcomes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("-received_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("organization", "external_id"),
                condition=~Q(external_id=""),
                name="event_once_per_idempotency_key",
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=("organization", "-received_at"), name="event_org_received"),
        ]

    def __str__(self) -> str:
        return f"event {self.pk} ({self.event})"


class Wave(models.Model):
    """A scheduled send to a sample of a contact segment, once or every N months."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(_("name"), max_length=200)
    survey = models.ForeignKey("surveys.Survey", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=CampaignChannel.choices)
    # Attribute → allowed values; empty: every contact of the organization.
    segment = models.JSONField(default=dict, blank=True)
    sample_percent = models.DecimalField(
        _("sample (%)"), max_digits=5, decimal_places=2, default=100
    )
    # Sample this share of each value of the attribute (e.g. each store); "" for no strata.
    sample_by = models.CharField(_("sample per value of"), max_length=50, blank=True)
    first_run_at = models.DateTimeField(_("first run"))
    repeat_months = models.PositiveSmallIntegerField(_("repeat every (months)"), default=0)
    # The next run to start; null once a one-off wave has run (or after deactivation).
    next_run_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [models.Index(fields=("active", "next_run_at"), name="wave_due")]

    def __str__(self) -> str:
        return self.name


class WaveRun(models.Model):
    """One run of a wave. (wave, planned_for) is unique: two schedulers never run the same
    slot twice, and the run id seeds the sample, so a resumed run picks the same people."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="runs")
    planned_for = models.DateTimeField()
    started_at = models.DateTimeField()
    # Renewed by whoever (re)starts the run: a run unfinished long after its claim was
    # interrupted (a crash) and is resumed by the next scheduler tick.
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    selected = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    # Reason → count: opted_out, recently_invited, yearly_limit, no_email, no_phone, …
    skipped_by_reason = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("-planned_for", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("wave", "planned_for"), name="wave_run_once_per_slot")
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of wave {self.wave_id} ({self.planned_for:%Y-%m-%d})"
