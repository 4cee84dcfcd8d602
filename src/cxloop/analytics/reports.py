"""Dashboard reports: a MetricQuery answered with figures (value, n, CI) and comparisons."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext as _

from cxloop.analytics.figures import (
    STATISTICS,
    Figure,
    FigureComparison,
    compare_figures,
    figure_of,
)
from cxloop.analytics.histograms import Histogram
from cxloop.analytics.metrics import score_distribution
from cxloop.analytics.queries import MetricHistograms, MetricQuery
from cxloop.common.errors import InputError

METRIC_QUESTION_TYPES = {"nps": ("nps", "nps_plus"), "csat": ("csat",), "ces": ("ces",)}
DEFAULT_SCALES = {"nps": 10, "csat": 5, "ces": 7}


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    start: date
    end: date  # inclusive; the last point ends at the query's end date
    figure: Figure
    histogram: Histogram


@dataclass(frozen=True, slots=True)
class GroupRow:
    value: str
    figure: Figure
    histogram: Histogram


@dataclass(frozen=True, slots=True)
class MetricReport:
    query: MetricQuery
    scale: int
    statistic: str
    overall: Figure
    histogram: Histogram
    distribution: tuple[tuple[int, int, float], ...]
    previous: Figure | None
    comparison: FigureComparison | None
    series: tuple[SeriesPoint, ...]
    groups: tuple[GroupRow, ...]  # best first; rows below 30 answers are flagged low_sample
    source: str  # "rollup" or "scan": how the figures were computed


def next_period_start(start: date, interval: str) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(days=7)
    months = 1 if interval == "month" else 3
    month_index = start.month - 1 + months
    return date(start.year + month_index // 12, month_index % 12 + 1, 1)


def period_start(day: date, interval: str) -> date:
    """The first day of the period `day` falls in (ISO weeks start on Monday)."""
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


def build_report(
    query: MetricQuery,
    histograms: MetricHistograms,
    *,
    scale: int,
    statistic: str,
    source: str,
) -> MetricReport:
    def figure(histogram: Histogram) -> Figure:
        return figure_of(query.metric, histogram, scale=scale, statistic=statistic)

    overall = figure(histograms.overall)
    previous = figure(histograms.previous) if histograms.previous is not None else None
    comparison = compare_figures(previous, overall) if previous is not None else None
    series = []
    for start, histogram in histograms.series:
        end = min(
            next_period_start(start, query.interval or "day") - timedelta(days=1), query.date_to
        )
        series.append(SeriesPoint(max(start, query.date_from), end, figure(histogram), histogram))
    groups = [GroupRow(value, figure(h), h) for value, h in histograms.groups]
    groups.sort(
        key=lambda row: (row.figure.value is None, -(row.figure.value or 0.0), -row.figure.n)
    )
    low, high = (0, 10) if query.metric == "nps" else (1, scale)
    return MetricReport(
        query=query,
        scale=scale,
        statistic=statistic,
        overall=overall,
        histogram=histograms.overall,
        distribution=score_distribution(histograms.overall.as_mapping(), low=low, high=high),
        previous=previous,
        comparison=comparison,
        series=tuple(series),
        groups=tuple(groups),
        source=source,
    )


def resolve_scale(metric: str, scales: set[int]) -> int:
    """Surveys combined in one figure must share a scale (a 5- and a 7-point CSAT differ)."""
    if metric == "nps" or not scales:
        return DEFAULT_SCALES[metric]
    if len(scales) > 1:
        raise InputError.single(
            "survey",
            _("These surveys use different %(metric)s scales (%(scales)s); choose one survey.")
            % {"metric": metric.upper(), "scales": ", ".join(str(s) for s in sorted(scales))},
        )
    return scales.pop()


def resolve_statistic(metric: str, requested: str | None) -> str:
    allowed = STATISTICS[metric]
    if not requested:
        return allowed[0]
    if requested not in allowed:
        raise InputError.single(
            "statistic", _("Use one of: %(options)s.") % {"options": ", ".join(allowed)}
        )
    return requested
