"""Answering dashboard queries from rollups.

A date range is read as whole months (month rows) plus the days at its edges (day rows), so a
query touches at most ~12 rows per month of history and value, however many responses there
are. With no filter, or one dimension in play, the per-dimension ("marginal") rows answer;
several filters need the per-combination ("cell") rows. Anything else returns None and the
caller scans the raw responses.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Q, QuerySet, Sum

from cxloop.analytics.histograms import (
    METRIC_RANGES,
    Histogram,
    category_scores,
)
from cxloop.analytics.models import (
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    CellCombination,
    CellRollup,
    Grain,
    MarginalRollup,
    RollupState,
)
from cxloop.analytics.queries import MetricHistograms, MetricQuery
from cxloop.analytics.reports import next_period_start, period_start
from cxloop.analytics.rollups import ALL, ANY_LANGUAGE, LANGUAGE, rollups_current
from cxloop.organizations.models import Organization


def bin_columns(metric: str) -> list[str]:
    low, high = METRIC_RANGES[metric]
    return [f"{metric}_{score}" for score in range(low, high + 1)]


@dataclass(frozen=True, slots=True)
class RangePieces:
    months: tuple[date, ...]  # first days of months wholly inside the range
    day_spans: tuple[tuple[date, date], ...]  # inclusive spans read from day rows


def split_range(date_from: date, date_to: date) -> RangePieces:
    months: list[date] = []
    spans: list[tuple[date, date]] = []
    first_whole = date_from if date_from.day == 1 else next_period_start(date_from, "month")
    cursor = first_whole
    while next_period_start(cursor, "month") - timedelta(days=1) <= date_to:
        months.append(cursor)
        cursor = next_period_start(cursor, "month")
    if not months:
        return RangePieces((), ((date_from, date_to),))
    if date_from < months[0]:
        spans.append((date_from, months[0] - timedelta(days=1)))
    if cursor <= date_to:
        spans.append((cursor, date_to))
    return RangePieces(tuple(months), tuple(spans))


def period_arms(date_from: date, date_to: date, *, interval: str | None) -> list[Q]:
    """The rows of a date range as single-range conditions (at most three): whole months from
    month rows, the edge days from day rows; day and week series read day rows throughout.

    Each is one contiguous range of the (…, grain, period) keys, so the database reads exactly
    the rows in range through the index, also on the inner side of a join; an OR of them
    leaves PostgreSQL and SQLite filtering every row of a combination instead.
    """
    if interval in ("day", "week"):
        return [Q(grain=Grain.DAY, period__gte=date_from, period__lte=date_to)]
    pieces = split_range(date_from, date_to)
    arms = [
        Q(grain=Grain.DAY, period__gte=start, period__lte=end) for start, end in pieces.day_spans
    ]
    if pieces.months:
        # Whole months are consecutive, and month rows exist only on their first day.
        arms.append(
            Q(grain=Grain.MONTH, period__gte=pieces.months[0], period__lte=pieces.months[-1])
        )
    return arms


def summed_rows(
    rows: QuerySet[Any], arms: Sequence[Q], fields: Sequence[str], sums: Mapping[str, Sum]
) -> list[tuple[Any, ...]]:
    """(*fields, *sums) per `fields` of the rows in each arm, in one statement (UNION ALL of
    the arms).

    A key may come back once per arm: callers add the rows up. Without `fields` the rows are
    grouped by grain (constant within an arm), which then comes first. A "period" field comes
    back as a date.
    """
    group = list(fields) or ["grain"]
    parts = [
        rows.filter(arm).values(*group).annotate(**sums).values_list(*group, *sums).order_by()
        for arm in arms
    ]
    if not parts:
        return []
    combined = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    try:
        sql, params = combined.query.get_compiler(combined.db).as_sql()
    except EmptyResultSet:
        return []
    # The ORM's statement, read without its per-value converters: a breakdown returns
    # thousands of rows of a dozen sums each, and converting them one by one cost as much as
    # the database's work. Sums are integers on both databases; only dates need parsing.
    with connections[combined.db].cursor() as cursor:
        cursor.execute(sql, params)
        fetched: list[tuple[Any, ...]] = cursor.fetchall()
    if "period" not in group:
        return fetched
    at = group.index("period")
    dates: dict[Any, date] = {}
    for index, row in enumerate(fetched):
        value = row[at]
        day = dates.get(value)
        if day is None:
            day = dates[value] = value if isinstance(value, date) else date.fromisoformat(value)
        fetched[index] = (*row[:at], day, *row[at + 1 :])
    return fetched


# Above this many matching combinations their ids are not sent as a list (the database joins
# them instead): SQLite allows 32,766 parameters, and a list is repeated per period range.
MAX_LISTED_COMBINATIONS = 5000


@dataclass(frozen=True, slots=True)
class Plan:
    table: str  # "marginal" or "cell"
    dimension: str  # marginal: which dimension's rows
    values: tuple[str, ...]  # marginal: restrict to these values ("" = all rows)
    cell_filters: Mapping[str, tuple[str, ...]]  # cell: column → allowed values
    group_column: str | None


def plan_for(query: MetricQuery, dimensions: Sequence[str]) -> Plan | None:
    """Which rollup rows answer the query, or None when only a raw scan can."""
    filters = query.filters
    if query.weight_attribute or (filters.categories and query.metric != "nps"):
        return None
    columns = {name: DIMENSION_COLUMNS[i] for i, name in enumerate(dimensions)}
    columns[LANGUAGE] = "language"
    conditions: dict[str, tuple[str, ...]] = dict(filters.attributes)
    if filters.language:
        conditions[LANGUAGE] = (filters.language,)
    names = set(conditions) | ({query.group_by} if query.group_by else set())
    if not names <= set(columns):
        return None
    if filters.has_comment is None and len(conditions) <= 1 and len(names) <= 1:
        if not conditions:
            # Totals come from the "all responses" rows even when grouping: responses
            # without the grouping attribute still count in the overall figure.
            return Plan("marginal", ALL, (ALL,), {}, "value" if query.group_by else None)
        ((name, values),) = conditions.items()
        return Plan("marginal", name, values, {}, "value" if query.group_by else None)
    cell_filters = {columns[name]: values for name, values in conditions.items()}
    if filters.has_comment is not None:
        cell_filters["has_comment"] = (filters.has_comment,)  # type: ignore[assignment]
    if LANGUAGE not in names and filters.has_comment is None:
        # Language and comments are not asked about: the combinations that count them all
        # together answer, a fraction as many rows.
        cell_filters["language"] = (ANY_LANGUAGE,)
    group_column = columns[query.group_by] if query.group_by else None
    return Plan("cell", "", (), cell_filters, group_column)


@dataclass(frozen=True, slots=True)
class Rows:
    """The rollup rows that answer a plan, the field they are grouped by for a breakdown, and
    how a value of that field becomes the attribute value it stands for."""

    rows: QuerySet[Any]
    group_field: str | None
    value_of: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _rows(plan: Plan, survey_ids: Iterable[int]) -> Rows:
    if plan.table == "marginal":
        marginal = MarginalRollup.objects.filter(
            survey_id__in=list(survey_ids), dimension=plan.dimension
        )
        if plan.values:
            marginal = marginal.filter(value__in=plan.values)
        return Rows(marginal, "value" if plan.group_column else None, _same)
    # Filters select combinations (small, indexed per dimension) once; only their counts per
    # period are then read, through the (combination, grain, period) index that holds them.
    combinations = CellCombination.objects.filter(survey_id__in=list(survey_ids))
    for column, values in plan.cell_filters.items():
        combinations = combinations.filter(**{f"{column}__in": list(values)})
    if ANY_LANGUAGE not in plan.cell_filters.get("language", ()):
        combinations = combinations.exclude(language=ANY_LANGUAGE)
    group = plan.group_column
    listed = list(combinations.values_list("pk", group or "pk")[: MAX_LISTED_COMBINATIONS + 1])
    if len(listed) > MAX_LISTED_COMBINATIONS:
        # Too many to pass as a list: the database joins them instead.
        joined = CellRollup.objects.filter(combination__in=combinations)
        return Rows(joined, f"combination__{group}" if group else None, _same)
    value_by_id = dict(listed)
    cells = CellRollup.objects.filter(combination_id__in=sorted(value_by_id))
    return Rows(cells, "combination_id" if group else None, value_by_id.__getitem__)


class _Sums:
    """Score counts added up per key as plain lists (a read can return thousands of rows),
    made into histograms once at the end."""

    def __init__(self, metric: str, keep: set[int] | None) -> None:
        self.metric = metric
        self.keep = keep
        self.by_key: dict[Any, list[Sequence[int]]] = {}

    def add(self, key: Any, counts: Sequence[int]) -> None:
        # Kept as they come and added up column by column at the end (in C, through zip/sum).
        rows = self.by_key.get(key)
        if rows is None:
            self.by_key[key] = [counts]
        else:
            rows.append(counts)

    def histogram(self, key: Any) -> Histogram:
        rows = self.by_key.get(key)
        if rows is None:
            return Histogram.empty(self.metric)
        counts = tuple(sum(column) for column in zip(*rows, strict=True))
        histogram = Histogram(METRIC_RANGES[self.metric][0], counts)
        return histogram.only_scores(self.keep) if self.keep is not None else histogram

    def histograms(self) -> list[tuple[Any, Histogram]]:
        """(key, histogram) by key, leaving out keys that count nothing."""
        pairs = [(key, self.histogram(key)) for key in sorted(self.by_key)]
        return [(key, histogram) for key, histogram in pairs if histogram.n]


def rollups_usable(survey_ids: Sequence[int], organization: Organization) -> bool:
    states = list(RollupState.objects.filter(survey_id__in=survey_ids))
    return len(states) == len(set(survey_ids)) and all(
        rollups_current(state, organization) for state in states
    )


def rollup_histograms(query: MetricQuery, *, organization: Organization) -> MetricHistograms | None:
    plan = plan_for(query, list(organization.analysis_dimensions)[: len(DIMENSION_COLUMNS)])
    if plan is None or not rollups_usable(query.survey_ids, organization):
        return None
    columns = bin_columns(query.metric)
    sums = {column: Sum(column) for column in columns}
    keep = category_scores(query.filters.categories) if query.filters.categories else None
    selected = _rows(plan, query.survey_ids)
    base = selected.rows

    def total(date_from: date, date_to: date) -> Histogram:
        sums_of_range = _Sums(query.metric, keep)
        for row in summed_rows(base, period_arms(date_from, date_to, interval=None), (), sums):
            sums_of_range.add(None, row[1:])
        return sums_of_range.histogram(None)

    in_range = period_arms(query.date_from, query.date_to, interval=None)
    previous = None
    if query.compare:
        earlier = query.previous()
        previous = total(earlier.date_from, earlier.date_to)
    overall = _Sums(query.metric, keep)
    by_period = _Sums(query.metric, keep)
    by_value = _Sums(query.metric, keep)
    interval = query.interval
    # Month and quarter series read the same rows as the overall figure (whole months plus
    # edge days); day and week series read day rows throughout.
    series_reads_overall_rows = interval in (None, "month", "quarter")
    group_field, value_of = selected.group_field, selected.value_of
    if plan.table == "cell" and group_field and series_reads_overall_rows:
        # One read of the matching cells per (period, value) gives the series, the groups and
        # the overall figure (cells without the attribute, value "", count in it too).
        if interval:
            for period, key, *counts in summed_rows(base, in_range, ["period", group_field], sums):
                overall.add(None, counts)
                by_period.add(period_start(period, interval), counts)
                by_value.add(value_of(key), counts)
        else:
            for key, *counts in summed_rows(base, in_range, [group_field], sums):
                overall.add(None, counts)
                by_value.add(value_of(key), counts)
    else:
        if interval:
            series_arms = period_arms(query.date_from, query.date_to, interval=interval)
            for period, *counts in summed_rows(base, series_arms, ["period"], sums):
                # The series' rows cover the range exactly once: they add up to the overall.
                overall.add(None, counts)
                by_period.add(period_start(period, interval), counts)
        else:
            for row in summed_rows(base, in_range, (), sums):
                overall.add(None, row[1:])
        if group_field:
            grouped = selected
            if plan.table == "marginal" and plan.dimension == ALL and query.group_by:
                by_dimension = Plan("marginal", query.group_by, (), {}, "value")
                grouped = _rows(by_dimension, query.survey_ids)
            for key, *counts in summed_rows(grouped.rows, in_range, [group_field], sums):
                by_value.add(grouped.value_of(key), counts)
    return MetricHistograms(
        overall=overall.histogram(None),
        previous=previous,
        series=tuple(by_period.histograms()),
        # Responses without the attribute are not a group (as in the scan).
        groups=tuple((value, h) for value, h in by_value.histograms() if value != ""),
    )


def rollup_totals(query: MetricQuery, *, organization: Organization) -> dict[str, int] | None:
    """Responses, comments and every score count of the query's range and filters, in one
    aggregate; None when the rollups cannot answer (the caller scans)."""
    if query.filters.categories:
        return None  # an NPS-category filter would need CSAT/CES counts per NPS score
    plan = plan_for(query, list(organization.analysis_dimensions)[: len(DIMENSION_COLUMNS)])
    if plan is None or not rollups_usable(query.survey_ids, organization):
        return None
    totals = dict.fromkeys(COUNT_COLUMNS, 0)
    rows = summed_rows(
        _rows(plan, query.survey_ids).rows,
        period_arms(query.date_from, query.date_to, interval=None),
        (),
        {column: Sum(column) for column in COUNT_COLUMNS},
    )
    for _grain, *counts in rows:
        for column, count in zip(COUNT_COLUMNS, counts, strict=True):
            totals[column] += int(count or 0)
    return totals


def first_rollup_day(survey_ids: Sequence[int]) -> date | None:
    """The first month with any rollup rows, so "all time" reads only months that exist."""
    first = (
        MarginalRollup.objects.filter(
            survey_id__in=list(survey_ids), dimension=ALL, grain=Grain.MONTH
        )
        .order_by("period")
        .values_list("period", flat=True)
        .first()
    )
    return first
