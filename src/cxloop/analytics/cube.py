"""Answering dashboard queries from rollups.

A date range is read as whole months (month rows) plus the days at its edges (day rows), so a
query touches at most ~12 rows per month of history and value, however many responses there
are. With no filter, or one dimension in play, the per-dimension ("marginal") rows answer;
several filters need the per-combination ("cell") rows. Anything else returns None and the
caller scans the raw responses.
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q, QuerySet, Sum

from cxloop.analytics.histograms import (
    METRIC_RANGES,
    Histogram,
    category_scores,
)
from cxloop.analytics.models import (
    COUNT_COLUMNS,
    DIMENSION_COLUMNS,
    CellRollup,
    Grain,
    MarginalRollup,
    RollupState,
)
from cxloop.analytics.queries import MetricHistograms, MetricQuery
from cxloop.analytics.reports import next_period_start, period_start
from cxloop.analytics.rollups import ALL, LANGUAGE, rollups_current
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


def period_condition(date_from: date, date_to: date, *, interval: str | None) -> Q:
    # Day and week series need day rows throughout; month and quarter series can use months.
    if interval in ("day", "week"):
        return Q(grain=Grain.DAY, period__gte=date_from, period__lte=date_to)
    pieces = split_range(date_from, date_to)
    condition = Q(grain=Grain.MONTH, period__in=pieces.months) if pieces.months else Q(pk__in=[])
    for start, end in pieces.day_spans:
        condition |= Q(grain=Grain.DAY, period__gte=start, period__lte=end)
    return condition


def period_arms(date_from: date, date_to: date, *, interval: str | None) -> list[Q]:
    """`period_condition` as separate single-range conditions (at most three).

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
) -> list[dict[str, Any]]:
    """Sums per `fields` of the rows in each arm, in one statement (UNION ALL of the arms).

    A key may come back once per arm: callers add the rows up. Without `fields` the rows are
    grouped by grain, which is constant within an arm.
    """
    group = list(fields) or ["grain"]
    parts = [rows.filter(arm).values(*group).annotate(**sums).order_by() for arm in arms]
    if not parts:
        return []
    if len(parts) == 1:
        return list(parts[0])
    return list(parts[0].union(*parts[1:], all=True))


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
    group_column = f"combination__{columns[query.group_by]}" if query.group_by else None
    return Plan("cell", "", (), cell_filters, group_column)


def _rows(plan: Plan, survey_ids: Iterable[int]) -> QuerySet[Any]:
    if plan.table == "marginal":
        marginal = MarginalRollup.objects.filter(
            survey_id__in=list(survey_ids), dimension=plan.dimension
        )
        if plan.values:
            marginal = marginal.filter(value__in=plan.values)
        return marginal
    # Filters select combinations (small, indexed per dimension); only their counts per
    # period are read, through the (combination, grain, period) key.
    cells = CellRollup.objects.filter(combination__survey_id__in=list(survey_ids))
    for column, values in plan.cell_filters.items():
        cells = cells.filter(**{f"combination__{column}__in": list(values)})
    return cells


def _histogram(metric: str, row: Mapping[str, Any], keep: set[int] | None) -> Histogram:
    low, _high = METRIC_RANGES[metric]
    counts = tuple(int(row[column] or 0) for column in bin_columns(metric))
    histogram = Histogram(low, counts)
    return histogram.only_scores(keep) if keep is not None else histogram


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
    base = _rows(plan, query.survey_ids)

    def total(date_from: date, date_to: date) -> Histogram:
        histogram = Histogram.empty(query.metric)
        for row in summed_rows(base, period_arms(date_from, date_to, interval=None), (), sums):
            histogram = histogram + _histogram(query.metric, row, keep)
        return histogram

    in_range = period_arms(query.date_from, query.date_to, interval=None)
    previous = None
    if query.compare:
        earlier = query.previous()
        previous = total(earlier.date_from, earlier.date_to)
    empty = Histogram.empty(query.metric)
    by_period: dict[date, Histogram] = defaultdict(lambda: empty)
    by_value: dict[str, Histogram] = defaultdict(lambda: empty)
    overall = empty
    # Month and quarter series read the same rows as the overall figure (whole months plus
    # edge days); day and week series read day rows throughout.
    series_reads_overall_rows = query.interval in (None, "month", "quarter")
    if plan.table == "cell" and plan.group_column and series_reads_overall_rows:
        # One read of the matching cells per (period, value) gives the series, the groups and
        # the overall figure (cells without the attribute, value "", count in it too).
        fields = ["period", plan.group_column] if query.interval else [plan.group_column]
        for row in summed_rows(base, in_range, fields, sums):
            histogram = _histogram(query.metric, row, keep)
            overall = overall + histogram
            if query.interval:
                start = period_start(row["period"], query.interval)
                by_period[start] = by_period[start] + histogram
            by_value[row[plan.group_column]] = by_value[row[plan.group_column]] + histogram
    else:
        if query.interval:
            series_arms = period_arms(query.date_from, query.date_to, interval=query.interval)
            for row in summed_rows(base, series_arms, ["period"], sums):
                histogram = _histogram(query.metric, row, keep)
                # The series' rows cover the range exactly once: they add up to the overall.
                overall = overall + histogram
                start = period_start(row["period"], query.interval)
                by_period[start] = by_period[start] + histogram
        else:
            overall = total(query.date_from, query.date_to)
        if plan.group_column:
            grouped = base
            if plan.table == "marginal" and plan.dimension == ALL and query.group_by:
                grouped = _rows(Plan("marginal", query.group_by, (), {}, "value"), query.survey_ids)
            for row in summed_rows(grouped, in_range, [plan.group_column], sums):
                value = row[plan.group_column]
                by_value[value] = by_value[value] + _histogram(query.metric, row, keep)
    series = tuple((start, h) for start, h in sorted(by_period.items()) if h.n)
    # Responses without the attribute are not a group (as in the scan).
    groups = tuple((value, h) for value, h in sorted(by_value.items()) if h.n and value != "")
    return MetricHistograms(overall=overall, previous=previous, series=series, groups=groups)


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
        _rows(plan, query.survey_ids),
        period_arms(query.date_from, query.date_to, interval=None),
        (),
        {column: Sum(column) for column in COUNT_COLUMNS},
    )
    for row in rows:
        for column in COUNT_COLUMNS:
            totals[column] += int(row[column] or 0)
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
