"""What a dashboard asks: one frozen query, parsed from the URL, answered by the engine.

The same parameters drive the web dashboard and GET /api/v1/metrics, so a bookmarked view
and an API call mean the same thing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from django.utils.translation import gettext as _

from cxloop.analytics.histograms import METRICS, Histogram
from cxloop.common.errors import FieldError, InputError
from cxloop.responses.filters import ResponseFilters, parse_response_filters

INTERVALS: tuple[str, ...] = ("day", "week", "month", "quarter")
DEFAULT_RANGE_DAYS = 90
MAX_RANGE_DAYS = 366 * 10


@dataclass(frozen=True, slots=True)
class MetricQuery:
    metric: str
    survey_ids: tuple[int, ...]
    date_from: date
    date_to: date
    filters: ResponseFilters  # attribute, category, language and comment filters (no dates)
    interval: str | None = None
    group_by: str | None = None
    compare: bool = False
    weight_attribute: str | None = None

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    def previous(self) -> "MetricQuery":
        """The period of equal length just before this one."""
        return replace(
            self,
            date_from=self.date_from - timedelta(days=self.days),
            date_to=self.date_from - timedelta(days=1),
        )


@dataclass(frozen=True, slots=True)
class MetricHistograms:
    overall: Histogram
    previous: Histogram | None
    series: tuple[tuple[date, Histogram], ...]  # (period start, histogram), chronological
    groups: tuple[tuple[str, Histogram], ...]  # (attribute value, histogram), by value


def default_interval(days: int) -> str:
    if days <= 31:
        return "day"
    if days <= 190:
        return "week"
    return "month"


def parse_metric_query(
    params: Mapping[str, Sequence[str]],
    *,
    today: date,
    survey_ids: tuple[int, ...],
    known_attributes: frozenset[str],
) -> MetricQuery:
    """Validate dashboard parameters; raise InputError naming each bad one.

    metric=nps|csat|ces; from, to (dates in the organization's time zone, inclusive; default
    the last 90 days); interval=day|week|month|quarter; group_by=<attribute>|language;
    attr.<name>=<value> (repeatable); category; lang; has_comment; compare=previous;
    weight=<numeric attribute>.
    """
    errors: list[FieldError] = []

    def first(name: str) -> str:
        values = params.get(name) or [""]
        return values[0].strip()

    metric = first("metric") or "nps"
    if metric not in METRICS:
        errors.append(FieldError("metric", _("Use nps, csat or ces.")))
    interval = first("interval") or None
    if interval is not None and interval not in INTERVALS:
        errors.append(FieldError("interval", _("Use day, week, month or quarter.")))
    group_by = first("group_by") or None
    if group_by is not None and group_by != "language" and group_by not in known_attributes:
        errors.append(
            FieldError("group_by", _("Unknown attribute: %(name)s.") % {"name": group_by})
        )
    compare = first("compare")
    if compare not in ("", "previous", "none"):
        errors.append(FieldError("compare", _("Use compare=previous.")))
    weight = first("weight") or None
    if weight is not None and weight not in known_attributes:
        errors.append(FieldError("weight", _("Unknown attribute: %(name)s.") % {"name": weight}))
    try:
        filters = parse_response_filters(params)
    except InputError as error:
        errors.extend(error.errors)
        filters = ResponseFilters()
    for name, _values in filters.attributes:
        if name not in known_attributes:
            errors.append(
                FieldError(f"attr.{name}", _("Unknown attribute: %(name)s.") % {"name": name})
            )
    date_to = filters.date_to or today
    date_from = filters.date_from or (date_to - timedelta(days=DEFAULT_RANGE_DAYS - 1))
    if date_from > date_to and not any(e.field in ("from", "to") for e in errors):
        errors.append(FieldError("from", _("The start date is after the end date.")))
    elif (date_to - date_from).days > MAX_RANGE_DAYS:
        errors.append(FieldError("from", _("Choose a range of at most ten years.")))
    if errors:
        raise InputError(errors)
    return MetricQuery(
        metric=metric,
        survey_ids=survey_ids,
        date_from=date_from,
        date_to=date_to,
        filters=replace(filters, date_from=None, date_to=None),
        interval=interval or default_interval((date_to - date_from).days + 1),
        group_by=group_by,
        compare=compare == "previous",
        weight_attribute=weight,
    )
