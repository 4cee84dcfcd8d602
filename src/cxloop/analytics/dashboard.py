"""What the dashboard pages show, built from a MetricReport: pure functions, no queries.

The filter bar is rebuilt from the raw query string (a wrong value stays in the form next to
its message); charts are ECharts options serialised as JSON. Options cannot carry functions,
so the few callbacks a chart needs are named ("fn:<name>") and supplied by dashboard.js.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.utils.html import escape
from django.utils.translation import gettext as _

from cxloop.analytics.figures import STATISTICS, Figure, FigureComparison
from cxloop.analytics.models import MetricTarget
from cxloop.analytics.presentation import CATEGORY_COLOURS
from cxloop.analytics.queries import INTERVALS
from cxloop.analytics.reasons import CategoryReasons, ReasonReport, ReasonShare
from cxloop.analytics.reports import METRIC_QUESTION_TYPES, MetricReport, SeriesPoint
from cxloop.analytics.templatetags.results import format_metric
from cxloop.common.errors import FieldError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES
from cxloop.responses.filters import ATTRIBUTE_PREFIX, CATEGORIES
from cxloop.responses.presentation import CATEGORY_LABELS, AttributeMenu, Option

QueryParams = Mapping[str, Sequence[str]]
METRICS: tuple[str, ...] = ("nps", "csat", "ces")
METRIC_NAMES: Mapping[str, str] = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}
PRESETS: tuple[str, ...] = ("last7", "last30", "last90", "last12m", "quarter", "ytd")
TARGET_KINDS: tuple[str, ...] = ("target", "benchmark")
TARGET_COLOURS: Mapping[str, str] = {"target": "#2456d6", "benchmark": "#7a4fb5"}
BAND_COLOUR = "#2456d6"
COUNT_COLOUR = "#c5cbd6"
# Parameters the dashboard form owns; anything else in the URL is kept as it is.
FORM_PARAMETERS = frozenset(
    {"metric", "statistic", "from", "to", "interval", "group_by", "category", "lang"}
    | {"has_comment", "compare", "survey"}
)


def _first(params: QueryParams, name: str) -> str:
    values = params.get(name) or [""]
    return values[0].strip()


def query_string(params: QueryParams, **changes: str | None) -> str:
    """The query string with some parameters replaced (None removes one); empty values are
    dropped so shared links stay short. Keyword `from_` stands for `from`."""
    merged: dict[str, list[str]] = {
        name: [value for value in values if value.strip()] for name, values in params.items()
    }
    for key, value in changes.items():
        name = "from" if key == "from_" else key
        if value is None or value == "":
            merged.pop(name, None)
        else:
            merged[name] = [value]
    return urlencode({name: values for name, values in merged.items() if values}, doseq=True)


# Presets -------------------------------------------------------------------------------


def _year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The inclusive dates a preset stands for, in the organization's calendar."""
    if preset == "last7":
        return today - timedelta(days=6), today
    if preset == "last30":
        return today - timedelta(days=29), today
    if preset == "last90":
        return today - timedelta(days=89), today
    if preset == "last12m":
        return _year_before(today) + timedelta(days=1), today
    if preset == "quarter":
        return date(today.year, (today.month - 1) // 3 * 3 + 1, 1), today
    if preset == "ytd":
        return date(today.year, 1, 1), today
    raise ValueError(preset)


def preset_label(preset: str) -> str:
    labels = {
        "last7": _("Last 7 days"),
        "last30": _("Last 30 days"),
        "last90": _("Last 90 days"),
        "last12m": _("Last 12 months"),
        "quarter": _("This quarter"),
        "ytd": _("Year to date"),
    }
    return labels[preset]


@dataclass(frozen=True, slots=True)
class Link:
    label: str
    query: str  # the query string the link leads to, without "?"
    selected: bool
    key: str = ""


def preset_links(params: QueryParams, today: date) -> tuple[Link, ...]:
    """Links that set from/to explicitly, so the URL (and the API call it mirrors) says the
    dates and a shared link shows the same figures tomorrow."""
    chosen = (_first(params, "from"), _first(params, "to"))
    links = []
    for preset in PRESETS:
        start, end = preset_range(preset, today)
        selected = chosen == (start.isoformat(), end.isoformat()) or (
            preset == "last90" and chosen == ("", "")
        )
        links.append(
            Link(
                label=preset_label(preset),
                query=query_string(params, from_=start.isoformat(), to=end.isoformat()),
                selected=selected,
                key=preset,
            )
        )
    return tuple(links)


def metrics_asked(question_types: Iterable[str]) -> tuple[str, ...]:
    """The metrics (nps, csat, ces) questions of these types measure."""
    asked = set(question_types)
    return tuple(m for m in METRICS if asked & set(METRIC_QUESTION_TYPES[m]))


def metric_tabs(params: QueryParams, available: Sequence[str]) -> tuple[Link, ...]:
    current = _first(params, "metric") or "nps"
    # A statistic belongs to one metric (csat top2box, ces agree): a tab resets it.
    return tuple(
        Link(
            label=METRIC_NAMES[metric],
            query=query_string(params, metric=metric, statistic=None),
            selected=metric == current,
            key=metric,
        )
        for metric in METRICS
        if metric in available or metric == current
    )


# Filter bar ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DashboardMessage:
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class DashboardFilters:
    date_from: str
    date_to: str
    statistics: tuple[Option, ...]  # empty for NPS: it has one statistic
    intervals: tuple[Option, ...]
    group_by: tuple[Option, ...]
    compare: tuple[Option, ...]
    categories: tuple[Option, ...]
    languages: tuple[Option, ...]
    has_comment: tuple[Option, ...]
    attributes: tuple[AttributeMenu, ...]
    surveys: tuple[Option, ...]  # the organization dashboard's survey picker
    metric: str
    messages: tuple[DashboardMessage, ...]
    active: bool  # any filter given: offers the "clear" link


def statistic_label(metric: str, statistic: str) -> str:
    labels = {
        ("nps", "nps"): _("Net Promoter Score"),
        ("csat", "top2box"): _("Top-2-box share (%)"),
        ("csat", "mean"): _("Mean score"),
        ("ces", "mean"): _("Mean score"),
        ("ces", "agree"): _("Agree it was easy (%)"),
    }
    return labels[(metric, statistic)]


def _message_label(field: str) -> str:
    if field.startswith(ATTRIBUTE_PREFIX):
        return field[len(ATTRIBUTE_PREFIX) :]
    labels = {
        "metric": _("Metric"),
        "statistic": _("Statistic"),
        "from": _("From"),
        "to": _("To"),
        "interval": _("Interval"),
        "group_by": _("Break down by"),
        "category": _("NPS category"),
        "lang": _("Language"),
        "has_comment": _("Comment"),
        "compare": _("Compare"),
        "survey": _("Survey"),
        "weight": _("Weight"),
        "value": _("Value"),
        "label": _("Label"),
        "kind": _("Kind"),
    }
    return labels.get(field, field)


def messages_of(errors: Sequence[FieldError]) -> tuple[DashboardMessage, ...]:
    return tuple(DashboardMessage(_message_label(e.field), e.message) for e in errors)


def _attribute_menus(
    params: QueryParams, values_by_name: Mapping[str, Sequence[str]]
) -> tuple[AttributeMenu, ...]:
    chosen = {
        name[len(ATTRIBUTE_PREFIX) :]: [value.strip() for value in values if value.strip()]
        for name, values in params.items()
        if name.startswith(ATTRIBUTE_PREFIX) and name[len(ATTRIBUTE_PREFIX) :]
    }
    menus = []
    for name in [*values_by_name, *(n for n in sorted(chosen) if n not in values_by_name)]:
        selected = chosen.get(name, [])
        known = list(values_by_name.get(name, ()))
        # A value from a shared link stays selectable even when no answer carries it now.
        values = known + [value for value in selected if value not in known]
        if not values:
            continue  # a dimension no answer carries: nothing to choose
        menus.append(
            AttributeMenu(
                name=name,
                field_name=f"{ATTRIBUTE_PREFIX}{name}",
                options=tuple(Option(value, value, value in selected) for value in values),
            )
        )
    return tuple(menus)


def _is_chosen(chosen: str, option: str, position: int) -> bool:
    """The chosen option, or the first (the default) when nothing is chosen."""
    return chosen == option or (not chosen and position == 0)


def dashboard_filters(
    params: QueryParams,
    *,
    dimensions: Sequence[str],
    attribute_values: Mapping[str, Sequence[str]],
    surveys: Sequence[tuple[int, str]] = (),
    errors: Sequence[FieldError] = (),
) -> DashboardFilters:
    metric = _first(params, "metric") or "nps"
    statistic = _first(params, "statistic")
    interval = _first(params, "interval")
    group_by = _first(params, "group_by")
    compare = _first(params, "compare") or "previous"
    language = _first(params, "lang")
    has_comment = _first(params, "has_comment")
    survey = _first(params, "survey")
    categories = {item.strip() for value in params.get("category", []) for item in value.split(",")}
    statistics = STATISTICS.get(metric, ())
    # Breaking down by a dimension no answer carries would only show an empty table.
    offered = [name for name in dimensions if attribute_values.get(name)]
    interval_names = {
        "day": _("Day"),
        "week": _("ISO week"),
        "month": _("Month"),
        "quarter": _("Quarter"),
    }
    return DashboardFilters(
        date_from=_first(params, "from"),
        date_to=_first(params, "to"),
        statistics=tuple(
            Option(name, statistic_label(metric, name), _is_chosen(statistic, name, i))
            for i, name in enumerate(statistics)
        )
        if len(statistics) > 1
        else (),
        intervals=(
            Option("", _("Automatic"), interval == ""),
            *(Option(name, str(interval_names[name]), interval == name) for name in INTERVALS),
        ),
        group_by=(
            Option("", _("Nothing"), group_by == ""),
            *(Option(name, name, group_by == name) for name in offered),
            Option("language", _("Language"), group_by == "language"),
            *(
                (Option(group_by, group_by, True),)
                if group_by and group_by != "language" and group_by not in offered
                else ()
            ),
        ),
        compare=(
            Option("previous", _("Previous period"), compare == "previous"),
            Option("none", _("No comparison"), compare == "none"),
        ),
        categories=tuple(
            Option(category, str(CATEGORY_LABELS[category]), category in categories)
            for category in CATEGORIES
        ),
        languages=(
            Option("", _("Any"), language == ""),
            *(Option(code, name, language == code) for code, name in SURVEY_LANGUAGE_NAMES.items()),
        ),
        has_comment=(
            Option("", _("Any"), has_comment == ""),
            Option("1", _("With a comment"), has_comment == "1"),
            Option("0", _("Without a comment"), has_comment == "0"),
        ),
        attributes=_attribute_menus(params, attribute_values),
        surveys=(
            (
                Option("", _("All surveys"), survey in ("", "all")),
                *(Option(str(pk), name, survey == str(pk)) for pk, name in surveys),
            )
            if surveys
            else ()
        ),
        metric=metric,
        messages=messages_of(errors),
        active=any(
            any(value.strip() for value in values)
            for name, values in params.items()
            if name in FORM_PARAMETERS - {"metric"} or name.startswith(ATTRIBUTE_PREFIX)
        ),
    )


def with_default_comparison(params: QueryParams) -> dict[str, list[str]]:
    """The dashboard compares with the previous period unless the URL says compare=none."""
    merged = {name: list(values) for name, values in params.items()}
    if not _first(params, "compare"):
        merged["compare"] = ["previous"]
    return merged


# Cards ---------------------------------------------------------------------------------


def is_percent(metric: str, statistic: str) -> bool:
    return (metric, statistic) in {("csat", "top2box"), ("ces", "agree")}


def metric_title(metric: str, statistic: str, scale: int) -> str:
    titles = {
        ("nps", "nps"): _("Net Promoter Score"),
        ("csat", "top2box"): _("CSAT top-2-box (1–%(scale)d)"),
        ("csat", "mean"): _("CSAT mean (1–%(scale)d)"),
        ("ces", "mean"): _("CES mean (1–%(scale)d)"),
        ("ces", "agree"): _("CES: agree it was easy (1–%(scale)d)"),
    }
    title = titles[(metric, statistic)]
    return title % {"scale": scale} if "%(scale)d" in title else title


def signed(value: float | None) -> str:
    """+3.2 / −1.0 / 0.0: a change always shows its sign."""
    if value is None:
        return format_metric(None)
    text = format_metric(value)
    return text if text.startswith("-") or text == "0.0" else f"+{text}"


@dataclass(frozen=True, slots=True)
class TargetComparison:
    kind: str
    kind_label: str
    label: str
    value: str  # formatted
    difference: str  # "+3.2", "—" without a current value
    met: bool | None


@dataclass(frozen=True, slots=True)
class ChangeView:
    previous: Figure
    comparison: FigureComparison | None
    difference: str
    direction: str  # up / down / flat / "" (no difference computable)
    significant: bool
    p_value: str


@dataclass(frozen=True, slots=True)
class HeadlineCard:
    title: str
    unit: str
    figure: Figure
    change: ChangeView | None
    targets: tuple[TargetComparison, ...]


def targets_apply(metric: str, statistic: str) -> bool:
    """Targets are entered for a metric's headline statistic: NPS, CSAT top-2-box, CES mean."""
    return statistic == STATISTICS[metric][0]


def target_comparisons(
    figure: Figure, targets: Mapping[str, MetricTarget]
) -> tuple[TargetComparison, ...]:
    kind_labels = {"target": _("Target"), "benchmark": _("Benchmark")}
    found = []
    for kind in TARGET_KINDS:
        target = targets.get(kind)
        if target is None:
            continue
        difference = figure.value - target.value if figure.value is not None else None
        found.append(
            TargetComparison(
                kind=kind,
                kind_label=kind_labels[kind],
                label=target.label,
                value=format_metric(target.value),
                difference=signed(difference),
                met=None if difference is None else difference >= 0,
            )
        )
    return tuple(found)


def headline_card(report: MetricReport, targets: Mapping[str, MetricTarget]) -> HeadlineCard:
    metric, statistic = report.query.metric, report.statistic
    change = None
    if report.previous is not None:
        comparison = report.comparison
        difference = comparison.difference if comparison is not None else None
        direction = ""
        if difference is not None:
            rounded = round(difference, 1)
            direction = "up" if rounded > 0 else "down" if rounded < 0 else "flat"
        p_value = comparison.p_value if comparison is not None else None
        change = ChangeView(
            previous=report.previous,
            comparison=comparison,
            difference=signed(difference),
            direction=direction,
            significant=bool(comparison and comparison.significant and p_value is not None),
            p_value="—" if p_value is None else f"{p_value:.3f}",
        )
    return HeadlineCard(
        title=metric_title(metric, statistic, report.scale),
        unit="%" if is_percent(metric, statistic) else "",
        figure=report.overall,
        change=change,
        targets=target_comparisons(report.overall, targets)
        if targets_apply(metric, statistic)
        else (),
    )


# Charts --------------------------------------------------------------------------------


def period_label(point: SeriesPoint, interval: str) -> str:
    if interval == "week":
        year, week, _weekday = point.start.isocalendar()
        return f"{year}-W{week:02d}"
    if interval == "month":
        return point.start.strftime("%Y-%m")
    if interval == "quarter":
        return f"{point.start.year} Q{(point.start.month - 1) // 3 + 1}"
    return point.start.isoformat()


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _figure_tooltip(title: str, figure: Figure, unit: str) -> str:
    """One escaped HTML tooltip: the value, its CI and n, exactly as the tables show them."""
    ci = (
        f"[{format_metric(figure.ci_low)}, {format_metric(figure.ci_high)}]"
        if figure.ci_low is not None and figure.ci_high is not None
        else "—"
    )
    value = format_metric(figure.value) + (unit if figure.value is not None else "")
    return (
        f"<strong>{escape(title)}</strong><br>{escape(value)} · 95 % CI {escape(ci)} · "
        f"n = {figure.n}"
    )


def _target_mark_lines(targets: Mapping[str, MetricTarget]) -> list[dict[str, Any]]:
    kind_labels = {"target": _("Target"), "benchmark": _("Benchmark")}
    lines = []
    for kind in TARGET_KINDS:
        target = targets.get(kind)
        if target is None:
            continue
        name = f"{kind_labels[kind]}: {target.label}" if target.label else kind_labels[kind]
        lines.append(
            {
                "name": name,
                "yAxis": target.value,
                "lineStyle": {"color": TARGET_COLOURS[kind], "type": "dashed"},
                "label": {"formatter": f"{name} {format_metric(target.value)}"},
            }
        )
    return lines


def trend_chart_options(
    report: MetricReport, targets: Mapping[str, MetricTarget]
) -> dict[str, Any]:
    """Value line with its 95 % CI band (a transparent base stacked with the band's width),
    answers per period as bars on a second axis, and target/benchmark lines."""
    interval = report.query.interval or "day"
    metric, statistic = report.query.metric, report.statistic
    unit = "%" if is_percent(metric, statistic) else ""
    labels = [period_label(point, interval) for point in report.series]
    lows = [_rounded(p.figure.ci_low) for p in report.series]
    widths = [
        _rounded(p.figure.ci_high - p.figure.ci_low)
        if p.figure.ci_low is not None and p.figure.ci_high is not None
        else None
        for p in report.series
    ]
    title = metric_title(metric, statistic, report.scale)
    value_series: dict[str, Any] = {
        "type": "line",
        "name": title,
        "data": [_rounded(p.figure.value) for p in report.series],
        "connectNulls": False,
        "symbolSize": 6,
        "z": 3,
    }
    if targets_apply(metric, statistic) and targets:
        value_series["markLine"] = {
            "symbol": "none",
            "silent": True,
            "data": _target_mark_lines(targets),
        }
    band_style = {"opacity": 0}
    return {
        "animation": False,
        "aria": {"enabled": True},
        "grid": {"left": 48, "right": 48, "top": 36, "bottom": 48},
        "legend": {"top": 0, "data": [title, _("95 % CI"), _("Answers")]},
        "tooltip": {"trigger": "axis", "formatter": "fn:rowTooltip"},
        "cxTooltips": [
            _figure_tooltip(label, point.figure, unit)
            for label, point in zip(labels, report.series, strict=True)
        ],
        "xAxis": {"type": "category", "data": labels, "boundaryGap": True},
        "yAxis": [
            {"type": "value", "name": title, "scale": True},
            {"type": "value", "name": _("Answers"), "minInterval": 1, "splitLine": {"show": False}},
        ],
        "series": [
            {
                "type": "bar",
                "name": _("Answers"),
                "yAxisIndex": 1,
                "data": [p.figure.n for p in report.series],
                "itemStyle": {"color": COUNT_COLOUR, "opacity": 0.6},
                "z": 1,
            },
            {
                "type": "line",
                "name": "ci-base",
                "data": lows,
                "stack": "ci",
                "stackStrategy": "all",
                "symbol": "none",
                "lineStyle": band_style,
                "silent": True,
                "z": 2,
            },
            {
                "type": "line",
                "name": _("95 % CI"),
                "data": widths,
                "stack": "ci",
                "stackStrategy": "all",
                "symbol": "none",
                "lineStyle": band_style,
                "areaStyle": {"color": BAND_COLOUR, "opacity": 0.15},
                "itemStyle": {"color": BAND_COLOUR},
                "silent": True,
                "z": 2,
            },
            value_series,
        ],
    }


def breakdown_chart_options(report: MetricReport) -> dict[str, Any]:
    """Horizontal bars, best first, with the 95 % CI drawn as an error bar on each."""
    metric, statistic = report.query.metric, report.statistic
    unit = "%" if is_percent(metric, statistic) else ""
    rows = list(report.groups)
    return {
        "animation": False,
        "aria": {"enabled": True},
        "grid": {"left": 16, "right": 24, "top": 16, "bottom": 32, "containLabel": True},
        "tooltip": {
            "trigger": "axis",
            "axisPointer": {"type": "shadow"},
            "formatter": "fn:rowTooltip",
        },
        "cxTooltips": [_figure_tooltip(row.value, row.figure, unit) for row in rows],
        "xAxis": {"type": "value"},
        "yAxis": {"type": "category", "inverse": True, "data": [row.value for row in rows]},
        "series": [
            {
                "type": "bar",
                "name": metric_title(metric, statistic, report.scale),
                "data": [
                    {
                        "value": _rounded(row.figure.value),
                        "itemStyle": {"opacity": 0.45 if row.figure.low_sample else 1},
                    }
                    for row in rows
                ],
                "itemStyle": {"color": BAND_COLOUR},
            },
            {
                "type": "custom",
                "name": _("95 % CI"),
                "renderItem": "fn:horizontalErrorBar",
                "encode": {"x": [1, 2], "y": 0},
                "data": [
                    [index, _rounded(row.figure.ci_low), _rounded(row.figure.ci_high)]
                    for index, row in enumerate(rows)
                    if row.figure.ci_low is not None and row.figure.ci_high is not None
                ],
                "z": 3,
            },
        ],
    }


def distribution_chart_options(report: MetricReport) -> dict[str, Any]:
    """Answers per score, 0–10 coloured by NPS category, or 1–scale for CSAT and CES."""
    nps = report.query.metric == "nps"

    def colour(score: int) -> str:
        if not nps:
            return BAND_COLOUR
        category = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
        return CATEGORY_COLOURS[category]

    return {
        "animation": False,
        "aria": {"enabled": True},
        "grid": {"left": 40, "right": 16, "top": 24, "bottom": 40},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {
            "type": "category",
            "name": _("Score"),
            "nameLocation": "middle",
            "nameGap": 28,
            "data": [str(score) for score, _count, _percent in report.distribution],
        },
        "yAxis": {"type": "value", "minInterval": 1, "name": _("Answers")},
        "series": [
            {
                "type": "bar",
                "name": _("Answers"),
                "data": [
                    {"value": count, "itemStyle": {"color": colour(score)}}
                    for score, count, _percent in report.distribution
                ],
            }
        ],
    }


def split_chart_options(report: MetricReport) -> dict[str, Any]:
    """Promoters, passives and detractors per period as 100 % stacked bars."""
    interval = report.query.interval or "day"
    names = {"promoter": _("Promoters"), "passive": _("Passives"), "detractor": _("Detractors")}
    return {
        "animation": False,
        "aria": {"enabled": True},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 40},
        "legend": {"top": 0},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {
            "type": "category",
            "data": [period_label(point, interval) for point in report.series],
        },
        "yAxis": {"type": "value", "max": 100, "name": "%"},
        "series": [
            {
                "type": "bar",
                "stack": "split",
                "name": names[category],
                "itemStyle": {"color": CATEGORY_COLOURS[category]},
                "data": [
                    _rounded(point.figure.details.get(f"{category}_pct")) for point in report.series
                ],
            }
            for category in CATEGORIES
        ],
    }


def reasons_chart_options(reasons: ReasonReport) -> dict[str, Any]:
    """Each reason's share among promoters, passives and detractors, side by side."""
    names = {"promoter": _("Promoters"), "passive": _("Passives"), "detractor": _("Detractors")}
    texts: dict[str, str] = {}
    totals: dict[str, int] = {}
    for category in reasons.categories:
        for share in category.reasons:
            texts.setdefault(share.key, share.text)
            totals[share.key] = totals.get(share.key, 0) + share.count
    # The most ticked reason first, across the categories.
    keys = sorted(texts, key=lambda key: (-totals[key], key))
    return {
        "animation": False,
        "aria": {"enabled": True},
        "grid": {"left": 40, "right": 16, "top": 36, "bottom": 60, "containLabel": True},
        "legend": {"top": 0},
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "xAxis": {"type": "category", "data": [texts[key] for key in keys]},
        "yAxis": {"type": "value", "name": "%", "max": 100},
        "series": [
            {
                "type": "bar",
                "name": names[category.category],
                "itemStyle": {"color": CATEGORY_COLOURS[category.category]},
                "data": [
                    _rounded(
                        next(
                            (s.share.value for s in category.reasons if s.key == key),
                            None,
                        )
                    )
                    for key in keys
                ],
            }
            for category in reasons.categories
        ],
    }


# NPS+ reasons ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReasonRow:
    share: ReasonShare
    change: str  # "+3.2" percentage points, "—" without a previous period


@dataclass(frozen=True, slots=True)
class ReasonTable:
    category: CategoryReasons
    rows: tuple[ReasonRow, ...]


def reason_tables(reasons: ReasonReport) -> tuple[ReasonTable, ...]:
    return tuple(
        ReasonTable(
            category=category,
            rows=tuple(
                ReasonRow(
                    share=share,
                    change=signed(share.change.difference) if share.change else format_metric(None),
                )
                for share in category.reasons
            ),
        )
        for category in reasons.categories
    )
