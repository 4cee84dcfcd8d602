from typing import Any

import pytest

from cxloop.common.errors import InputError
from cxloop.responses.answers import clean_answers, headline_scores
from cxloop.surveys.definitions import parse_survey_definition

DEFINITION: dict[str, Any] = {
    "name": "All types",
    "languages": ["en"],
    "questions": [
        {"key": "plus", "type": "nps_plus", "text": "?", "required": False,
         "reasons": [{"key": "price", "text": "Price"}, {"key": "staff", "text": "Staff"}]},
        {"key": "nps", "type": "nps", "text": "?", "required": False},
        {"key": "csat", "type": "csat", "text": "?", "required": False},
        {"key": "ces", "type": "ces", "text": "?", "required": False, "scale": 5},
        {"key": "free", "type": "text", "text": "?", "required": False},
        {"key": "one", "type": "single_choice", "text": "?", "required": False,
         "choices": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}]},
        {"key": "many", "type": "multiple_choice", "text": "?", "required": False,
         "choices": [{"key": "a", "text": "A"}, {"key": "b", "text": "B"}, {"key": "c", "text": "C"}]},
    ],
}  # fmt: skip
QUESTIONS = parse_survey_definition(DEFINITION).questions


def test_every_type_is_cleaned_to_its_stored_form() -> None:
    cleaned = clean_answers(
        QUESTIONS,
        {
            "plus": {"score": "3", "reasons": ["staff", "price", "staff"], "comment": "  slow "},
            "nps": 9,
            "csat": "4",
            "ces": 5,
            "free": " fine ",
            "one": "b",
            "many": ["c", "a"],
        },
    )
    assert cleaned == {
        "plus": {"score": 3, "reasons": ["price", "staff"], "comment": "slow"},
        "nps": 9,
        "csat": 4,
        "ces": 5,
        "free": "fine",
        "one": "b",
        "many": ["a", "c"],
    }


def test_nps_plus_accepts_a_bare_score() -> None:
    assert clean_answers(QUESTIONS, {"plus": 10})["plus"] == {
        "score": 10,
        "reasons": [],
        "comment": "",
    }


@pytest.mark.parametrize(
    ("key", "value"),
    [("nps", 11), ("nps", -1), ("nps", True), ("nps", "nine"), ("nps", 9.5), ("csat", 6), ("csat", 0),
     ("ces", 6), ("one", "z"), ("one", ["a", "b"]), ("many", ["a", "z"]), ("free", 5),
     ("free", "x" * 5001), ("plus", {"score": 5, "reasons": ["bribe"]})],
)  # fmt: skip
def test_invalid_values_are_refused_with_the_field(key: str, value: Any) -> None:
    with pytest.raises(InputError) as caught:
        clean_answers(QUESTIONS, {key: value, "free": "ok"} if key != "free" else {key: value})
    assert [e.field for e in caught.value.errors] == [f"answers.{key}"]


def test_required_unknown_and_empty() -> None:
    questions = parse_survey_definition(
        {
            "name": "x",
            "languages": ["en"],
            "questions": [{"key": "nps", "type": "nps", "text": "?"}],
        }
    ).questions
    with pytest.raises(InputError) as caught:
        clean_answers(questions, {"nps": "", "bogus": 1})
    assert {e.field for e in caught.value.errors} == {"answers.nps", "answers.bogus"}
    optional = parse_survey_definition(DEFINITION).questions
    with pytest.raises(InputError) as nothing:
        clean_answers(optional, {"free": "   "})
    assert [e.field for e in nothing.value.errors] == ["answers"]


def test_headline_scores_take_the_first_of_each_metric() -> None:
    answers = clean_answers(
        QUESTIONS,
        {
            "plus": {"score": 6, "comment": "too pricey"},
            "nps": 10,
            "csat": 2,
            "ces": 4,
            "free": "later",
        },
    )
    scores = headline_scores(QUESTIONS, answers)
    assert (scores.nps, scores.csat, scores.ces, scores.comment) == (6, 2, 4, "too pricey")
    no_plus = headline_scores(QUESTIONS, {"nps": 8, "free": "ok"})
    assert (no_plus.nps, no_plus.csat, no_plus.comment) == (8, None, "ok")
