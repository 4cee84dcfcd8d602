from typing import Any

import pytest

from cxloop.common.errors import InputError
from cxloop.surveys.definitions import breaking_changes, parse_survey_definition
from tests.factories import nps_definition


def fields_of(error: InputError) -> set[str]:
    return {e.field for e in error.errors}


def test_issue_example_parses_with_defaults() -> None:
    definition = parse_survey_definition(
        {
            "name": "Store visit",
            "languages": ["en"],
            "questions": [
                {
                    "key": "nps",
                    "type": "nps",
                    "text": {"en": "How likely are you to recommend us?"},
                },
                {"key": "why", "type": "text", "required": False, "text": {"en": "Why?"}},
            ],
        }
    )
    assert definition.default_language == "en"
    assert definition.kind == "transactional"
    assert [q.key for q in definition.questions] == ["nps", "why"]
    assert definition.questions[0].required is True
    assert definition.questions[1].required is False
    assert definition.questions[0].score_range == (0, 10)


def test_plain_string_text_is_accepted_for_a_single_language() -> None:
    definition = parse_survey_definition(
        {
            "name": "x",
            "languages": ["en"],
            "questions": [{"key": "q", "type": "text", "text": "Hi"}],
        }
    )
    assert definition.questions[0].text == {"en": "Hi"}


@pytest.mark.parametrize(
    ("question_type", "scale", "expected"),
    [("csat", None, (1, 5)), ("csat", 7, (1, 7)), ("csat", 10, (1, 10)), ("ces", None, (1, 7)), ("ces", 5, (1, 5))],
)  # fmt: skip
def test_scales_default_and_configurable(
    question_type: str, scale: int | None, expected: tuple[int, int]
) -> None:
    question: dict[str, Any] = {"key": "q", "type": question_type, "text": {"en": "?"}}
    if scale:
        question["scale"] = scale
    definition = parse_survey_definition(
        {"name": "x", "languages": ["en"], "questions": [question]}
    )
    assert definition.questions[0].score_range == expected


def test_every_problem_is_reported_with_its_field() -> None:
    with pytest.raises(InputError) as caught:
        parse_survey_definition(
            {
                "name": "",
                "languages": ["en", "fr"],
                "kind": "weekly",
                "questions": [
                    {"key": "Bad Key", "type": "nps", "text": {"en": "?"}},
                    {"key": "q2", "type": "rating", "text": {"en": "?"}},
                    {"key": "q3", "type": "csat", "scale": 4, "text": {"en": "?"}},
                    {"key": "q4", "type": "single_choice", "text": {"en": "?"}},
                    {"key": "q5", "type": "text", "text": {}},
                    {"key": "q5", "type": "text", "text": {"en": "dup"}},
                ],
                "color": "red",
            }
        )
    assert fields_of(caught.value) >= {
        "name",
        "languages.1",
        "kind",
        "questions.0.key",
        "questions.1.type",
        "questions.2.scale",
        "questions.3.choices",
        "questions.4.text.en",
        "questions.5.key",
        "color",
    }


def test_texts_are_required_in_every_survey_language() -> None:
    definition = nps_definition()
    del definition["questions"][0]["text"]["en"]
    with pytest.raises(InputError) as caught:
        parse_survey_definition(definition)
    assert fields_of(caught.value) == {"questions.0.text.en"}


def test_nps_plus_reasons_and_prompts_are_validated() -> None:
    with pytest.raises(InputError) as caught:
        parse_survey_definition(
            {
                "name": "x",
                "languages": ["en"],
                "questions": [
                    {
                        "key": "nps",
                        "type": "nps_plus",
                        "text": {"en": "?"},
                        "reasons": [{"key": "price", "text": {"en": "Price"}}, {"key": "price", "text": {"en": "P"}}],
                        "reason_prompt": {"fan": {"en": "?"}},
                    }
                ],
            }
        )  # fmt: skip
    assert fields_of(caught.value) == {"questions.0.reasons.1.key", "questions.0.reason_prompt.fan"}


def _questions(definition: dict[str, Any]) -> Any:
    return parse_survey_definition(definition).questions


def test_safe_edits_are_not_breaking() -> None:
    old = _questions(nps_definition())
    changed = nps_definition()
    changed["questions"][0]["text"]["en"] = "Would you recommend us?"
    changed["questions"].reverse()
    changed["questions"][0]["required"] = True
    changed["questions"].append(
        {"key": "new", "type": "text", "text": {"zh-Hans": "新", "en": "New"}}
    )
    assert breaking_changes(old, _questions(changed)) == []


def test_removing_retyping_or_rescaling_answered_questions_is_breaking() -> None:
    old = _questions(nps_definition())
    changed = nps_definition()
    changed["questions"] = [
        {**changed["questions"][0], "type": "csat"},
        {**changed["questions"][1], "scale": 7},
    ]
    problems = breaking_changes(old, _questions(changed))
    assert {p.field for p in problems} == {"questions", "questions.0.type", "questions.1.scale"}
    assert any("why" in p.message for p in problems)


def test_removing_an_answered_option_is_breaking() -> None:
    base: dict[str, Any] = {
        "name": "x",
        "languages": ["en"],
        "questions": [
            {"key": "c", "type": "single_choice", "text": "?",
             "choices": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}]}
        ],
    }  # fmt: skip
    changed: dict[str, Any] = {
        **base,
        "questions": [{**base["questions"][0], "choices": [{"key": "a", "text": "A"}]}],
    }
    problems = breaking_changes(_questions(base), _questions(changed))
    assert [p.field for p in problems] == ["questions.0.choices"]
    assert "b" in problems[0].message
