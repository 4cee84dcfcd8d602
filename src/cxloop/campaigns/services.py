"""Writes of automated distribution: event rules (``event_rule_…``), received events
(``event_receive``) and relationship waves (``wave_…``, ``waves_run_due``).

Campaigns only *create* invitations (queued, ``scheduled_at`` = when to send) through
``distribution.services.invitation_create``, so fatigue rules, opt-outs and quiet hours
apply exactly as for any other invitation; the sending pipeline picks them up when due.
"""

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.campaigns.models import CampaignChannel, Event, EventRule, Wave, WaveRun
from cxloop.campaigns.rules import RUN_LEASE, WaveSchedule, conditions_match, stratified_sample
from cxloop.common.errors import FieldError, InputError
from cxloop.common.text import has_nul, is_attribute_name
from cxloop.contacts.models import Contact
from cxloop.contacts.services import contact_upsert
from cxloop.distribution.models import Invitation, InvitationChannel, InvitationStatus
from cxloop.distribution.services import invitation_create
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey, SurveyStatus

EVENT_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.:\-]{1,100}$")
MAX_DELAY_MINUTES = 60 * 24 * 90
MAX_DEDUPE_DAYS = 3650
MAX_REPEAT_MONTHS = 24
MAX_FILTER_ATTRIBUTES = 20
MAX_FILTER_VALUES = 500
MAX_EVENT_ATTRIBUTES = 50
MAX_VALUE_LENGTH = 500
WAVE_CHUNK = 500

# Why an event rule invited nobody (besides the fatigue reasons of invitation_create).
SURVEY_INACTIVE = "survey_inactive"
CONDITIONS_NOT_MET = "conditions_not_met"
NO_EMAIL = "no_email"
NO_PHONE = "no_phone"
DUPLICATE = "duplicate"


def event_batch_key(event_id: int, rule_id: int) -> str:
    return f"event:{event_id}:rule:{rule_id}"


def wave_batch_key(run_id: int) -> str:
    return f"wave-run:{run_id}"


# --- Shared validation ---------------------------------------------------------------------


def _clean_text(value: str, field: str, errors: list[FieldError], *, limit: int) -> str:
    text = value.strip()
    if not text:
        errors.append(FieldError(field, _("This field is required.")))
    elif len(text) > limit:
        errors.append(FieldError(field, _("Use at most %(limit)d characters.") % {"limit": limit}))
    elif has_nul(text):
        errors.append(FieldError(field, _("The value contains a character that is not allowed.")))
    return text


def clean_attribute_filter(
    value: Any, field: str, errors: list[FieldError]
) -> dict[str, list[str]]:
    """Attribute → allowed values, as conditions and segments take them."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.append(FieldError(field, _("Send an object: attribute → list of values.")))
        return {}
    if len(value) > MAX_FILTER_ATTRIBUTES:
        errors.append(
            FieldError(
                field,
                _("Use at most %(limit)d attributes.") % {"limit": MAX_FILTER_ATTRIBUTES},
            )
        )
        return {}
    cleaned: dict[str, list[str]] = {}
    for name, raw_values in value.items():
        path = f"{field}.{name}"
        if not is_attribute_name(name):
            errors.append(FieldError(path, _("Unknown attribute name.")))
            continue
        values = [raw_values] if isinstance(raw_values, str) else raw_values
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            errors.append(FieldError(path, _("Send a list of text values.")))
            continue
        kept = list(dict.fromkeys(v.strip() for v in values if v.strip()))
        if not kept:
            errors.append(FieldError(path, _("Enter at least one value.")))
        elif len(kept) > MAX_FILTER_VALUES or any(
            len(v) > MAX_VALUE_LENGTH or has_nul(v) for v in kept
        ):
            errors.append(FieldError(path, _("Too many or too long values.")))
        else:
            cleaned[name] = kept
    return cleaned


def _clean_channel(channel: str, errors: list[FieldError]) -> str:
    if channel not in CampaignChannel.values:
        errors.append(FieldError("channel", _("Use email or sms.")))
    return channel


def _clean_survey(
    organization: Organization, survey_id: int | None, errors: list[FieldError]
) -> Survey | None:
    survey = (
        Survey.objects.filter(organization=organization, pk=survey_id).first()
        if survey_id is not None
        else None
    )
    if survey is None:
        # Another organization's survey is as unknown as a missing one.
        errors.append(FieldError("survey", _("Choose one of your surveys.")))
    return survey


def _clean_int(value: int, field: str, errors: list[FieldError], *, low: int, high: int) -> int:
    if not low <= value <= high:
        errors.append(
            FieldError(
                field,
                _("Enter a whole number between %(low)d and %(high)d.")
                % {"low": low, "high": high},
            )
        )
    return value


# --- Event rules ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventRuleInput:
    name: str
    event: str
    survey_id: int | None
    channel: str
    delay_minutes: int = 0
    conditions: Mapping[str, Any] | None = None
    dedupe_days: int = 0
    active: bool = True


def _clean_rule(organization: Organization, data: EventRuleInput) -> dict[str, Any]:
    errors: list[FieldError] = []
    name = _clean_text(data.name, "name", errors, limit=200)
    event = data.event.strip()
    if not EVENT_NAME_PATTERN.match(event):
        errors.append(
            FieldError(
                "event",
                _("Use 1 to 100 letters, digits and _ . : - (e.g. order_delivered)."),
            )
        )
    survey = _clean_survey(organization, data.survey_id, errors)
    channel = _clean_channel(data.channel, errors)
    delay = _clean_int(data.delay_minutes, "delay_minutes", errors, low=0, high=MAX_DELAY_MINUTES)
    dedupe = _clean_int(data.dedupe_days, "dedupe_days", errors, low=0, high=MAX_DEDUPE_DAYS)
    conditions = clean_attribute_filter(data.conditions, "conditions", errors)
    if errors:
        raise InputError(errors)
    return {
        "name": name,
        "event": event,
        "survey": survey,
        "channel": channel,
        "delay_minutes": delay,
        "dedupe_days": dedupe,
        "conditions": conditions,
        "active": data.active,
    }


def event_rule_create(*, organization: Organization, data: EventRuleInput) -> EventRule:
    return EventRule.objects.create(organization=organization, **_clean_rule(organization, data))


def event_rule_update(*, rule: EventRule, data: EventRuleInput) -> EventRule:
    values = _clean_rule(rule.organization, data)
    for name, value in values.items():
        setattr(rule, name, value)
    rule.save(update_fields=[*values, "updated_at"])
    return rule


def event_rule_set_active(*, rule: EventRule, active: bool) -> EventRule:
    EventRule.objects.filter(pk=rule.pk).update(active=active, updated_at=timezone.now())
    rule.refresh_from_db()
    return rule


def event_rule_delete(*, rule: EventRule) -> None:
    # Past invitations keep their batch key and past events their outcomes (rule name
    # included), so history stays readable.
    rule.delete()


# --- Events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    rule_id: int
    rule: str
    invitation_id: int | None
    scheduled_at: str | None  # ISO 8601
    skipped: bool
    reason: str  # "" when queued on time; quiet_hours when deferred; the skip reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "rule": self.rule,
            "invitation_id": self.invitation_id,
            "scheduled_at": self.scheduled_at,
            "skipped": self.skipped,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class EventReceipt:
    event: Event
    contact: Contact | None
    replayed: bool  # the idempotency key was seen: nothing new was done

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        return list(self.event.outcomes)


def _clean_event_attributes(value: Any, errors: list[FieldError]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        errors.append(FieldError("attributes", _("Send an object of text values.")))
        return {}
    if len(value) > MAX_EVENT_ATTRIBUTES:
        errors.append(
            FieldError(
                "attributes",
                _("Use at most %(limit)d attributes.") % {"limit": MAX_EVENT_ATTRIBUTES},
            )
        )
        return {}
    cleaned: dict[str, str] = {}
    for name, raw in value.items():
        path = f"attributes.{name}"
        if not is_attribute_name(name):
            errors.append(FieldError(path, _("Unknown attribute name.")))
        elif isinstance(raw, bool) or not isinstance(raw, str | int | float):
            errors.append(FieldError(path, _("Send text here.")))
        elif len(str(raw)) > MAX_VALUE_LENGTH or has_nul(str(raw)):
            errors.append(FieldError(path, _("Too many or too long values.")))
        else:
            cleaned[name] = str(raw).strip()
    return cleaned


def _contact_for_event(organization: Organization, data: Any) -> Contact:
    if not isinstance(data, Mapping) or not data:
        raise InputError.single(
            "contact", _("Send the contact: an external_id, e-mail or phone at least.")
        )
    try:
        contact, _created = contact_upsert(organization=organization, data=data)
    except InputError as error:
        raise InputError(
            FieldError(f"contact.{e.field}" if e.field else "contact", e.message)
            for e in error.errors
        ) from error
    return contact


def _rule_outcome(
    rule: EventRule, event: Event, contact: Contact, attributes: Mapping[str, str], now: datetime
) -> RuleOutcome:
    def skipped(reason: str) -> RuleOutcome:
        return RuleOutcome(rule.pk, rule.name, None, None, True, reason)

    if rule.survey.status != SurveyStatus.ACTIVE:
        return skipped(SURVEY_INACTIVE)
    if not conditions_match(rule.conditions, attributes):
        return skipped(CONDITIONS_NOT_MET)
    if rule.channel == InvitationChannel.EMAIL and not contact.email:
        return skipped(NO_EMAIL)
    if rule.channel == InvitationChannel.SMS and not contact.phone:
        return skipped(NO_PHONE)
    send_at = event.occurred_at + timedelta(minutes=rule.delay_minutes)
    batch_key = event_batch_key(event.pk, rule.pk)
    with transaction.atomic():
        # The contact's lock (taken again by invitation_create, same transaction) makes the
        # rule's own once-per-N-days check safe against a concurrent event.
        Contact.objects.select_for_update().filter(pk=contact.pk).first()
        if rule.dedupe_days:
            window = timedelta(days=rule.dedupe_days)
            recent = (
                Invitation.objects.filter(
                    contact=contact,
                    batch_key__startswith="event:",
                    batch_key__endswith=f":rule:{rule.pk}",
                    scheduled_at__gt=send_at - window,
                    scheduled_at__lt=send_at + window,
                )
                .exclude(batch_key=batch_key)
                .exclude(status=InvitationStatus.SKIPPED)
            )
            if recent.exists():
                return skipped(DUPLICATE)
        invitation, _created = invitation_create(
            survey=rule.survey,
            contact=contact,
            channel=rule.channel,
            batch_key=batch_key,
            attributes=event.attributes,
            now=now,
            send_at=send_at,
        )
    is_skipped = invitation.status == InvitationStatus.SKIPPED
    return RuleOutcome(
        rule_id=rule.pk,
        rule=rule.name,
        invitation_id=invitation.pk,
        scheduled_at=None if is_skipped else invitation.scheduled_at.isoformat(),
        skipped=is_skipped,
        reason=invitation.reason,
    )


def event_receive(
    *,
    organization: Organization,
    event: str,
    contact: Any,
    attributes: Any = None,
    occurred_at: datetime | None = None,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> EventReceipt:
    """Record an event from the organization's systems and apply its active rules.

    The contact is upserted (``contacts.services.contact_upsert``; errors come back on
    ``contact.<field>``). Each active rule for the event name invites the contact at
    ``occurred_at`` (default: now) + the rule's delay, with batch key
    ``event:<event id>:rule:<rule id>``. With an ``idempotency_key`` the event is stored
    once: a retry returns the first outcomes and invites nobody again; a retry after a
    crash finishes the work with the same batch keys. An event no rule listens to is
    stored with no outcome: it is not an error.
    """
    now = now or timezone.now()
    errors: list[FieldError] = []
    name = event.strip() if isinstance(event, str) else ""
    if not EVENT_NAME_PATTERN.match(name):
        errors.append(
            FieldError(
                "event",
                _("Use 1 to 100 letters, digits and _ . : - (e.g. order_delivered)."),
            )
        )
    cleaned_attributes = _clean_event_attributes(attributes, errors)
    key = (idempotency_key or "").strip()
    if len(key) > 100 or has_nul(key):
        errors.append(FieldError("idempotency_key", _("Use at most 100 characters.")))
    if errors:
        raise InputError(errors)
    if occurred_at is None:
        occurred_at = now
    elif timezone.is_naive(occurred_at):
        occurred_at = timezone.make_aware(occurred_at, ZoneInfo(organization.time_zone))

    stored = (
        Event.objects.filter(organization=organization, external_id=key).first() if key else None
    )
    if stored is not None and stored.processed_at is not None:
        return EventReceipt(stored, stored.contact, replayed=True)
    person = _contact_for_event(organization, contact)
    if stored is None:
        try:
            with transaction.atomic():
                stored = Event.objects.create(
                    organization=organization,
                    event=name,
                    external_id=key,
                    contact=person,
                    attributes=cleaned_attributes,
                    occurred_at=occurred_at,
                    received_at=now,
                )
        except IntegrityError:
            # The same key arrived twice at once: the other request owns the event.
            stored = Event.objects.get(organization=organization, external_id=key)
            if stored.processed_at is not None:
                return EventReceipt(stored, stored.contact, replayed=True)
    merged = {**person.attributes, **stored.attributes}
    rules = (
        EventRule.objects.filter(organization=organization, event=stored.event, active=True)
        .select_related("survey")
        .order_by("pk")
    )
    outcomes = [_rule_outcome(rule, stored, person, merged, now).as_dict() for rule in rules]
    stored.outcomes = outcomes
    stored.processed_at = now
    stored.save(update_fields=["outcomes", "processed_at"])
    return EventReceipt(stored, person, replayed=False)


# --- Waves ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaveInput:
    name: str
    survey_id: int | None
    channel: str
    first_run_at: datetime | None
    segment: Mapping[str, Any] | None = None
    sample_percent: Decimal | float | str = Decimal(100)
    sample_by: str = ""
    repeat_months: int = 0


def _clean_percent(value: Decimal | float | str, errors: list[FieldError]) -> Decimal:
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation:
        percent = Decimal("NaN")
    if not percent.is_finite() or not Decimal(0) < percent <= Decimal(100):
        errors.append(
            FieldError("sample_percent", _("Enter a percentage above 0 and at most 100."))
        )
        return Decimal(100)
    if percent != percent.quantize(Decimal("0.01")):
        errors.append(FieldError("sample_percent", _("Use at most two decimals.")))
    return percent


def wave_create(*, organization: Organization, data: WaveInput) -> Wave:
    """A wave whose first run is at ``first_run_at`` (naive: the organization's time) and
    then every ``repeat_months`` months (0: once). A first run in the past runs at the
    next scheduler tick."""
    errors: list[FieldError] = []
    name = _clean_text(data.name, "name", errors, limit=200)
    survey = _clean_survey(organization, data.survey_id, errors)
    channel = _clean_channel(data.channel, errors)
    segment = clean_attribute_filter(data.segment, "segment", errors)
    percent = _clean_percent(data.sample_percent, errors)
    sample_by = data.sample_by.strip()
    if sample_by and not is_attribute_name(sample_by):
        errors.append(FieldError("sample_by", _("Unknown attribute name.")))
    repeat = _clean_int(data.repeat_months, "repeat_months", errors, low=0, high=MAX_REPEAT_MONTHS)
    first_run_at = data.first_run_at
    if first_run_at is None:
        errors.append(FieldError("first_run_at", _("This field is required.")))
    elif timezone.is_naive(first_run_at):
        first_run_at = timezone.make_aware(first_run_at, ZoneInfo(organization.time_zone))
    if errors or survey is None or first_run_at is None:
        raise InputError(errors)
    return Wave.objects.create(
        organization=organization,
        name=name,
        survey=survey,
        channel=channel,
        segment=segment,
        sample_percent=percent,
        sample_by=sample_by,
        first_run_at=first_run_at,
        repeat_months=repeat,
        next_run_at=first_run_at,
    )


def wave_set_active(*, wave: Wave, active: bool) -> Wave:
    """Stop a wave (no further runs) or resume it from its next slot."""
    Wave.objects.filter(pk=wave.pk).update(active=active)
    wave.refresh_from_db()
    return wave


def _claim_due_run(wave_id: int, now: datetime) -> WaveRun | None:
    """Create the run of the wave's due slot and move the wave to its next slot, under
    the wave's row lock; None when another scheduler got there first."""
    with transaction.atomic():
        wave = (
            Wave.objects.select_for_update()
            .select_related("organization")
            .filter(pk=wave_id, active=True, next_run_at__lte=now)
            .first()
        )
        if wave is None or wave.next_run_at is None:
            return None
        planned_for = wave.next_run_at
        run, created = WaveRun.objects.get_or_create(
            wave=wave, planned_for=planned_for, defaults={"started_at": now, "claimed_at": now}
        )
        schedule = WaveSchedule(
            first_run_at=wave.first_run_at,
            repeat_months=wave.repeat_months,
            zone=ZoneInfo(wave.organization.time_zone),
        )
        wave.next_run_at = schedule.next_after(planned_for, now)
        wave.save(update_fields=["next_run_at"])
    return run if created else None


def _wave_population(wave: Wave) -> dict[str, list[int]]:
    contacts = Contact.objects.filter(organization_id=wave.organization_id)
    for name, values in (wave.segment or {}).items():
        contacts = contacts.filter(**{f"attributes__{name}__in": list(values)})
    strata: dict[str, list[int]] = {}
    if wave.sample_by:
        rows = contacts.annotate(stratum=KT(f"attributes__{wave.sample_by}")).values_list(
            "pk", "stratum"
        )
        for pk, stratum in rows.iterator(chunk_size=5000):
            strata.setdefault(stratum or "", []).append(pk)
    else:
        strata[""] = list(contacts.values_list("pk", flat=True))
    return strata


def _run_execute(run_id: int, now: datetime) -> WaveRun:
    run = WaveRun.objects.select_related("wave__survey__organization").get(pk=run_id)
    wave = run.wave
    chosen = stratified_sample(
        _wave_population(wave), percent=float(wave.sample_percent), seed=wave_batch_key(run.pk)
    )
    skipped: Counter[str] = Counter()
    queued = 0
    if wave.survey.status != SurveyStatus.ACTIVE:
        skipped[SURVEY_INACTIVE] = len(chosen)
    for start in range(0, 0 if skipped else len(chosen), WAVE_CHUNK):
        for contact in Contact.objects.filter(pk__in=chosen[start : start + WAVE_CHUNK]).order_by(
            "pk"
        ):
            if wave.channel == InvitationChannel.EMAIL and not contact.email:
                skipped[NO_EMAIL] += 1
                continue
            if wave.channel == InvitationChannel.SMS and not contact.phone:
                skipped[NO_PHONE] += 1
                continue
            invitation, _created = invitation_create(
                survey=wave.survey,
                contact=contact,
                channel=wave.channel,
                batch_key=wave_batch_key(run.pk),
                now=now,
            )
            if invitation.status == InvitationStatus.SKIPPED:
                skipped[invitation.reason] += 1
            else:
                queued += 1
    # Absolute counts, not increments: a resumed run recounts the same invitations.
    run.selected = len(chosen)
    run.queued = queued
    run.skipped = sum(skipped.values())
    run.skipped_by_reason = dict(sorted(skipped.items()))
    run.finished_at = now
    run.save(update_fields=["selected", "queued", "skipped", "skipped_by_reason", "finished_at"])
    return run


def waves_run_due(*, now: datetime | None = None) -> list[WaveRun]:
    """Run every wave whose next slot is due at ``now``, and resume interrupted runs.

    Safe to call from several schedulers at once and as often as wanted: a slot becomes
    a run once (unique (wave, planned_for), claimed under the wave's row lock), and a run's
    invitations share the batch key ``wave-run:<run id>``, so resuming a run after a crash
    picks the same sample and invites nobody twice. Returns the runs executed.
    """
    now = now or timezone.now()
    executed: list[WaveRun] = []
    due = Wave.objects.filter(active=True, next_run_at__lte=now).order_by("next_run_at", "pk")
    for wave_id in list(due.values_list("pk", flat=True)):
        run = _claim_due_run(wave_id, now)
        if run is not None:
            executed.append(_run_execute(run.pk, now))
    stale = WaveRun.objects.filter(finished_at__isnull=True, claimed_at__lte=now - RUN_LEASE)
    for run_id in list(stale.values_list("pk", flat=True)):
        # A conditional update is the claim: of two schedulers, one changes the row.
        if stale.filter(pk=run_id).update(claimed_at=now):
            executed.append(_run_execute(run_id, now))
    return executed


def waves_scheduler_tick(now: datetime | None = None) -> int:
    """The scheduler's periodic job (``register_periodic("campaigns.waves", …)``): run the
    due waves, resume interrupted runs; returns how many runs were executed. Callable with
    no argument or with ``now``, positionally or by name."""
    return len(waves_run_due(now=now))
