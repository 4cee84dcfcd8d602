"""Reads of automated distribution: rules, events, waves and their runs, response rates."""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import CharField, Count, F, Prefetch, QuerySet, Value
from django.db.models.functions import StrIndex, Substr
from django.utils.translation import gettext as _

from cxloop.analytics.metrics import ProportionResult, proportion
from cxloop.campaigns.models import Event, EventRule, Wave, WaveRun
from cxloop.campaigns.rules import RUN_LEASE
from cxloop.common.errors import FieldError, InputError
from cxloop.common.text import EARLIEST_DATE, LATEST_DATE
from cxloop.distribution.models import Invitation, InvitationStatus
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey

RUNS_SHOWN = 50
EVENTS_SHOWN = 50
DEFAULT_RANGE_DAYS = 90
# Invitations by status.
Counter_ = dict[str, int]
MAX_RANGE_DAYS = 366 * 10

# --- Rules, events, waves ------------------------------------------------------------------


def event_rule_list(*, organization: Organization) -> QuerySet[EventRule]:
    return EventRule.objects.filter(organization=organization).select_related("survey")


def event_rule_get(*, organization: Organization, rule_id: int) -> EventRule | None:
    return event_rule_list(organization=organization).filter(pk=rule_id).first()


def event_list(*, organization: Organization, limit: int = EVENTS_SHOWN) -> list[Event]:
    return list(
        Event.objects.filter(organization=organization)
        .select_related("contact")
        .order_by("-received_at", "-id")[:limit]
    )


def wave_list(*, organization: Organization) -> QuerySet[Wave]:
    return Wave.objects.filter(organization=organization).select_related("survey")


def wave_get(*, organization: Organization, wave_id: int) -> Wave | None:
    """The wave with its latest ``RUNS_SHOWN`` runs prefetched (``wave.latest_runs``)."""
    runs = WaveRun.objects.order_by("-planned_for", "-id")[:RUNS_SHOWN]
    return (
        wave_list(organization=organization)
        .prefetch_related(Prefetch("runs", queryset=runs, to_attr="latest_runs"))
        .filter(pk=wave_id)
        .first()
    )


# --- Response rates ------------------------------------------------------------------------
#
# Every figure counts Invitation rows created in the period, by the furthest stage each
# reached (its status moves forward only, see distribution.models.INVITATION_PROGRESS):
#   invited   = every invitation not skipped (queued, failed and everything sent);
#   sent      = sent or later: sent, delivered, opened, started, completed;
#   delivered = delivered or later; opened = opened or later; started = started or later;
#   completed = answered;  failed = sending failed;  skipped = never sent (fatigue, opt-out);
#   queued    = waiting to be sent.
# response rate = completed / sent (both as above): invitations still queued or that
# failed never reached anyone and are left out of the denominator. Its 95 % interval is
# the adjusted-Wald (Agresti-Coull) interval of analytics.metrics.proportion.

GROUPINGS: tuple[str, ...] = ("survey", "channel", "wave", "rule")

SENT_OR_LATER = frozenset(
    {
        InvitationStatus.SENT,
        InvitationStatus.DELIVERED,
        InvitationStatus.OPENED,
        InvitationStatus.STARTED,
        InvitationStatus.COMPLETED,
    }
)
STAGES: Mapping[str, frozenset[str]] = {
    "sent": SENT_OR_LATER,
    "delivered": frozenset(
        {
            InvitationStatus.DELIVERED,
            InvitationStatus.OPENED,
            InvitationStatus.STARTED,
            InvitationStatus.COMPLETED,
        }
    ),
    "opened": frozenset(
        {InvitationStatus.OPENED, InvitationStatus.STARTED, InvitationStatus.COMPLETED}
    ),
    "started": frozenset({InvitationStatus.STARTED, InvitationStatus.COMPLETED}),
    "completed": frozenset({InvitationStatus.COMPLETED}),
    "failed": frozenset({InvitationStatus.FAILED}),
    "skipped": frozenset({InvitationStatus.SKIPPED}),
    "queued": frozenset({InvitationStatus.QUEUED}),
}


@dataclass(frozen=True, slots=True)
class RateRow:
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
    rate: ProportionResult  # completed / sent, in percent with its 95 % interval


@dataclass(frozen=True, slots=True)
class ResponseRates:
    group_by: str
    date_from: date
    date_to: date
    survey_id: int | None
    overall: RateRow
    rows: tuple[RateRow, ...]


@dataclass(frozen=True, slots=True)
class RateQuery:
    group_by: str
    survey_id: int | None
    date_from: date
    date_to: date


def rate_row(key: str, label: str, by_status: Mapping[str, int]) -> RateRow:
    def at(stage: str) -> int:
        return sum(by_status.get(status, 0) for status in STAGES[stage])

    sent, completed = at("sent"), at("completed")
    return RateRow(
        key=key,
        label=label,
        invited=sum(n for status, n in by_status.items() if status != InvitationStatus.SKIPPED),
        queued=at("queued"),
        sent=sent,
        delivered=at("delivered"),
        opened=at("opened"),
        started=at("started"),
        completed=completed,
        failed=at("failed"),
        skipped=at("skipped"),
        rate=proportion(successes=completed, n=sent),
    )


def _parse_date(raw: str, field: str, errors: list[FieldError]) -> date | None:
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        errors.append(FieldError(field, _("Use a date like 2026-01-31.")))
        return None
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        errors.append(
            FieldError(
                field,
                _("Choose a date between %(first)s and %(last)s.")
                % {"first": EARLIEST_DATE.isoformat(), "last": LATEST_DATE.isoformat()},
            )
        )
        return None
    return value


def parse_rate_query(params: Mapping[str, Sequence[str]], *, today: date) -> RateQuery:
    """survey=<id>|all (default all); group_by=survey|channel|wave|rule (default channel);
    from, to: dates in the organization's time zone, inclusive (default the last 90 days).
    Raises InputError naming each bad parameter."""

    def first(name: str) -> str:
        values = params.get(name) or [""]
        return values[0].strip()

    errors: list[FieldError] = []
    group_by = first("group_by") or "channel"
    if group_by not in GROUPINGS:
        errors.append(FieldError("group_by", _("Use survey, channel, wave or rule.")))
    raw_survey = first("survey")
    survey_id: int | None = None
    if raw_survey not in ("", "all"):
        if raw_survey.isdigit() and len(raw_survey) < 19:
            survey_id = int(raw_survey)
        else:
            errors.append(FieldError("survey", _("Use a survey id or all.")))
    parsed_from = _parse_date(first("from"), "from", errors)
    parsed_to = _parse_date(first("to"), "to", errors)
    date_to = parsed_to or today
    date_from = parsed_from or date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    if not errors:
        if date_from > date_to:
            errors.append(FieldError("from", _("The start date is after the end date.")))
        elif (date_to - date_from).days > MAX_RANGE_DAYS:
            errors.append(FieldError("from", _("Choose a range of at most ten years.")))
    if errors:
        raise InputError(errors)
    return RateQuery(group_by, survey_id, date_from, date_to)


def _group_expression(group_by: str) -> F | Substr:
    if group_by == "survey":
        return F("survey_id")
    if group_by == "channel":
        return F("channel")
    if group_by == "wave":
        # "wave-run:<run id>" → the run id; runs are mapped to their waves afterwards.
        return Substr("batch_key", len("wave-run:") + 1)
    # "event:<event id>:rule:<rule id>" → the rule id.
    return Substr(
        "batch_key",
        StrIndex("batch_key", Value(":rule:")) + len(":rule:"),
        output_field=CharField(),
    )


def _labels(
    organization: Organization, group_by: str, keys: Iterable[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(label by key, key → group key): runs of one wave fold into the wave."""
    keys = [key for key in keys if key]
    if group_by == "channel":
        from cxloop.distribution.models import InvitationChannel

        names = dict(InvitationChannel.choices)
        return {key: str(names.get(key, key)) for key in keys}, {key: key for key in keys}
    ids = [int(key) for key in keys if key.isdigit()]
    if group_by == "survey":
        surveys = Survey.objects.filter(organization=organization, pk__in=ids)
        return {str(pk): name for pk, name in surveys.values_list("pk", "name")}, {
            key: key for key in keys
        }
    if group_by == "rule":
        rules = EventRule.objects.filter(organization=organization, pk__in=ids)
        labels = {str(pk): name for pk, name in rules.values_list("pk", "name")}
        return labels, {key: key for key in keys}
    runs = WaveRun.objects.filter(wave__organization=organization, pk__in=ids)
    labels = {}
    fold: dict[str, str] = {}
    for run_id, wave_id, name in runs.values_list("pk", "wave_id", "wave__name"):
        labels[str(wave_id)] = name
        fold[str(run_id)] = str(wave_id)
    return labels, fold


def survey_response_rates(
    *, organization: Organization, survey: Survey, date_from: date, date_to: date
) -> ResponseRates:
    """The response-rate panel of a survey's dashboard: by channel, in one query (the
    caller already found the survey within its organization)."""
    return response_rates(
        organization=organization,
        query=RateQuery("channel", survey.pk, date_from, date_to),
        survey_checked=True,
    )


def response_rates(
    *, organization: Organization, query: RateQuery, survey_checked: bool = False
) -> ResponseRates:
    """Invitation funnel and response rate per group (two queries: the counts and the
    group labels). Grouped by wave or rule, only invitations of waves or event rules
    count; a survey outside the organization raises LookupError (404)."""
    zone = ZoneInfo(organization.time_zone)
    invitations = Invitation.objects.filter(
        organization=organization,
        created_at__gte=datetime.combine(query.date_from, time.min, zone),
        created_at__lt=datetime.combine(query.date_to + timedelta(days=1), time.min, zone),
    )
    if query.survey_id is not None:
        if not survey_checked and not (
            Survey.objects.filter(organization=organization, pk=query.survey_id).exists()
        ):
            raise LookupError(query.survey_id)
        invitations = invitations.filter(survey_id=query.survey_id)
    if query.group_by == "wave":
        invitations = invitations.filter(batch_key__startswith="wave-run:")
    elif query.group_by == "rule":
        invitations = invitations.filter(
            batch_key__startswith="event:", batch_key__contains=":rule:"
        )
    counts = (
        invitations.annotate(group=_group_expression(query.group_by))
        .values("group", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    raw: dict[str, dict[str, int]] = {}
    for item in counts:
        raw.setdefault(str(item["group"]), {})[item["status"]] = item["n"]
    labels, fold = _labels(organization, query.group_by, raw) if raw else ({}, {})
    grouped: dict[str, Counter_] = {}
    total: Counter_ = {}
    for key, by_status in raw.items():
        target = grouped.setdefault(fold.get(key, key), {})
        for status, n in by_status.items():
            target[status] = target.get(status, 0) + n
            total[status] = total.get(status, 0) + n
    rows = [
        rate_row(key, labels.get(key) or _("(deleted)"), by_status)
        for key, by_status in grouped.items()
    ]
    rows.sort(key=lambda row: (-row.sent, row.label, row.key))
    return ResponseRates(
        group_by=query.group_by,
        date_from=query.date_from,
        date_to=query.date_to,
        survey_id=query.survey_id,
        overall=rate_row("all", _("All"), total),
        rows=tuple(rows),
    )


def waves_due_exist(*, now: datetime) -> bool:
    """Whether a wave's next run is due or a run was left unfinished past its lease."""
    return (
        Wave.objects.filter(active=True, next_run_at__lte=now).exists()
        or WaveRun.objects.filter(
            finished_at__isnull=True, claimed_at__lte=now - RUN_LEASE
        ).exists()
    )
