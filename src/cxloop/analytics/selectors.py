"""Reads for results pages: every figure comes with its n and confidence interval."""

from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count

from cxloop.analytics.metrics import (
    CesResult,
    CsatResult,
    NpsResult,
    ces_from_counts,
    csat_from_counts,
    nps_from_counts,
    score_distribution,
)
from cxloop.responses.filters import ResponseFilters
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition

LATEST_COMMENTS = 10


@dataclass(frozen=True, slots=True)
class SurveySummary:
    total: int
    nps: NpsResult | None
    nps_distribution: tuple[tuple[int, int, float], ...]
    csat: CsatResult | None
    csat_scale: int | None
    ces: CesResult | None
    ces_scale: int | None
    latest_comments: tuple[Response, ...]


def survey_summary(*, survey: Survey, filters: ResponseFilters) -> SurveySummary:
    """NPS, CSAT and CES of a survey's (filtered) responses, in two queries.

    One GROUP BY over the three headline score columns yields every count the metrics
    need (at most 11 × 10 × 7 groups), the second query reads the latest comments.
    """
    definition = survey_definition(survey)
    types = {question.type for question in definition.questions}
    csat_scale = next((q.scale for q in definition.questions if q.type == "csat"), None)
    ces_scale = next((q.scale for q in definition.questions if q.type == "ces"), None)
    condition = filters.to_q(time_zone=ZoneInfo(survey.organization.time_zone))
    base = Response.objects.filter(survey=survey).filter(condition)
    groups = base.values_list("nps_score", "csat_score", "ces_score").annotate(n=Count("id"))
    nps_counts: Counter[int] = Counter()
    csat_counts: Counter[int] = Counter()
    ces_counts: Counter[int] = Counter()
    total = 0
    for nps_score, csat_score, ces_score, n in groups.order_by():
        total += n
        if nps_score is not None:
            nps_counts[nps_score] += n
        if csat_score is not None:
            csat_counts[csat_score] += n
        if ces_score is not None:
            ces_counts[ces_score] += n
    has_nps = bool(types & {"nps", "nps_plus"})
    nps = None
    if has_nps:
        nps = nps_from_counts(
            promoters=sum(n for score, n in nps_counts.items() if score >= 9),
            passives=sum(n for score, n in nps_counts.items() if 7 <= score <= 8),
            detractors=sum(n for score, n in nps_counts.items() if score <= 6),
        )
    comments = tuple(
        base.exclude(comment="")
        .only("id", "survey_id", "submitted_at", "language", "nps_score", "comment")
        .order_by("-submitted_at", "-id")[:LATEST_COMMENTS]
    )
    return SurveySummary(
        total=total,
        nps=nps,
        nps_distribution=score_distribution(nps_counts, low=0, high=10) if has_nps else (),
        csat=csat_from_counts(csat_counts, scale_max=csat_scale) if csat_scale else None,
        csat_scale=csat_scale,
        ces=ces_from_counts(ces_counts, scale_max=ces_scale) if ces_scale else None,
        ces_scale=ces_scale,
        latest_comments=comments,
    )
