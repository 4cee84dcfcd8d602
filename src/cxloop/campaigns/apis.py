"""API of automated distribution: events, event rules, waves and response rates."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from cxloop.analytics.selectors import organization_today
from cxloop.campaigns.models import EventRule, Wave
from cxloop.campaigns.selectors import (
    RateRow,
    event_rule_get,
    event_rule_list,
    parse_rate_query,
    response_rates,
    wave_get,
    wave_list,
)
from cxloop.campaigns.services import (
    EventRuleInput,
    WaveInput,
    event_receive,
    event_rule_create,
    event_rule_delete,
    event_rule_update,
    wave_create,
)
from cxloop.surveys.apis import organization_of

events_router = Router(tags=["campaigns"])
rules_router = Router(tags=["campaigns"])
waves_router = Router(tags=["campaigns"])
rates_router = Router(tags=["campaigns"])


# --- Events --------------------------------------------------------------------------------


class EventIn(Schema):
    event: str = Field(description="the event name rules listen to, e.g. order_delivered")
    contact: dict[str, Any] = Field(
        description="upserted like POST /contacts: external_id, email, phone, name, "
        "language, time_zone, attributes"
    )
    attributes: dict[str, Any] = Field(
        default_factory=dict, description="copied onto the invitations, used by conditions"
    )
    occurred_at: datetime | None = Field(
        default=None, description="default now; naive times are in the organization's zone"
    )
    idempotency_key: str | None = Field(default=None, max_length=100)


class OutcomeOut(Schema):
    rule_id: int
    rule: str
    invitation_id: int | None
    scheduled_at: str | None
    skipped: bool
    reason: str = Field(
        description="skipped: opted_out, recently_invited, yearly_limit, no_email, no_phone, "
        "survey_inactive, conditions_not_met, duplicate; queued: quiet_hours when deferred"
    )


class EventOut(Schema):
    event_id: int
    event: str
    contact_id: int | None
    replayed: bool
    matches: list[OutcomeOut]


@events_router.post("", response={202: EventOut}, summary="Report an event")
def post_event(request: HttpRequest, payload: EventIn) -> Status[dict[str, Any]]:
    """Upserts the contact and applies every active rule for the event name: each either
    queues an invitation at `occurred_at` + its delay (`invitation_id`, `scheduled_at`) or
    says why not (`skipped`, `reason`). An event no rule listens to gives no matches. The
    same `idempotency_key` again returns the first answer with `replayed: true`."""
    receipt = event_receive(
        organization=organization_of(request),
        event=payload.event,
        contact=payload.contact,
        attributes=payload.attributes,
        occurred_at=payload.occurred_at,
        idempotency_key=payload.idempotency_key,
    )
    return Status(
        202,
        {
            "event_id": receipt.event.pk,
            "event": receipt.event.event,
            "contact_id": receipt.event.contact_id,
            "replayed": receipt.replayed,
            "matches": receipt.outcomes,
        },
    )


# --- Event rules ---------------------------------------------------------------------------


class EventRuleIn(Schema):
    name: str = Field(max_length=200)
    event: str = Field(description="e.g. order_delivered")
    survey: int = Field(description="survey id")
    channel: str = Field(description="email or sms")
    delay_minutes: int = Field(default=0, description="after the event; 120 = two hours")
    conditions: dict[str, list[str]] = Field(
        default_factory=dict,
        description='attribute → allowed values, all must hold, e.g. {"store": ["A"]}',
    )
    dedupe_days: int = Field(
        default=0, description="invite a contact through this rule at most once in N days"
    )
    active: bool = True

    def as_input(self) -> EventRuleInput:
        return EventRuleInput(
            name=self.name,
            event=self.event,
            survey_id=self.survey,
            channel=self.channel,
            delay_minutes=self.delay_minutes,
            conditions=self.conditions,
            dedupe_days=self.dedupe_days,
            active=self.active,
        )


class EventRuleOut(Schema):
    id: int
    name: str
    event: str
    survey: int = Field(alias="survey_id")
    channel: str
    delay_minutes: int
    conditions: dict[str, list[str]]
    dedupe_days: int
    active: bool
    created_at: datetime
    updated_at: datetime


def _rule_or_404(request: HttpRequest, rule_id: int) -> EventRule:
    rule = event_rule_get(organization=organization_of(request), rule_id=rule_id)
    if rule is None:
        raise Http404
    return rule


@rules_router.get("", response=list[EventRuleOut], summary="List event rules")
@paginate(LimitOffsetPagination)
def list_rules(request: HttpRequest) -> QuerySet[EventRule]:
    return event_rule_list(organization=organization_of(request))


@rules_router.post("", response={201: EventRuleOut}, summary="Create an event rule")
def create_rule(request: HttpRequest, payload: EventRuleIn) -> Status[EventRule]:
    rule = event_rule_create(organization=organization_of(request), data=payload.as_input())
    return Status(201, rule)


@rules_router.get("/{rule_id}", response=EventRuleOut, summary="Get an event rule")
def get_rule(request: HttpRequest, rule_id: int) -> EventRule:
    return _rule_or_404(request, rule_id)


@rules_router.put("/{rule_id}", response=EventRuleOut, summary="Replace an event rule")
def update_rule(request: HttpRequest, rule_id: int, payload: EventRuleIn) -> EventRule:
    """Set `active: false` to stop a rule and keep it."""
    return event_rule_update(rule=_rule_or_404(request, rule_id), data=payload.as_input())


@rules_router.delete("/{rule_id}", response={204: None}, summary="Delete an event rule")
def delete_rule(request: HttpRequest, rule_id: int) -> Status[None]:
    event_rule_delete(rule=_rule_or_404(request, rule_id))
    return Status(204, None)


# --- Waves ---------------------------------------------------------------------------------


class WaveIn(Schema):
    name: str = Field(max_length=200)
    survey: int = Field(description="survey id")
    channel: str = Field(description="email or sms")
    segment: dict[str, list[str]] = Field(
        default_factory=dict, description="attribute → values; empty: every contact"
    )
    sample_percent: Decimal = Field(default=Decimal(100), description="0 < p ≤ 100")
    sample_by: str = Field(
        default="",
        description="sample the percentage of each value of this attribute (e.g. store); "
        "every non-empty group gives at least one contact",
    )
    first_run_at: datetime = Field(description="naive times are in the organization's zone")
    repeat_months: int = Field(default=0, description="0: once; 3: quarterly")


class WaveRunOut(Schema):
    id: int
    planned_for: datetime
    started_at: datetime
    finished_at: datetime | None
    selected: int
    queued: int
    skipped: int
    skipped_by_reason: dict[str, int]


class WaveOut(Schema):
    id: int
    name: str
    survey: int = Field(alias="survey_id")
    channel: str
    segment: dict[str, list[str]]
    sample_percent: float
    sample_by: str
    first_run_at: datetime
    repeat_months: int
    next_run_at: datetime | None
    active: bool
    created_at: datetime


class WaveDetailOut(WaveOut):
    runs: list[WaveRunOut] = Field(alias="latest_runs")


@waves_router.get("", response=list[WaveOut], summary="List waves")
@paginate(LimitOffsetPagination)
def list_waves(request: HttpRequest) -> QuerySet[Wave]:
    return wave_list(organization=organization_of(request))


@waves_router.post("", response={201: WaveDetailOut}, summary="Create a wave")
def create_wave(request: HttpRequest, payload: WaveIn) -> Status[Wave]:
    """A send to a sample of a segment at `first_run_at`, then every `repeat_months`."""
    organization = organization_of(request)
    wave = wave_create(
        organization=organization,
        data=WaveInput(
            name=payload.name,
            survey_id=payload.survey,
            channel=payload.channel,
            segment=payload.segment,
            sample_percent=payload.sample_percent,
            sample_by=payload.sample_by,
            first_run_at=payload.first_run_at,
            repeat_months=payload.repeat_months,
        ),
    )
    wave.latest_runs = []  # type: ignore[attr-defined]
    return Status(201, wave)


@waves_router.get("/{wave_id}", response=WaveDetailOut, summary="Get a wave and its runs")
def get_wave(request: HttpRequest, wave_id: int) -> Wave:
    """The wave and its latest 50 runs, newest first, with their counts."""
    wave = wave_get(organization=organization_of(request), wave_id=wave_id)
    if wave is None:
        raise Http404
    return wave


# --- Response rates ------------------------------------------------------------------------


class RateOut(Schema):
    key: str
    label: str
    invited: int
    queued: int
    sent: int
    delivered: int
    opened: int
    started: int
    completed: int
    failed: int
    skipped: int
    response_rate: float | None = Field(description="completed / sent, in percent")
    ci_low: float | None
    ci_high: float | None
    low_sample: bool


class RatesOut(Schema):
    group_by: str
    survey: str
    from_: str = Field(alias="from")
    to: str
    overall: RateOut
    groups: list[RateOut]


def _rate_out(row: RateRow) -> dict[str, Any]:
    return {
        "key": row.key,
        "label": row.label,
        "invited": row.invited,
        "queued": row.queued,
        "sent": row.sent,
        "delivered": row.delivered,
        "opened": row.opened,
        "started": row.started,
        "completed": row.completed,
        "failed": row.failed,
        "skipped": row.skipped,
        "response_rate": row.rate.value,
        "ci_low": row.rate.ci_low,
        "ci_high": row.rate.ci_high,
        "low_sample": row.rate.low_sample,
    }


@rates_router.get("", response=RatesOut, by_alias=True, summary="Response rates")
def get_response_rates(request: HttpRequest) -> dict[str, Any]:
    """Invitations created from `from` to `to` (dates in the organization's time zone,
    inclusive; default the last 90 days) of `survey` (id, or `all`), grouped by
    `group_by` = channel (default) | survey | wave | rule. Counts are by the furthest
    stage reached (`sent` includes delivered, opened, started and completed);
    `response_rate` = completed / sent in percent, with its 95 % adjusted-Wald interval;
    queued and failed invitations are not in the denominator."""
    organization = organization_of(request)
    query = parse_rate_query(dict(request.GET.lists()), today=organization_today(organization))
    try:
        rates = response_rates(organization=organization, query=query)
    except LookupError as error:
        raise Http404 from error
    return {
        "group_by": rates.group_by,
        "survey": str(rates.survey_id) if rates.survey_id is not None else "all",
        "from": rates.date_from.isoformat(),
        "to": rates.date_to.isoformat(),
        "overall": _rate_out(rates.overall),
        "groups": [_rate_out(row) for row in rates.rows],
    }
