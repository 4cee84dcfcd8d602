from datetime import date, datetime
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from cxloop.analytics.figures import Figure as MetricFigure
from cxloop.analytics.figures import FigureComparison
from cxloop.analytics.metrics import MeanResult, ProportionResult
from cxloop.analytics.reports import MetricReport
from cxloop.analytics.selectors import (
    SurveySummary,
    metric_report,
    nps_plus_reasons,
    survey_summary,
)
from cxloop.common.languages import current_survey_language as get_language_tag
from cxloop.responses.filters import parse_response_filters
from cxloop.surveys.apis import organization_of, survey_or_404

router = Router(tags=["results"])


class Figure(Schema):
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    low_sample: bool


class NpsFigure(Figure):
    promoters: int
    passives: int
    detractors: int
    promoter_pct: float | None
    passive_pct: float | None
    detractor_pct: float | None


class DistributionPoint(Schema):
    score: int
    count: int
    percent: float


class CsatOut(Schema):
    scale: int
    top2box: Figure
    mean: Figure


class CesOut(Schema):
    scale: int
    mean: Figure
    agree: Figure


class CommentOut(Schema):
    id: int
    submitted_at: datetime
    language: str
    nps_score: int | None
    comment: str


class SummaryOut(Schema):
    survey_id: int
    total: int
    nps: NpsFigure | None
    nps_distribution: list[DistributionPoint]
    csat: CsatOut | None
    ces: CesOut | None
    latest_comments: list[CommentOut]


def _figure(result: ProportionResult | MeanResult) -> dict[str, Any]:
    return {
        "value": result.value,
        "n": result.n,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "low_sample": result.low_sample,
    }


def summary_out(survey_id: int, summary: SurveySummary) -> dict[str, Any]:
    return {
        "survey_id": survey_id,
        "total": summary.total,
        "nps": summary.nps,
        "nps_distribution": [
            {"score": score, "count": count, "percent": percent}
            for score, count, percent in summary.nps_distribution
        ],
        "csat": {
            "scale": summary.csat_scale,
            "top2box": _figure(summary.csat.top2box),
            "mean": _figure(summary.csat.mean),
        }
        if summary.csat
        else None,
        "ces": {
            "scale": summary.ces_scale,
            "mean": _figure(summary.ces.mean),
            "agree": _figure(summary.ces.agree),
        }
        if summary.ces
        else None,
        "latest_comments": summary.latest_comments,
    }


@router.get("/{survey_id}/summary", response=SummaryOut, summary="Survey results summary")
def get_summary(request: HttpRequest, survey_id: int) -> dict[str, Any]:
    """NPS with n and 95 % adjusted-Wald CI, the 0–10 distribution, CSAT top-2-box and mean,
    CES mean and agreement share, latest comments. Accepts the response-list filters."""
    survey = survey_or_404(request, survey_id)
    filters = parse_response_filters(dict(request.GET.lists()))
    return summary_out(survey.pk, survey_summary(survey=survey, filters=filters))


metrics_router = Router(tags=["metrics"])


class MetricFigureOut(Schema):
    value: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    low_sample: bool
    details: dict[str, float | None]
    difference: float | None = None
    difference_ci_low: float | None = None
    difference_ci_high: float | None = None
    p_value: float | None = None
    significant: bool | None = None


class SeriesPointOut(MetricFigureOut):
    start: date
    end: date


class GroupOut(MetricFigureOut):
    group: str


class MetricsOut(Schema):
    metric: str
    statistic: str
    scale: int
    surveys: list[int]
    date_from: date = Field(alias="from")
    date_to: date = Field(alias="to")
    interval: str | None
    group_by: str | None
    source: str
    overall: MetricFigureOut
    previous: MetricFigureOut | None
    series: list[SeriesPointOut]
    groups: list[GroupOut]
    distribution: list[DistributionPoint]


def figure_out(figure: MetricFigure, comparison: FigureComparison | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "value": figure.value,
        "n": figure.n,
        "ci_low": figure.ci_low,
        "ci_high": figure.ci_high,
        "low_sample": figure.low_sample,
        "details": dict(figure.details),
    }
    if comparison is not None:
        data |= {
            "difference": comparison.difference,
            "difference_ci_low": comparison.ci_low,
            "difference_ci_high": comparison.ci_high,
            "p_value": comparison.p_value,
            "significant": comparison.significant,
        }
    return data


def metrics_out(report: MetricReport) -> dict[str, Any]:
    query = report.query
    return {
        "metric": query.metric,
        "statistic": report.statistic,
        "scale": report.scale,
        "surveys": list(query.survey_ids),
        "from": query.date_from,
        "to": query.date_to,
        "interval": query.interval,
        "group_by": query.group_by,
        "source": report.source,
        "overall": figure_out(report.overall, report.comparison),
        "previous": figure_out(report.previous) if report.previous else None,
        "series": [{"start": p.start, "end": p.end, **figure_out(p.figure)} for p in report.series],
        "groups": [{"group": g.value, **figure_out(g.figure)} for g in report.groups],
        "distribution": [
            {"score": score, "count": count, "percent": percent}
            for score, count, percent in report.distribution
        ],
    }


def _report_or_404(request: HttpRequest) -> MetricReport:
    try:
        return metric_report(
            organization=organization_of(request), params=dict(request.GET.lists())
        )
    except LookupError as error:
        raise Http404 from error


@metrics_router.get("", response=MetricsOut, by_alias=True, summary="Dashboard figures")
def get_metrics(request: HttpRequest) -> dict[str, Any]:
    """The dashboard's figures as JSON. Parameters: `survey` (id, or `all` for every survey
    of the organization with the metric), `metric=nps|csat|ces`, `statistic` (csat:
    `top2box`|`mean`; ces: `mean`|`agree`), `from` and `to` (dates in the organization's time
    zone, both inclusive; default the last 90 days), `interval=day|week|month|quarter`,
    `group_by=<attribute>|language`, `attr.<name>=<value>` (repeatable), `category`, `lang`,
    `has_comment`, `compare=previous`. Every figure carries `value`, `n`, `ci_low`, `ci_high`
    (95 %); with `compare=previous` the overall figure adds `difference`, `p_value` and
    `significant` against the previous period of equal length."""
    return metrics_out(_report_or_404(request))


class ReasonShareOut(Schema):
    key: str
    text: str
    count: int
    share: float | None
    ci_low: float | None
    ci_high: float | None
    previous_count: int | None
    previous_share: float | None
    difference: float | None
    p_value: float | None
    significant: bool | None


class CategoryReasonsOut(Schema):
    category: str
    answers: int
    previous_answers: int | None
    reasons: list[ReasonShareOut]


class ReasonsOut(Schema):
    question_keys: list[str]
    source: str
    categories: list[CategoryReasonsOut]


@metrics_router.get("/reasons", response=ReasonsOut, summary="NPS+ reasons by category")
def get_reasons(request: HttpRequest) -> dict[str, Any]:
    """Share of each NPS+ reason among promoters, passives and detractors (percent of the
    category's answers, 95 % CI) and, with `compare=previous`, the change in percentage points
    with its p-value. Same parameters as /metrics."""
    try:
        report = nps_plus_reasons(
            organization=organization_of(request),
            params=dict(request.GET.lists()),
            language=get_language_tag(),
        )
    except LookupError as error:
        raise Http404 from error
    return {
        "question_keys": list(report.question_keys),
        "source": report.source,
        "categories": [
            {
                "category": category.category,
                "answers": category.answers,
                "previous_answers": category.previous_answers,
                "reasons": [
                    {
                        "key": share.key,
                        "text": share.text,
                        "count": share.count,
                        "share": share.share.value,
                        "ci_low": share.share.ci_low,
                        "ci_high": share.share.ci_high,
                        "previous_count": share.previous_count,
                        "previous_share": share.previous_share.value
                        if share.previous_share
                        else None,
                        "difference": share.change.difference if share.change else None,
                        "p_value": share.change.p_value if share.change else None,
                        "significant": share.change.significant if share.change else None,
                    }
                    for share in category.reasons
                ],
            }
            for category in report.categories
        ],
    }
