"""NPS+ reasons: how often each predefined reason is ticked by promoters, passives and
detractors, and how those shares moved against the previous period."""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from django.db.models import Sum

from cxloop.analytics.cube import period_arms, rollups_usable, summed_rows
from cxloop.analytics.figures import FigureComparison
from cxloop.analytics.metrics import ProportionResult, compare_proportions, nps_category, proportion
from cxloop.analytics.models import ReasonRollup
from cxloop.analytics.queries import MetricQuery
from cxloop.analytics.rollups import ALL, LANGUAGE
from cxloop.analytics.scan import time_range
from cxloop.common.languages import pick_text
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response
from cxloop.surveys.models import Survey

CATEGORIES = ("promoter", "passive", "detractor")
Counts = Counter[tuple[str, str]]  # (category, reason) → answers; reason "" = all answers


@dataclass(frozen=True, slots=True)
class ReasonShare:
    key: str
    text: str
    count: int
    share: ProportionResult  # percent of the category's answers that ticked this reason
    previous_count: int | None
    previous_share: ProportionResult | None
    change: FigureComparison | None  # percentage points, with significance


@dataclass(frozen=True, slots=True)
class CategoryReasons:
    category: str
    answers: int
    previous_answers: int | None
    reasons: tuple[ReasonShare, ...]  # most ticked first


@dataclass(frozen=True, slots=True)
class ReasonReport:
    question_keys: tuple[str, ...]
    categories: tuple[CategoryReasons, ...]
    source: str


def nps_plus_questions(
    surveys: Sequence[Survey],
) -> dict[int, tuple[str, dict[str, Mapping[str, str]]]]:
    """Each survey's first NPS+ question key, with its reasons' texts."""
    found: dict[int, tuple[str, dict[str, Mapping[str, str]]]] = {}
    for survey in surveys:
        question = next((q for q in survey.questions.all() if q.type == "nps_plus"), None)
        if question is not None:
            reasons = {r["key"]: r["text"] for r in (question.config or {}).get("reasons", [])}
            found[survey.pk] = (question.key, reasons)
    return found


def _rollup_counts(
    query: MetricQuery, questions: Mapping[int, str], date_from: date, date_to: date
) -> Counts | None:
    filters = query.filters
    conditions: dict[str, tuple[str, ...]] = dict(filters.attributes)
    if filters.language:
        conditions[LANGUAGE] = (filters.language,)
    if filters.has_comment is not None or len(conditions) > 1:
        return None
    dimension, values = next(iter(conditions.items()), (ALL, (ALL,)))
    counts: Counts = Counter()
    for survey_id, key in questions.items():
        rows = summed_rows(
            ReasonRollup.objects.filter(
                survey_id=survey_id, question_key=key, dimension=dimension, value__in=values
            ),
            period_arms(date_from, date_to, interval=None),
            ("category", "reason"),
            {"total": Sum("count")},
        )
        for category, reason, total in rows:
            counts[(category, reason)] += int(total)
    return counts


def _scan_counts(
    query: MetricQuery,
    questions: Mapping[int, str],
    organization: Organization,
    date_from: date,
    date_to: date,
) -> Counts:
    time_zone = ZoneInfo(organization.time_zone)
    counts: Counts = Counter()
    rows = (
        Response.objects.filter(organization=organization, survey_id__in=list(questions))
        .filter(query.filters.to_q(time_zone=time_zone))
        .filter(time_range(date_from, date_to, time_zone))
        .values_list("survey_id", "answers")
        .iterator(chunk_size=2000)
    )
    for survey_id, answers in rows:
        answer = (answers or {}).get(questions[survey_id])
        if not isinstance(answer, Mapping) or answer.get("score") is None:
            continue
        category = nps_category(int(answer["score"]))
        counts[(category, "")] += 1
        for reason in answer.get("reasons", []):
            counts[(category, reason)] += 1
    return counts


def reason_report(
    query: MetricQuery,
    *,
    organization: Organization,
    surveys: Sequence[Survey],
    language: str,
) -> ReasonReport:
    questions = nps_plus_questions(surveys)
    keys = {survey_id: key for survey_id, (key, _texts) in questions.items()}
    texts: dict[str, Mapping[str, str]] = {}
    for _key, reasons in questions.values():
        for reason, reason_texts in reasons.items():
            texts.setdefault(reason, reason_texts)
    earlier = query.previous() if query.compare else None
    use_rollups = bool(keys) and rollups_usable(tuple(keys), organization)
    current = _rollup_counts(query, keys, query.date_from, query.date_to) if use_rollups else None
    source = "rollup" if current is not None else "scan"
    if current is None:
        current = _scan_counts(query, keys, organization, query.date_from, query.date_to)
    previous: Counts | None = None
    if earlier is not None:
        previous = (
            _rollup_counts(query, keys, earlier.date_from, earlier.date_to)
            if source == "rollup"
            else _scan_counts(query, keys, organization, earlier.date_from, earlier.date_to)
        )
    shown = [c for c in CATEGORIES if not query.filters.categories or c in query.filters.categories]
    categories = []
    for category in shown:
        answers = current[(category, "")]
        previous_answers = previous[(category, "")] if previous is not None else None
        shares = []
        for reason in texts:
            count = current[(category, reason)]
            share = proportion(successes=count, n=answers)
            previous_count = previous[(category, reason)] if previous is not None else None
            previous_share = (
                proportion(successes=previous_count, n=previous_answers or 0)
                if previous_count is not None
                else None
            )
            change = (
                FigureComparison.of(compare_proportions(previous_share, share))
                if previous_share is not None
                else None
            )
            shares.append(
                ReasonShare(
                    key=reason,
                    text=pick_text(texts[reason], language),
                    count=count,
                    share=share,
                    previous_count=previous_count,
                    previous_share=previous_share,
                    change=change,
                )
            )
        shares.sort(key=lambda s: (-s.count, s.key))
        categories.append(CategoryReasons(category, answers, previous_answers, tuple(shares)))
    return ReasonReport(tuple(sorted(set(keys.values()))), tuple(categories), source)
