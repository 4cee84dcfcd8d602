"""The dashboard as an A4 PDF, for managers who read on paper or in a chat app.

One page or two: the title and what was asked (period, filters), the headline figure with its
95 % confidence interval, n and the comparison with the previous period, the trend (line with
its confidence band), the breakdown (bars with CI whiskers and a table) and the score
distribution. Pure: it draws the MetricReport it is given and reads nothing else.

Chinese needs a font inside the file: PDF readers on phones and in chat apps have no CJK
font to substitute. WenQuanYi Micro Hei (Apache-2.0) covers simplified and traditional
Chinese with TrueType outlines, which reportlab can subset and embed (it cannot embed the
CFF outlines of the Noto / Source Han OTF files); it comes from PyPI in the
``paperang-p2-fonts-cjk`` package, so ``pip install`` is all a machine needs.
"""

import io
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.doctemplate import BaseDocTemplate

from cxloop.analytics.figures import Figure
from cxloop.analytics.presentation import CATEGORY_COLOURS
from cxloop.analytics.reports import MetricReport, SeriesPoint
from cxloop.analytics.templatetags.results import format_metric
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, django_language, normalize_language

FONT_NAME = "CxloopCJK"
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = ("fonts", "wqy-microhei.ttc")
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 16 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
# Breakdown bars beyond this many would be too thin to read; the table lists them all.
MAX_CHART_GROUPS = 15
MAX_TABLE_GROUPS = 60

INK = colors.HexColor("#1d2433")
MUTED = colors.HexColor("#5b6478")
LINE = colors.HexColor("#dde2ea")
ACCENT = colors.HexColor("#2456d6")
BAND = colors.HexColor("#c9d6f6")
GOOD = colors.HexColor("#1b8a4b")
BAD = colors.HexColor("#c0392b")
WARN = colors.HexColor("#b26a00")
LOW_SAMPLE = colors.HexColor("#aab3c5")
CATEGORY_FILLS = {name: colors.HexColor(value) for name, value in CATEGORY_COLOURS.items()}


@cache
def register_cjk_font() -> str:
    """Register the embedded CJK font once per process; return its reportlab name."""
    path = resources.files(FONT_PACKAGE).joinpath(*FONT_FILE)
    with resources.as_file(path) as font_path:
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(font_path), subfontIndex=0))
    # One weight only: <b> in a paragraph maps to the same face instead of failing.
    pdfmetrics.registerFontFamily(
        FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME, boldItalic=FONT_NAME
    )
    return FONT_NAME


def _styles(font: str) -> dict[str, ParagraphStyle]:
    base = ParagraphStyle(
        "base",
        fontName=font,
        fontSize=9.5,
        leading=13,
        textColor=INK,
        alignment=TA_LEFT,
        wordWrap="CJK",  # Chinese has no spaces: break between any two characters
    )
    return {
        "base": base,
        "title": ParagraphStyle("title", parent=base, fontSize=18, leading=24, spaceAfter=2),
        "subtitle": ParagraphStyle("subtitle", parent=base, textColor=MUTED, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", parent=base, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4
        ),
        "muted": ParagraphStyle("muted", parent=base, textColor=MUTED, fontSize=8.5, leading=11),
        "value": ParagraphStyle("value", parent=base, fontSize=30, leading=38),
        "change": ParagraphStyle("change", parent=base, fontSize=16, leading=22),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8.5, leading=11),
        "warn": ParagraphStyle("warn", parent=base, textColor=WARN),
    }


def _escape(text: str) -> str:
    """Paragraphs read a small XML dialect: user text (group values, titles) is escaped.

    Messages with a literal per cent sign spell it %% and are always %-formatted (with {} if
    need be), so that gettext's python-format check treats every such message alike.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# Labels


def _metric_label(report: MetricReport) -> str:
    metric = report.query.metric.upper()
    labels = {
        "nps": _("Net Promoter Score"),
        "top2box": _("satisfied (top-2-box, %)"),
        "mean": _("mean score (1–%(scale)d)") % {"scale": report.scale},
        "agree": _("agree it was easy (%)"),
    }
    if report.statistic == "nps":
        return str(labels["nps"])
    return f"{metric} · {labels.get(report.statistic, report.statistic)}"


def _unit(report: MetricReport) -> str:
    return " %" if report.statistic in ("top2box", "agree") else ""


def _ci_text(figure: Figure) -> str:
    if figure.ci_low is None or figure.ci_high is None:
        return "—"
    return f"[{format_metric(figure.ci_low)}, {format_metric(figure.ci_high)}]"


def _signed(value: float | None) -> str:
    text = format_metric(value)
    return f"+{text}" if value is not None and text != "0.0" and not text.startswith("-") else text


def _p_value(p: float | None) -> str:
    if p is None:
        return "—"
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"


def _period(start: date, end: date) -> str:
    return f"{start.isoformat()} – {end.isoformat()}"


def _group_label(report: MetricReport, value: str) -> str:
    if report.query.group_by == "language":
        return SURVEY_LANGUAGE_NAMES.get(value, value)
    return value or _("(none)")


def _period_label(point: SeriesPoint, interval: str) -> str:
    if interval == "month":
        return f"{point.start:%Y-%m}"
    if interval == "quarter":
        return f"{point.start.year} Q{(point.start.month - 1) // 3 + 1}"
    return f"{point.start:%m-%d}"


def _filter_lines(report: MetricReport) -> list[str]:
    query = report.query
    filters = query.filters
    lines = [
        _("Period: %(period)s (%(days)d days)")
        % {"period": _period(query.date_from, query.date_to), "days": query.days}
    ]
    applied: list[str] = []
    category_names = {
        "promoter": _("promoters"),
        "passive": _("passives"),
        "detractor": _("detractors"),
    }
    if filters.categories:
        applied.append(
            _("NPS category: %(names)s")
            % {"names": ", ".join(str(category_names.get(c, c)) for c in filters.categories)}
        )
    for name, values in filters.attributes:
        applied.append(f"{name} = {' / '.join(values)}")
    if filters.language:
        applied.append(
            _("language: %(name)s")
            % {"name": SURVEY_LANGUAGE_NAMES.get(filters.language, filters.language)}
        )
    if filters.has_comment is True:
        applied.append(_("with a comment"))
    elif filters.has_comment is False:
        applied.append(_("without a comment"))
    if query.weight_attribute:
        applied.append(_("weighted by %(name)s") % {"name": query.weight_attribute})
    lines.append(
        _("Filters: %(filters)s") % {"filters": "; ".join(applied)}
        if applied
        else _("Filters: none (every response)")
    )
    if query.group_by:
        group = _("language") if query.group_by == "language" else query.group_by
        lines.append(_("Breakdown by: %(name)s") % {"name": group})
    return lines


# Charts


class _Band:
    """A LinePlot annotation: the confidence band, drawn before (under) the line."""

    beforeLines = True  # the attribute name reportlab looks for

    def __init__(self, segments: Sequence[Sequence[tuple[float, float, float]]]) -> None:
        self.segments = segments  # runs of (x, ci_low, ci_high) without gaps

    def __call__(
        self, plot: LinePlot, xscale: Callable[[float], float], yscale: Callable[[float], float]
    ) -> Group:
        group = Group()
        for segment in self.segments:
            if len(segment) == 1:
                x, low, high = segment[0]
                group.add(Line(xscale(x), yscale(low), xscale(x), yscale(high), strokeColor=BAND))
                continue
            upper = [(xscale(x), yscale(high)) for x, _low, high in segment]
            lower = [(xscale(x), yscale(low)) for x, low, _high in reversed(segment)]
            points = [coordinate for point in upper + lower for coordinate in point]
            group.add(Polygon(points, fillColor=BAND, strokeColor=None, strokeWidth=0))
        return group


class _Whiskers:
    """A HorizontalBarChart annotation: each bar's 95 % CI as a thin line with end caps."""

    def __init__(self, intervals: Sequence[tuple[float, float] | None]) -> None:
        self.intervals = intervals

    def __call__(
        self,
        chart: HorizontalBarChart,
        category_scale: Callable[[int], tuple[float, float]],
        value_scale: Callable[[float], float],
    ) -> Group:
        group = Group()
        for index, interval in enumerate(self.intervals):
            if interval is None:
                continue
            start, width = category_scale(index)
            middle = start + width / 2
            low, high = value_scale(interval[0]), value_scale(interval[1])
            group.add(Line(low, middle, high, middle, strokeColor=INK, strokeWidth=0.6))
            for x in (low, high):
                group.add(Line(x, middle - 2.5, x, middle + 2.5, strokeColor=INK, strokeWidth=0.6))
        return group


def _value_range(report: MetricReport, values: Sequence[float]) -> tuple[float, float]:
    """Axis bounds around the data, never past what the statistic can take."""
    if report.statistic == "nps":
        floor, ceiling = -100.0, 100.0
    elif report.statistic == "mean":
        floor, ceiling = 1.0, float(report.scale)
    else:
        floor, ceiling = 0.0, 100.0
    if not values:
        return floor, ceiling
    low, high = min(values), max(values)
    padding = max((high - low) * 0.1, (ceiling - floor) * 0.05)
    return max(floor, low - padding), min(ceiling, high + padding)


def _axis_labels(axis: Any, font: str, size: float = 7) -> None:
    axis.labels.fontName = font
    axis.labels.fontSize = size
    axis.labels.fillColor = MUTED
    axis.strokeColor = LINE


def _trend_chart(report: MetricReport, font: str) -> Drawing:
    points = report.series
    height = 62 * mm
    drawing = Drawing(CONTENT_WIDTH, height)
    plot = LinePlot()
    plot.x, plot.y = 32, 28
    plot.width, plot.height = CONTENT_WIDTH - 44, height - 40
    segments: list[list[tuple[float, float, float]]] = []
    lines: list[list[tuple[float, float]]] = []
    previous_index = -2
    for index, point in enumerate(points):
        figure = point.figure
        if figure.value is None:
            continue
        if index != previous_index + 1:
            lines.append([])
            segments.append([])
        lines[-1].append((index, figure.value))
        if figure.ci_low is not None and figure.ci_high is not None:
            segments[-1].append((index, figure.ci_low, figure.ci_high))
        previous_index = index
    values = [v for line in lines for _x, v in line] + [
        bound for segment in segments for _x, low, high in segment for bound in (low, high)
    ]
    plot.data = lines or [[(0, _value_range(report, [])[0])]]
    for number in range(len(plot.data)):
        plot.lines[number].strokeColor = ACCENT if lines else colors.transparent
        plot.lines[number].strokeWidth = 1.6
        plot.lines[number].symbol = None
    low, high = _value_range(report, values)
    plot.yValueAxis.valueMin, plot.yValueAxis.valueMax = low, high
    plot.yValueAxis.visibleGrid = True
    plot.yValueAxis.gridStrokeColor = LINE
    plot.yValueAxis.labelTextFormat = lambda value: format_metric(value).removesuffix(".0")
    _axis_labels(plot.yValueAxis, font)
    count = max(len(points), 1)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = -0.5, count - 0.5
    every = max(1, -(-count // 12))  # at most about 12 labels, whatever the interval
    plot.xValueAxis.valueSteps = list(range(0, count, every))
    interval = report.query.interval or "day"
    plot.xValueAxis.labelTextFormat = lambda value: (
        _period_label(points[int(value)], interval) if 0 <= int(value) < len(points) else ""
    )
    _axis_labels(plot.xValueAxis, font)
    plot.annotations = [_Band(segments)]
    drawing.add(plot)
    legend = _("Line: %(metric)s per period; shaded: its 95 %% confidence interval") % {
        "metric": report.query.metric.upper()
    }
    drawing.add(String(32, 4, legend, fontName=font, fontSize=7, fillColor=MUTED))
    return drawing


def _breakdown_chart(report: MetricReport, font: str) -> Drawing:
    rows = [row for row in report.groups if row.figure.value is not None][:MAX_CHART_GROUPS]
    bar_space = 15
    height = len(rows) * bar_space + 30
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 110, 18
    chart.width, chart.height = CONTENT_WIDTH - 130, height - 24
    # Best first from the top: the category axis runs bottom-up.
    ordered = list(reversed(rows))
    chart.data = [[row.figure.value or 0.0 for row in ordered]]
    chart.categoryAxis.categoryNames = [_truncate(_group_label(report, r.value)) for r in ordered]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7.5
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -4
    chart.categoryAxis.strokeColor = LINE
    # Labels on the left edge, not on the zero line where negative bars would cover them.
    chart.categoryAxis.joinAxisMode = "left"
    chart.bars.strokeColor = None
    chart.barSpacing = 2
    chart.groupSpacing = 4
    for index, row in enumerate(ordered):
        chart.bars[(0, index)].fillColor = LOW_SAMPLE if row.figure.low_sample else ACCENT
    intervals: list[tuple[float, float] | None] = [
        (r.figure.ci_low, r.figure.ci_high)
        if r.figure.ci_low is not None and r.figure.ci_high is not None
        else None
        for r in ordered
    ]
    bounds = [v for pair in intervals if pair for v in pair] + [
        r.figure.value for r in ordered if r.figure.value is not None
    ]
    low, high = _value_range(report, bounds)
    # Bars grow from zero, so zero is always on the axis.
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = min(low, 0.0), max(high, 0.0)
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = LINE
    chart.valueAxis.labelTextFormat = lambda value: format_metric(value).removesuffix(".0")
    _axis_labels(chart.valueAxis, font)
    chart.annotations = [_Whiskers(intervals)]
    drawing.add(chart)
    return drawing


def _distribution_chart(report: MetricReport, font: str) -> Drawing:
    height = 48 * mm
    drawing = Drawing(CONTENT_WIDTH, height)
    chart = VerticalBarChart()
    chart.x, chart.y = 32, 20
    chart.width, chart.height = CONTENT_WIDTH - 44, height - 30
    chart.data = [[percent for _score, _count, percent in report.distribution]]
    chart.categoryAxis.categoryNames = [str(score) for score, _c, _p in report.distribution]
    _axis_labels(chart.categoryAxis, font, 8)
    chart.valueAxis.valueMin = 0
    top = max((percent for _s, _c, percent in report.distribution), default=0.0)
    chart.valueAxis.valueMax = max(10.0, min(100.0, top * 1.2))
    chart.valueAxis.labelTextFormat = "%d %%"
    chart.valueAxis.visibleGrid = True
    chart.valueAxis.gridStrokeColor = LINE
    _axis_labels(chart.valueAxis, font)
    chart.bars.strokeColor = None
    chart.barLabelFormat = lambda value: f"{value:.0f}%" if value else ""
    chart.barLabels.fontName = font
    chart.barLabels.fontSize = 6.5
    chart.barLabels.fillColor = MUTED
    chart.barLabels.nudge = 6
    for index, (score, _count, _percent) in enumerate(report.distribution):
        fill = ACCENT
        if report.query.metric == "nps":
            fill = CATEGORY_FILLS[_nps_category(score)]
        chart.bars[(0, index)].fillColor = fill
    drawing.add(chart)
    return drawing


def _nps_category(score: int) -> str:
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def _truncate(text: str, limit: int = 16) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


# Sections


def _headline(report: MetricReport, styles: dict[str, ParagraphStyle]) -> Flowable:
    overall = report.overall
    unit = _unit(report)
    left: list[Flowable] = [
        Paragraph(_escape(_metric_label(report)), styles["muted"]),
        Paragraph(f"{format_metric(overall.value)}{unit}", styles["value"]),
        Paragraph(
            _("95 %% CI %(ci)s · n = %(n)s") % {"ci": _ci_text(overall), "n": f"{overall.n:,}"},
            styles["base"],
        ),
    ]
    if overall.value is None:
        left.append(Paragraph(_("No answers match this view."), styles["warn"]))
    elif overall.low_sample:
        left.append(
            Paragraph(_("Fewer than 30 answers: read this figure with care."), styles["warn"])
        )
    if report.query.metric == "nps" and overall.value is not None:
        details = overall.details
        left.append(
            Paragraph(
                _("Promoters %(p)s %% · passives %(pa)s %% · detractors %(d)s %%")
                % {
                    "p": format_metric(details.get("promoter_pct")),
                    "pa": format_metric(details.get("passive_pct")),
                    "d": format_metric(details.get("detractor_pct")),
                },
                styles["muted"],
            )
        )
    right: list[Flowable] = []
    if report.query.compare:
        previous = report.query.previous()
        right.append(
            Paragraph(
                _("Previous period %(period)s")
                % {"period": _period(previous.date_from, previous.date_to)},
                styles["muted"],
            )
        )
        comparison = report.comparison
        if report.previous is None or report.previous.value is None or comparison is None:
            right.append(Paragraph(_("No answers in the previous period."), styles["base"]))
        else:
            right.append(
                Paragraph(
                    _("%(value)s%(unit)s (n = %(n)s)")
                    % {
                        "value": format_metric(report.previous.value),
                        "unit": unit,
                        "n": f"{report.previous.n:,}",
                    },
                    styles["base"],
                )
            )
            colour = MUTED
            if comparison.significant and comparison.difference is not None:
                colour = GOOD if comparison.difference > 0 else BAD
            verdict = (
                _("significant at the 95 %% level") % {}
                if comparison.significant
                else _("not significant (could be chance)")
            )
            right.append(
                Paragraph(
                    f'<font color="{colour.hexval()}">{_signed(comparison.difference)}</font>',
                    styles["change"],
                )
            )
            right.append(
                Paragraph(
                    _escape(
                        _("change, 95 %% CI %(ci)s, %(p)s: %(verdict)s")
                        % {
                            "ci": f"[{_signed(comparison.ci_low)}, {_signed(comparison.ci_high)}]",
                            "p": _p_value(comparison.p_value),
                            "verdict": verdict,
                        }
                    ),
                    styles["base"],
                )
            )
    table = Table(
        [[left, right]] if right else [[left]],
        colWidths=[CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.45] if right else [CONTENT_WIDTH],
    )
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, LINE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 8),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
                ("LINEBEFORE", (1, 0), (1, 0), 0.5, LINE),
            ]
        )
    )
    return table


def _group_table(report: MetricReport, styles: dict[str, ParagraphStyle]) -> Table:
    cell = styles["cell"]
    header = [
        Paragraph(text, cell)
        for text in (
            _("Value"),
            report.query.metric.upper(),
            _("95 %% CI") % {},
            "n",
            _("Note"),
        )
    ]
    rows: list[list[Any]] = [header]
    for row in report.groups[:MAX_TABLE_GROUPS]:
        figure = row.figure
        note = _("fewer than 30 answers") if figure.low_sample else ""
        rows.append(
            [
                Paragraph(_escape(_group_label(report, row.value)), cell),
                f"{format_metric(figure.value)}{_unit(report)}",
                _ci_text(figure),
                f"{figure.n:,}",
                Paragraph(note, cell),
            ]
        )
    widths = [0.36, 0.14, 0.22, 0.1, 0.18]
    table = Table(rows, colWidths=[CONTENT_WIDTH * w for w in widths], repeatRows=1)
    style = [
        ("FONT", (0, 0), (-1, -1), styles["base"].fontName, 8.5),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.3, LINE),
        ("ALIGN", (1, 1), (3, -1), "RIGHT"),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
    ]
    for index, group in enumerate(report.groups[:MAX_TABLE_GROUPS], start=1):
        if group.figure.low_sample:
            style.append(("TEXTCOLOR", (0, index), (-1, index), MUTED))
    table.setStyle(TableStyle(style))
    return table


def _distribution_table(report: MetricReport, styles: dict[str, ParagraphStyle]) -> Table:
    scores = [str(score) for score, _count, _percent in report.distribution]
    counts = [f"{count:,}" for _score, count, _percent in report.distribution]
    percents = [f"{percent:.1f}%" for _score, _count, percent in report.distribution]
    data = [[_("Score"), *scores], [_("Answers"), *counts], ["%", *percents]]
    first = 22 * mm
    other = (CONTENT_WIDTH - first) / max(len(scores), 1)
    table = Table(data, colWidths=[first] + [other] * len(scores))
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), styles["base"].fontName, 7.5),
                ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
                ("ALIGN", (1, 0), (-1, -1), "CENTER"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.5, LINE),
            ]
        )
    )
    return table


def _footer(organization_name: str, font: str) -> Callable[[Canvas, BaseDocTemplate], None]:
    def draw(canvas: Canvas, document: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, 9 * mm, f"cxloop · {organization_name}")
        canvas.drawRightString(
            PAGE_WIDTH - MARGIN, 9 * mm, _("Page %(number)d") % {"number": document.page}
        )
        canvas.restoreState()

    return draw


def dashboard_pdf(
    *, report: MetricReport, title: str, organization_name: str, language: str
) -> bytes:
    """The dashboard view described by ``report`` as an A4 PDF, its labels in ``language``
    (zh-Hans, zh-Hant or en, in either spelling)."""
    font = register_cjk_font()
    tag = normalize_language(language) or language
    with translation.override(django_language(tag)):
        return _build(
            report, title=title, organization_name=organization_name, font=font, language=tag
        )


def _build(
    report: MetricReport, *, title: str, organization_name: str, font: str, language: str
) -> bytes:
    styles = _styles(font)
    story: list[Flowable] = [
        Paragraph(_escape(title), styles["title"]),
        Paragraph(_escape(organization_name), styles["subtitle"]),
    ]
    story += [Paragraph(_escape(line), styles["muted"]) for line in _filter_lines(report)]
    story += [Spacer(1, 8), _headline(report, styles)]
    if report.series:
        heading = Paragraph(
            _("Trend by %(interval)s") % {"interval": _interval_name(report)}, styles["h2"]
        )
        if any(point.figure.value is not None for point in report.series):
            story.append(KeepTogether([heading, _trend_chart(report, font)]))
        else:
            story += [heading, Paragraph(_("No answers match this view."), styles["muted"])]
    if report.query.group_by:
        heading = Paragraph(
            _("Breakdown by %(name)s")
            % {
                "name": _("language")
                if report.query.group_by == "language"
                else _escape(report.query.group_by)
            },
            styles["h2"],
        )
        charted = [row for row in report.groups if row.figure.value is not None]
        if not charted:
            story += [heading, Paragraph(_("No answers match this view."), styles["muted"])]
        else:
            story += [CondPageBreak(60 * mm), heading, _breakdown_chart(report, font)]
            if len(charted) > MAX_CHART_GROUPS:
                story.append(
                    Paragraph(
                        _("The chart shows the best %(n)d; the table lists them all.")
                        % {"n": MAX_CHART_GROUPS},
                        styles["muted"],
                    )
                )
            story += [
                Spacer(1, 4),
                Paragraph(
                    _("Grey rows have fewer than 30 answers; lines on the bars are 95 %% CIs.")
                    % {},
                    styles["muted"],
                ),
                Spacer(1, 2),
                _group_table(report, styles),
            ]
            if len(report.groups) > MAX_TABLE_GROUPS:
                story.append(
                    Paragraph(
                        _("%(n)d more values are not listed.")
                        % {"n": len(report.groups) - MAX_TABLE_GROUPS},
                        styles["muted"],
                    )
                )
    if report.distribution and report.overall.n:
        story.append(
            KeepTogether(
                [
                    Paragraph(_("Distribution of scores"), styles["h2"]),
                    _distribution_chart(report, font),
                    _distribution_table(report, styles),
                ]
            )
        )
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 6 * mm,
        title=title,
        author="cxloop",
        subject=organization_name,
        lang=language,
    )
    footer = _footer(organization_name, font)
    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _interval_name(report: MetricReport) -> str:
    names = {
        "day": _("day"),
        "week": _("week"),
        "month": _("month"),
        "quarter": _("quarter"),
    }
    interval = report.query.interval or "day"
    return str(names.get(interval, interval))
