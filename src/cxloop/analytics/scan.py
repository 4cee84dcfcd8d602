"""Figures computed straight from the raw responses (SQL GROUP BY).

This is the reference the rollups are tested against, the fallback for questions the
rollups do not cover (weights, non-dimension attributes, cross-metric filters), and the
"plain scan" the benchmark compares with.
"""

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import TruncDay, TruncMonth, TruncQuarter, TruncWeek

from cxloop.analytics.histograms import Histogram, category_scores
from cxloop.analytics.queries import MetricHistograms, MetricQuery
from cxloop.analytics.reports import period_start
from cxloop.responses.models import Response

SCORE_COLUMNS = {"nps": "nps_score", "csat": "csat_score", "ces": "ces_score"}
TRUNCATIONS = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter}


def time_range(date_from: date, date_to: date, time_zone: ZoneInfo) -> Q:
    start = datetime.combine(date_from, time.min, time_zone)
    end = datetime.combine(date_to + timedelta(days=1), time.min, time_zone)
    return Q(submitted_at__gte=start, submitted_at__lt=end)


def scan_base(
    query: MetricQuery, *, organization_id: int, time_zone: ZoneInfo
) -> QuerySet[Response]:
    column = SCORE_COLUMNS[query.metric]
    base = Response.objects.filter(
        organization_id=organization_id,
        survey_id__in=query.survey_ids,
        **{f"{column}__isnull": False},
    ).filter(query.filters.to_q(time_zone=time_zone))
    if query.metric == "nps" and query.filters.categories:
        base = base.filter(**{f"{column}__in": sorted(category_scores(query.filters.categories))})
    elif query.filters.categories:
        # An NPS category filter on another metric: only responses that also gave an NPS score.
        base = base.filter(nps_score__in=sorted(category_scores(query.filters.categories)))
    return base


def _histogram(metric: str, rows: QuerySet[Response]) -> Histogram:
    column = SCORE_COLUMNS[metric]
    counts = dict(rows.values_list(column).annotate(n=Count("id")).order_by())
    return Histogram.from_mapping(metric, counts)


def response_weight(raw: object) -> float:
    """A response's weight from its weight attribute; missing or unusable counts as 1."""
    try:
        weight = float(str(raw))
    except (TypeError, ValueError):
        return 1.0
    return weight if weight > 0 and weight != float("inf") else 1.0


class _WeightedCounts:
    def __init__(self, metric: str) -> None:
        self.metric = metric
        self.counts: dict[int, int] = defaultdict(int)
        self.weights: dict[int, float] = defaultdict(float)
        self.squares: dict[int, float] = defaultdict(float)

    def add(self, score: int, weight: float) -> None:
        self.counts[score] += 1
        self.weights[score] += weight
        self.squares[score] += weight * weight

    def histogram(self) -> Histogram:
        plain = Histogram.from_mapping(self.metric, self.counts)
        scores = range(plain.low, plain.low + len(plain.counts))
        return Histogram(
            plain.low,
            plain.counts,
            tuple(self.weights.get(s, 0.0) for s in scores),
            tuple(self.squares.get(s, 0.0) for s in scores),
        )


def _weighted_scan(
    query: MetricQuery, base: QuerySet[Response], time_zone: ZoneInfo
) -> MetricHistograms:
    """Weighted figures need each response's weight: read the rows and add up in Python."""
    column = SCORE_COLUMNS[query.metric]
    weight_of = KeyTextTransform(query.weight_attribute, "attributes")

    def collect(
        rows: QuerySet[Response],
    ) -> tuple[_WeightedCounts, dict[Any, _WeightedCounts], dict[Any, _WeightedCounts]]:
        overall = _WeightedCounts(query.metric)
        by_period: dict[Any, _WeightedCounts] = defaultdict(lambda: _WeightedCounts(query.metric))
        by_group: dict[Any, _WeightedCounts] = defaultdict(lambda: _WeightedCounts(query.metric))
        fields: dict[str, Any] = {"w": weight_of}
        if query.group_by:
            fields["g"] = (
                F("language")
                if query.group_by == "language"
                else KeyTextTransform(query.group_by, "attributes")
            )
        for submitted_at, score, weight, *group in (
            rows.annotate(**fields)
            .values_list("submitted_at", column, *fields)
            .iterator(chunk_size=5000)
        ):
            w = response_weight(weight)
            overall.add(score, w)
            if query.interval:
                day = submitted_at.astimezone(time_zone).date()
                by_period[period_start(day, query.interval)].add(score, w)
            if group and group[0] is not None:
                by_group[str(group[0])].add(score, w)
        return overall, by_period, by_group

    overall, by_period, by_group = collect(
        base.filter(time_range(query.date_from, query.date_to, time_zone))
    )
    previous = None
    if query.compare:
        earlier = query.previous()
        previous = collect(base.filter(time_range(earlier.date_from, earlier.date_to, time_zone)))[
            0
        ].histogram()
    return MetricHistograms(
        overall=overall.histogram(),
        previous=previous,
        series=tuple((day, c.histogram()) for day, c in sorted(by_period.items())),
        groups=tuple((value, c.histogram()) for value, c in sorted(by_group.items())),
    )


def scan_histograms(
    query: MetricQuery, *, organization_id: int, time_zone: ZoneInfo
) -> MetricHistograms:
    column = SCORE_COLUMNS[query.metric]
    base = scan_base(query, organization_id=organization_id, time_zone=time_zone)
    if query.weight_attribute:
        return _weighted_scan(query, base, time_zone)
    in_range = base.filter(time_range(query.date_from, query.date_to, time_zone))
    overall = _histogram(query.metric, in_range)
    previous = None
    if query.compare:
        earlier = query.previous()
        previous = _histogram(
            query.metric, base.filter(time_range(earlier.date_from, earlier.date_to, time_zone))
        )
    series: tuple[tuple[date, Histogram], ...] = ()
    if query.interval:
        truncate = TRUNCATIONS[query.interval]
        by_period: dict[date, dict[int, int]] = defaultdict(dict)
        rows = (
            in_range.annotate(period=truncate("submitted_at", tzinfo=time_zone))
            .values_list("period", column)
            .annotate(n=Count("id"))
            .order_by()
        )
        for period, score, n in rows:
            day = period.date() if isinstance(period, datetime) else period
            by_period[day][score] = by_period[day].get(score, 0) + n
        series = tuple(
            (day, Histogram.from_mapping(query.metric, counts))
            for day, counts in sorted(by_period.items())
        )
    groups: tuple[tuple[str, Histogram], ...] = ()
    if query.group_by:
        if query.group_by == "language":
            grouped = in_range.values_list("language", column)
        else:
            grouped = in_range.annotate(
                group_value=KeyTextTransform(query.group_by, "attributes")
            ).values_list("group_value", column)
        by_value: dict[str, dict[int, int]] = defaultdict(dict)
        for value, score, n in grouped.annotate(n=Count("id")).order_by():
            if value is None:
                continue  # responses without this attribute are not a group
            by_value[str(value)][score] = by_value[str(value)].get(score, 0) + n
        groups = tuple(
            (value, Histogram.from_mapping(query.metric, counts))
            for value, counts in sorted(by_value.items())
        )
    return MetricHistograms(overall=overall, previous=previous, series=series, groups=groups)
