import io
from datetime import date, timedelta
from typing import Any

import pypdf
import pytest

from cxloop.analytics.histograms import Histogram
from cxloop.analytics.pdf import MAX_TABLE_GROUPS, dashboard_pdf
from cxloop.analytics.queries import MetricHistograms, MetricQuery
from cxloop.analytics.reports import MetricReport, build_report
from cxloop.responses.filters import ResponseFilters

START = date(2026, 1, 5)
END = date(2026, 3, 29)


def nps_histogram(promoters: int, passives: int, detractors: int) -> Histogram:
    """Scores 10, 8 and 3: enough to give each category a count."""
    counts = [0] * 11
    counts[10], counts[8], counts[3] = promoters, passives, detractors
    return Histogram(0, tuple(counts))


def nps_report(
    *,
    groups: tuple[tuple[str, Histogram], ...] = (
        ("上海南京西路店", nps_histogram(60, 30, 10)),
        ("臺北信義店", nps_histogram(5, 3, 4)),
    ),
    group_by: str | None = "store",
    compare: bool = True,
    previous: Histogram | None = None,
) -> MetricReport:
    series = tuple(
        (START + timedelta(days=7 * week), nps_histogram(10 + week, 10, 8)) for week in range(12)
    )
    overall = Histogram(0, tuple(map(sum, zip(*(h.counts for _s, h in series), strict=True))))
    query = MetricQuery(
        metric="nps",
        survey_ids=(1,),
        date_from=START,
        date_to=END,
        filters=ResponseFilters(attributes=(("channel", ("小程序",)),)),
        interval="week",
        group_by=group_by,
        compare=compare,
    )
    histograms = MetricHistograms(
        overall=overall,
        previous=previous if previous is not None else nps_histogram(20, 40, 60),
        series=series,
        groups=groups,
    )
    return build_report(query, histograms, scale=10, statistic="nps", source="rollup")


def text_of(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_report_is_an_a4_pdf_with_its_chinese_title_and_metadata() -> None:
    title = "门店体验月报 · 繁體標題"

    pdf = dashboard_pdf(
        report=nps_report(), title=title, organization_name="示例零售", language="zh-Hans"
    )

    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    width, height = reader.pages[0].mediabox.width, reader.pages[0].mediabox.height
    assert (round(float(width)), round(float(height))) == (595, 842)  # A4 in points
    assert reader.metadata is not None
    assert reader.metadata.title == title
    text = text_of(pdf)
    assert title in text
    assert "示例零售" in text


def embedded_font_file(font: Any) -> bool:
    """Whether a PDF font object carries its TrueType program (FontFile2)."""
    if "/DescendantFonts" in font:
        font = font["/DescendantFonts"][0].get_object()
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and "/FontFile2" in descriptor.get_object()


def test_all_text_is_drawn_in_an_embedded_font_so_any_reader_shows_chinese() -> None:
    pdf = dashboard_pdf(report=nps_report(), title="报告", organization_name="示例", language="en")
    drawn_in: dict[str, bool] = {}

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip() and font is not None:
            drawn_in[str(font["/BaseFont"])] = embedded_font_file(font)

    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)

    assert drawn_in
    # Readers on phones and in chat apps have no CJK font to substitute.
    assert drawn_in == dict.fromkeys(drawn_in, True)


def test_headline_comparison_and_breakdown_are_in_the_text() -> None:
    report = nps_report()

    text = text_of(dashboard_pdf(report=report, title="T", organization_name="Org", language="en"))

    assert report.overall.value is not None
    assert f"{report.overall.value:.1f}" in text
    assert f"n = {report.overall.n:,}" in text
    assert "2026-01-05 – 2026-03-29" in text
    assert "channel = 小程序" in text
    # Both group values, with the small one flagged.
    assert "上海南京西路店" in text
    assert "臺北信義店" in text
    assert "fewer than 30 answers" in text
    assert report.comparison is not None
    assert report.comparison.significant
    assert "significant at the 95 % level" in text


def test_labels_follow_the_language_asked_for() -> None:
    report = nps_report()

    english = text_of(dashboard_pdf(report=report, title="T", organization_name="O", language="en"))
    chinese = text_of(
        dashboard_pdf(report=report, title="T", organization_name="O", language="zh-Hans")
    )

    assert "Net Promoter Score" in english
    assert "Net Promoter Score" not in chinese
    assert "净推荐值" in chinese


def test_user_text_is_not_read_as_markup() -> None:
    report = nps_report(groups=(("<b>A&B</b>", nps_histogram(40, 10, 5)),))

    text = text_of(
        dashboard_pdf(
            report=report, title="Q1 <draft> & notes", organization_name="O", language="en"
        )
    )

    assert "Q1 <draft> & notes" in text
    assert "<b>A&B</b>" in text


def test_a_report_without_answers_still_renders_and_says_so() -> None:
    empty = Histogram.empty("nps")
    query = MetricQuery(
        metric="nps",
        survey_ids=(),
        date_from=START,
        date_to=END,
        filters=ResponseFilters(),
        interval="week",
        group_by="store",
        compare=True,
    )
    histograms = MetricHistograms(
        overall=empty,
        previous=empty,
        series=tuple((START + timedelta(days=7 * w), empty) for w in range(12)),
        groups=(),
    )
    report = build_report(query, histograms, scale=10, statistic="nps", source="scan")

    text = text_of(dashboard_pdf(report=report, title="空", organization_name="O", language="en"))

    assert "No answers match this view." in text
    assert "No answers in the previous period." in text


def test_without_breakdown_or_comparison_those_sections_are_left_out() -> None:
    report = nps_report(groups=(), group_by=None, compare=False)

    text = text_of(dashboard_pdf(report=report, title="T", organization_name="O", language="en"))

    assert "Breakdown by" not in text
    assert "Previous period" not in text
    assert "Distribution of scores" in text


def test_a_long_breakdown_is_listed_up_to_the_table_limit() -> None:
    many = tuple(
        (f"门店{number:03d}", nps_histogram(number % 7 + 1, 5, 3))
        for number in range(MAX_TABLE_GROUPS + 5)
    )

    text = text_of(
        dashboard_pdf(
            report=nps_report(groups=many), title="T", organization_name="O", language="en"
        )
    )

    assert "5 more values are not listed." in text


@pytest.mark.parametrize(
    ("statistic", "scale", "unit"), [("top2box", 5, "%"), ("mean", 7, "mean score (1–7)")]
)
def test_csat_and_ces_reports_render(statistic: str, scale: int, unit: str) -> None:
    metric = "csat" if statistic == "top2box" else "ces"
    counts = (2, 3, 10, 20, 15, 0, 0, 0, 0, 0)[: 10 if metric == "csat" else 7]
    histogram = Histogram(1, counts)
    query = MetricQuery(
        metric=metric,
        survey_ids=(1,),
        date_from=START,
        date_to=END,
        filters=ResponseFilters(),
        interval="month",
        group_by="language",
    )
    histograms = MetricHistograms(
        overall=histogram,
        previous=None,
        series=((date(2026, 1, 1), histogram), (date(2026, 2, 1), histogram)),
        groups=(("zh-Hant", histogram), ("en", histogram)),
    )
    report = build_report(query, histograms, scale=scale, statistic=statistic, source="scan")

    text = text_of(
        dashboard_pdf(report=report, title="满意度", organization_name="O", language="en")
    )

    assert unit in text
    assert "繁體中文" in text  # language groups by their names
    assert "2026-02" in text
