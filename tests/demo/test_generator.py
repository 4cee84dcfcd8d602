from datetime import UTC, datetime
from random import Random
from zoneinfo import ZoneInfo

import pytest

from cxloop.demo.catalog import MIXED, NEGATIVE, POSITIVE, SURVEY_PLANS
from cxloop.demo.generator import DemoAnswers, ResponseGenerator, score_tone
from cxloop.surveys.definitions import QuestionDefinition, parse_survey_definition
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def _questions(template: str) -> tuple[QuestionDefinition, ...]:
    return parse_survey_definition(SURVEY_TEMPLATES[template].definition()).questions


def _generate(seed: int, days: int = 30) -> list[DemoAnswers]:
    generator = ResponseGenerator(rng=Random(seed), now=NOW, time_zone=SHANGHAI, days=days)
    plan = next(p for p in SURVEY_PLANS if p.template == "transactional_nps_plus")
    return list(
        generator.responses(
            plan,
            _questions(plan.template),
            languages=("zh-Hans", "zh-Hant", "en"),
            default_language="zh-Hans",
        )
    )


def test_the_same_seed_gives_the_same_responses() -> None:
    assert _generate(7) == _generate(7)
    assert _generate(7) != _generate(8)


def test_responses_are_never_in_the_future_and_cover_the_period() -> None:
    responses = _generate(7, days=30)
    times = [response.submitted_at for response in responses]
    assert max(times) <= NOW
    assert len({t.astimezone(SHANGHAI).date() for t in times}) >= 25


def test_a_language_the_survey_lacks_falls_back_to_its_default() -> None:
    generator = ResponseGenerator(rng=Random(1), now=NOW, time_zone=SHANGHAI, days=30)
    plan = next(p for p in SURVEY_PLANS if p.template == "csat_support")
    definition = SURVEY_TEMPLATES[plan.template].definition(languages=("zh-Hans",))
    questions = parse_survey_definition(definition).questions

    languages = {
        r.language
        for r in generator.responses(
            plan, questions, languages=("zh-Hans",), default_language="zh-Hans"
        )
    }

    assert languages == {"zh-Hans"}


@pytest.mark.parametrize(
    ("template", "score", "tone"),
    [
        ("transactional_nps_plus", 10, POSITIVE),
        ("transactional_nps_plus", 9, POSITIVE),
        ("transactional_nps_plus", 8, MIXED),
        ("transactional_nps_plus", 7, MIXED),
        ("transactional_nps_plus", 6, NEGATIVE),
        ("transactional_nps_plus", 0, NEGATIVE),
        ("csat_support", 5, POSITIVE),
        ("csat_support", 4, POSITIVE),
        ("csat_support", 3, MIXED),
        ("csat_support", 2, NEGATIVE),
        ("ces_service", 6, POSITIVE),
        ("ces_service", 5, MIXED),
        ("ces_service", 4, MIXED),
        ("ces_service", 3, NEGATIVE),
    ],
)
def test_score_tone(template: str, score: int, tone: str) -> None:
    assert score_tone(_questions(template)[0], score) == tone
