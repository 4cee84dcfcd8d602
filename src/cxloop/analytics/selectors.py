"""Reads for results pages: every figure comes with its n and confidence interval."""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.analytics.cube import first_rollup_day, rollup_totals
from cxloop.analytics.engine import metric_histograms
from cxloop.analytics.histograms import Histogram, nps_of
from cxloop.analytics.metrics import (
    CesResult,
    CsatResult,
    NpsResult,
    ces_from_counts,
    csat_from_counts,
    score_distribution,
)
from cxloop.analytics.models import MarginalRollup, MetricTarget
from cxloop.analytics.queries import MetricQuery, parse_metric_query
from cxloop.analytics.reasons import ReasonReport, reason_report
from cxloop.analytics.reports import (
    DEFAULT_SCALES,
    METRIC_QUESTION_TYPES,
    MetricReport,
    build_report,
    resolve_scale,
    resolve_statistic,
)
from cxloop.common.errors import InputError
from cxloop.organizations.models import Organization
from cxloop.responses.filters import ATTRIBUTE_PREFIX, ResponseFilters
from cxloop.responses.models import Response
from cxloop.responses.selectors import attribute_names
from cxloop.surveys.models import Question, Survey
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
    """NPS, CSAT and CES of a survey's (filtered) responses, with the latest comments.

    Read from the rollups in one aggregate when they can answer (any date range, at most one
    attribute or several dimension filters); otherwise one GROUP BY over the three headline
    score columns of the raw responses. Either way a second query reads the latest comments.
    """
    definition = survey_definition(survey)
    types = {question.type for question in definition.questions}
    csat_scale = next((q.scale for q in definition.questions if q.type == "csat"), None)
    ces_scale = next((q.scale for q in definition.questions if q.type == "ces"), None)
    organization = survey.organization
    time_zone = ZoneInfo(organization.time_zone)
    counts = summary_counts_from_rollups(survey, filters, time_zone)
    if counts is None:
        counts = summary_counts_from_scan(survey, filters, time_zone)
    total, nps_counts, csat_counts, ces_counts = counts
    has_nps = bool(types & {"nps", "nps_plus"})
    nps = nps_of(Histogram.from_mapping("nps", nps_counts)) if has_nps else None
    base = Response.objects.filter(survey=survey).filter(filters.to_q(time_zone=time_zone))
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


SummaryCounts = tuple[int, Counter[int], Counter[int], Counter[int]]


def summary_counts_from_rollups(
    survey: Survey, filters: ResponseFilters, time_zone: ZoneInfo
) -> SummaryCounts | None:
    first = filters.date_from or first_rollup_day((survey.pk,))
    # A response may arrive a few minutes "from the future" (client clocks): include tomorrow.
    last = filters.date_to or timezone.now().astimezone(time_zone).date() + timedelta(days=1)
    if first is None or first > last:
        return 0, Counter(), Counter(), Counter()
    query = MetricQuery(
        metric="nps",
        survey_ids=(survey.pk,),
        date_from=first,
        date_to=last,
        filters=replace(filters, date_from=None, date_to=None),
        interval=None,
    )
    totals = rollup_totals(query, organization=survey.organization)
    if totals is None:
        return None

    def bins(metric: str, low: int, high: int) -> Counter[int]:
        return Counter(
            {s: totals[f"{metric}_{s}"] for s in range(low, high + 1) if totals[f"{metric}_{s}"]}
        )

    return totals["n"], bins("nps", 0, 10), bins("csat", 1, 10), bins("ces", 1, 7)


def summary_counts_from_scan(
    survey: Survey, filters: ResponseFilters, time_zone: ZoneInfo
) -> SummaryCounts:
    base = Response.objects.filter(survey=survey).filter(filters.to_q(time_zone=time_zone))
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
    return total, nps_counts, csat_counts, ces_counts


def _surveys_for_metric(
    *, organization: Organization, metric: str, survey_id: int | None
) -> list[Survey]:
    types = METRIC_QUESTION_TYPES[metric]
    surveys = Survey.objects.filter(organization=organization).prefetch_related("questions")
    if survey_id is not None:
        surveys = surveys.filter(pk=survey_id)
    found = [s for s in surveys if any(q.type in types for q in s.questions.all())]
    if survey_id is not None and not found:
        if not surveys:
            raise LookupError(survey_id)
        raise InputError.single(
            "metric", _("This survey has no %(metric)s question.") % {"metric": metric.upper()}
        )
    return found


def _scales(metric: str, surveys: Sequence[Survey]) -> set[int]:
    scales: set[int] = set()
    for survey in surveys:
        question = next(
            q for q in survey.questions.all() if q.type in METRIC_QUESTION_TYPES[metric]
        )
        if question.type in ("csat", "ces"):
            scales.add(int((question.config or {}).get("scale") or DEFAULT_SCALES[metric]))
    return scales


def _survey_param(params: Mapping[str, Sequence[str]], survey_id: int | None) -> int | None:
    if survey_id is not None:
        return survey_id
    raw = (params.get("survey") or [""])[0].strip()
    if raw in ("", "all"):
        return None
    if not raw.isdigit():
        raise InputError.single("survey", _("Use a survey id or all."))
    return int(raw)


def organization_today(organization: Organization) -> date:
    return timezone.now().astimezone(ZoneInfo(organization.time_zone)).date()


def dashboard_query(
    *,
    organization: Organization,
    params: Mapping[str, Sequence[str]],
    survey_id: int | None = None,
    today: date | None = None,
) -> tuple[MetricQuery, list[Survey]]:
    """Parse dashboard parameters against the organization's surveys and attributes.

    Raises InputError for bad parameters and LookupError for a survey outside the
    organization (the caller answers 404).
    """
    metric = (params.get("metric") or ["nps"])[0].strip() or "nps"
    if metric not in METRIC_QUESTION_TYPES:
        raise InputError.single("metric", _("Use nps, csat or ces."))
    surveys = _surveys_for_metric(
        organization=organization, metric=metric, survey_id=_survey_param(params, survey_id)
    )
    survey_ids = tuple(s.pk for s in surveys)
    dimensions = frozenset(organization.analysis_dimensions)
    wanted = {name[len(ATTRIBUTE_PREFIX) :] for name in params if name.startswith(ATTRIBUTE_PREFIX)}
    wanted |= {(params.get(key) or [""])[0] for key in ("group_by", "weight")} - {"", "language"}
    known = dimensions
    if not wanted <= dimensions:
        known = dimensions | attribute_names(organization=organization, survey_ids=survey_ids)
    query = parse_metric_query(
        params,
        today=today or organization_today(organization),
        survey_ids=survey_ids,
        known_attributes=known,
    )
    return query, surveys


def metric_report(
    *,
    organization: Organization,
    params: Mapping[str, Sequence[str]],
    survey_id: int | None = None,
    today: date | None = None,
) -> MetricReport:
    """A dashboard's figures: overall, previous period, trend and breakdown, each with CI."""
    query, surveys = dashboard_query(
        organization=organization, params=params, survey_id=survey_id, today=today
    )
    scale = resolve_scale(query.metric, _scales(query.metric, surveys))
    statistic = resolve_statistic(query.metric, (params.get("statistic") or [""])[0].strip())
    histograms, source = metric_histograms(query, organization=organization)
    return build_report(query, histograms, scale=scale, statistic=statistic, source=source)


def nps_plus_reasons(
    *,
    organization: Organization,
    params: Mapping[str, Sequence[str]],
    survey_id: int | None = None,
    language: str = "zh-Hans",
    today: date | None = None,
) -> ReasonReport:
    """Reason shares among promoters, passives and detractors, and their change."""
    nps_params = {**params, "metric": ["nps"]}
    query, surveys = dashboard_query(
        organization=organization, params=nps_params, survey_id=survey_id, today=today
    )
    return reason_report(query, organization=organization, surveys=surveys, language=language)


def dimension_values(
    *, organization: Organization, survey_ids: Sequence[int], dimensions: Sequence[str]
) -> dict[str, list[str]]:
    """Every value each analysis dimension takes in these surveys, for the filter menus.

    Read from the marginal rollups (one row per dimension value and period), so it is exact
    and costs one query however many responses there are.
    """
    rows = (
        MarginalRollup.objects.filter(
            survey__organization=organization,
            survey_id__in=list(survey_ids),
            dimension__in=list(dimensions),
            n__gt=0,
        )
        .values_list("dimension", "value")
        .distinct()
        .order_by()
    )
    values: dict[str, set[str]] = {name: set() for name in dimensions}
    for dimension, value in rows:
        values[dimension].add(value)
    return {name: sorted(found) for name, found in values.items()}


def question_types(*, organization: Organization, survey_id: int | None = None) -> frozenset[str]:
    """The question types the survey, or any survey of the organization, asks."""
    questions = Question.objects.filter(survey__organization=organization)
    if survey_id is not None:
        questions = questions.filter(survey_id=survey_id)
    return frozenset(questions.values_list("type", flat=True).distinct().order_by())


def targets_for(
    *, organization: Organization, survey_ids: Sequence[int], metric: str
) -> dict[str, MetricTarget]:
    """The target and benchmark (by kind) that apply to a dashboard of these surveys.

    A dashboard of one survey uses the survey's own, else the organization-wide one; a
    dashboard across several surveys uses the organization-wide ones only.
    """
    scope = Q(survey__isnull=True)
    single = len(survey_ids) == 1
    if single:
        scope |= Q(survey_id=survey_ids[0])
    found: dict[str, MetricTarget] = {}
    rows = MetricTarget.objects.filter(organization=organization, metric=metric).filter(scope)
    # Organization-wide first, so a survey's own target overwrites it.
    for target in rows.order_by(F("survey_id").asc(nulls_first=True)):
        found[target.kind] = target
    return found
