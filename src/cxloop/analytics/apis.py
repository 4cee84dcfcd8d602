from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from cxloop.analytics.metrics import MeanResult, ProportionResult
from cxloop.analytics.selectors import SurveySummary, survey_summary
from cxloop.responses.filters import parse_response_filters
from cxloop.surveys.apis import survey_or_404

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
