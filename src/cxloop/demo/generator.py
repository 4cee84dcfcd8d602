"""A year of a coffee chain's survey answers, drawn at random but shaped like the real thing.

Pure: no database. It yields raw answers as a respondent would submit them; the service runs
them through the same cleaning as a real submission. The randomness comes from one seeded
``random.Random``, so the same seed and the same "now" give the same data.
"""

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from cxloop.demo.catalog import (
    COMMENT_BANK,
    COMMENT_RATES,
    CONSUMABLES,
    GENERAL,
    INCIDENTS,
    MIXED,
    NEGATIVE,
    POSITIVE,
    PRODUCTS,
    REASON_WEIGHTS,
    RETAIL,
    STORES,
    TENURE_WEIGHTS,
    Product,
    Store,
    SurveyPlan,
)
from cxloop.responses.models import ResponseSource
from cxloop.surveys.definitions import QuestionDefinition

DAYS = 365
WAVE_LENGTH = 21  # days a relationship wave keeps bringing answers in
# Share of a scale's range a CSAT/CES answer sits at for an average (quality 0) experience.
SCALE_BASELINES: Mapping[str, float] = {"csat": 0.51, "ces": 0.55}
DETRACTOR_SCORES: Mapping[int, float] = {0: 1, 1: 0.5, 2: 1, 3: 1.5, 4: 2, 5: 3.5, 6: 4.5}
REASON_COUNTS: Mapping[int, float] = {1: 55, 2: 30, 3: 15}
REASONS_TICKED = 0.88  # some respondents skip the checklist


@dataclass(frozen=True, slots=True)
class DemoAnswers:
    """One respondent's submission, before cleaning."""

    survey: str  # template key of the survey it answers
    submitted_at: datetime
    language: str
    source: str
    answers: dict[str, Any]
    attributes: dict[str, str]


def score_tone(question: QuestionDefinition, score: int) -> str:
    """How a respondent who gave this score feels: NPS category, or where on the scale."""
    if question.type in ("nps", "nps_plus"):
        return POSITIVE if score >= 9 else MIXED if score >= 7 else NEGATIVE
    low, high = question.score_range or (1, 5)
    position = (score - low) / (high - low)
    return POSITIVE if position >= 0.74 else NEGATIVE if position <= 0.34 else MIXED


T = TypeVar("T")


def _weighted(rng: Random, weights: Mapping[T, float]) -> T:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[key] for key in keys])[0]


def _sample_without_replacement(rng: Random, weights: Mapping[str, float], count: int) -> list[str]:
    remaining = {key: weight for key, weight in weights.items() if weight > 0}
    chosen: list[str] = []
    while remaining and len(chosen) < count:
        key = _weighted(rng, remaining)
        chosen.append(key)
        del remaining[key]
    return chosen


def _poisson(rng: Random, expected: float) -> int:
    if expected <= 0:
        return 0
    if expected > 30:
        return max(0, round(rng.gauss(expected, math.sqrt(expected))))
    # Knuth's method: exact and quick for the small daily counts here.
    limit, product, count = math.exp(-expected), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


_WAVE_DECAY = [math.exp(-day / 3) for day in range(WAVE_LENGTH)]
WAVE_SHARES: tuple[float, ...] = tuple(weight / sum(_WAVE_DECAY) for weight in _WAVE_DECAY)
_STORE_TRAFFIC: tuple[float, ...] = tuple(store.traffic for store in STORES)


class ResponseGenerator:
    def __init__(self, *, rng: Random, now: datetime, time_zone: ZoneInfo, days: int = DAYS):
        self.rng = rng
        self.now = now
        self.time_zone = time_zone
        self.days = days
        self.first_day = now.astimezone(time_zone).date() - timedelta(days=days - 1)
        self._monthly_wobble: dict[tuple[str, int, int], float] = {}

    def responses(
        self,
        plan: SurveyPlan,
        questions: Sequence[QuestionDefinition],
        *,
        languages: Sequence[str],
        default_language: str,
    ) -> Iterator[DemoAnswers]:
        for offset in range(self.days):
            day = self.first_day + timedelta(days=offset)
            progress = offset / (self.days - 1)
            # More stores collect feedback as the year goes on: volume grows about a third.
            expected = plan.daily * plan.weekday_factors[day.weekday()] * (0.85 + 0.3 * progress)
            for wave_day, size in plan.waves:
                if 0 <= offset - wave_day < WAVE_LENGTH:
                    expected += size * WAVE_SHARES[offset - wave_day]
            for _ in range(_poisson(self.rng, expected)):
                submitted_at = self._time_on(day, plan.hours)
                if submitted_at > self.now:
                    continue
                yield self._respond(
                    plan,
                    questions,
                    day=day,
                    progress=progress,
                    submitted_at=submitted_at,
                    languages=languages,
                    default_language=default_language,
                )

    def _time_on(self, day: date, hours: Mapping[int, float]) -> datetime:
        return datetime(
            day.year,
            day.month,
            day.day,
            _weighted(self.rng, hours),
            self.rng.randrange(60),
            self.rng.randrange(60),
            tzinfo=self.time_zone,
        )

    def _wobble(self, plan: SurveyPlan, day: date) -> float:
        """A month-to-month wobble, so trend lines look measured rather than drawn."""
        key = (plan.template, day.year, day.month)
        if key not in self._monthly_wobble:
            self._monthly_wobble[key] = self.rng.gauss(0, 1.5)
        return self._monthly_wobble[key]

    def _quality(
        self, plan: SurveyPlan, *, store: Store, product: Product, day: date, progress: float
    ) -> float:
        quality = plan.quality_start + (plan.quality_end - plan.quality_start) * progress
        quality += self._wobble(plan, day)
        quality += plan.store_weight * (store.quality + store.trend * (progress - 0.5))
        quality += product.quality
        if day.weekday() >= 5:
            quality += plan.weekend_quality
        days_ago = (self.first_day + timedelta(days=self.days - 1) - day).days
        for incident in INCIDENTS:
            if (
                incident.product == product.name
                and incident.starts_days_ago - incident.days < days_ago <= incident.starts_days_ago
            ):
                quality += incident.quality
        return quality

    def _nps(self, quality: float) -> int:
        net = max(-70.0, min(75.0, quality)) / 100
        passive_share = 0.28
        promoters = min(0.96, max(0.02, (1 - passive_share + net) / 2))
        detractors = min(0.96, max(0.02, (1 - passive_share - net) / 2))
        draw = self.rng.random()
        if draw < promoters:
            return 10 if self.rng.random() < 0.55 else 9
        if draw < promoters + detractors:
            return _weighted(self.rng, DETRACTOR_SCORES)
        return 8 if self.rng.random() < 0.55 else 7

    def _scale(self, question: QuestionDefinition, quality: float) -> int:
        low, high = question.score_range or (1, 5)
        span = high - low
        baseline = SCALE_BASELINES.get(question.type, 0.5)
        mean = low + span * (baseline + quality / 150)
        return max(low, min(high, round(self.rng.gauss(mean, span * 0.22))))

    def _reason_weights(
        self, question_reasons: Sequence[str], *, tone: str, store: Store, weekend: bool
    ) -> dict[str, float]:
        weights = {key: REASON_WEIGHTS[tone].get(key, 1.0) for key in question_reasons}
        for key in store.strong_points if tone == POSITIVE else store.weak_points:
            if key in weights:
                weights[key] *= 3
        if weekend and tone != POSITIVE and "wait_time" in weights:
            weights["wait_time"] *= 1.5
        return weights

    def _comment(
        self,
        plan: SurveyPlan,
        *,
        tone: str,
        theme: str,
        store: Store,
        product: Product,
        language: str,
    ) -> str:
        bank = COMMENT_BANK[plan.context][tone]
        templates = [t for t in bank if t.theme == theme] or [t for t in bank if t.theme == GENERAL]
        template = self.rng.choice(templates)
        if plan.context == RETAIL and not product.consumable:
            # Store comments talk about what people eat and drink, not the card they paid with.
            product = PRODUCTS[self.rng.choice(CONSUMABLES)]
        return template.texts[language].format(
            store=store.names[language], product=product.names[language]
        )

    def _respond(
        self,
        plan: SurveyPlan,
        questions: Sequence[QuestionDefinition],
        *,
        day: date,
        progress: float,
        submitted_at: datetime,
        languages: Sequence[str],
        default_language: str,
    ) -> DemoAnswers:
        rng = self.rng
        store = rng.choices(STORES, weights=_STORE_TRAFFIC)[0]
        segment = rng.choices(plan.segments, weights=[s.share for s in plan.segments])[0]
        product = PRODUCTS[_weighted(rng, segment.products)]
        channel = _weighted(rng, plan.channels)
        language = _weighted(rng, store.languages)
        if language not in languages:
            language = default_language
        weekend = day.weekday() >= 5
        quality = self._quality(plan, store=store, product=product, day=day, progress=progress)

        answers: dict[str, Any] = {}
        tone: str | None = None
        for question in questions:
            if question.type in ("nps", "nps_plus"):
                score = self._nps(quality)
            elif question.type in ("csat", "ces"):
                score = self._scale(question, quality)
            else:
                continue
            answers[question.key] = score
            tone = tone or score_tone(question, score)
        tone = tone or MIXED

        reasons: list[str] = []
        nps_plus = next((q for q in questions if q.type == "nps_plus"), None)
        if nps_plus is not None:
            reason_weights = self._reason_weights(
                nps_plus.choice_keys(), tone=tone, store=store, weekend=weekend
            )
            if rng.random() < REASONS_TICKED:
                reasons = _sample_without_replacement(
                    rng, reason_weights, _weighted(rng, REASON_COUNTS)
                )
        text_questions = [q for q in questions if q.type == "text"]
        comment_required = nps_plus is None and any(q.required for q in text_questions[:1])
        comment = ""
        if comment_required or rng.random() < COMMENT_RATES[tone]:
            if reasons:
                # A detractor who ticked "waiting time" complains about the wait (or says
                # something general), never about a reason they did not tick.
                theme = rng.choice(reasons) if rng.random() < 0.8 else GENERAL
            elif nps_plus is None and plan.context == RETAIL and rng.random() < 0.5:
                theme = _weighted(
                    rng,
                    self._reason_weights(
                        tuple(REASON_WEIGHTS[tone]), tone=tone, store=store, weekend=weekend
                    ),
                )
            else:
                theme = GENERAL
            comment = self._comment(
                plan, tone=tone, theme=theme, store=store, product=product, language=language
            )

        if nps_plus is not None:
            answers[nps_plus.key] = {
                "score": answers[nps_plus.key],
                "reasons": reasons,
                "comment": comment,
            }
        elif text_questions and comment:
            answers[text_questions[0].key] = comment
        for question in questions:
            if question.type == "single_choice" and (question.required or rng.random() < 0.75):
                answers[question.key] = self._choice(question, tone)
            elif question.type == "multiple_choice" and (question.required or rng.random() < 0.6):
                answers[question.key] = rng.sample(
                    question.choice_keys(), k=min(len(question.choices), rng.choice((1, 1, 2)))
                )

        attributes = {
            "store": store.name,
            "city": store.city,
            "region": store.region,
            "product": product.name,
            "channel": channel,
            "business_unit": segment.business_unit,
        }
        if segment.touchpoints:
            attributes["touchpoint"] = _weighted(rng, segment.touchpoints)
        return DemoAnswers(
            survey=plan.template,
            submitted_at=submitted_at,
            language=language,
            # In-app answers reach cxloop through the API; every other channel is a web link.
            source=ResponseSource.API if channel == "app" else ResponseSource.WEB,
            answers=answers,
            attributes=attributes,
        )

    def _choice(self, question: QuestionDefinition, tone: str) -> str:
        keys = question.choice_keys()
        known = TENURE_WEIGHTS[tone]
        if all(key in known for key in keys):
            return _weighted(self.rng, {key: known[key] for key in keys})
        return self.rng.choice(keys)
