import copy
from typing import Any

import pytest

from cxloop.common.errors import InputError
from cxloop.surveys.builder import (
    add_question,
    added_languages,
    move_question,
    new_survey_definition,
    remove_question,
    replace_question,
    starter_question,
    unique_key,
    update_details,
)
from cxloop.surveys.definitions import QUESTION_TYPES, parse_survey_definition
from tests.factories import nps_definition


def details_of(definition: dict[str, Any], **changes: Any) -> dict[str, Any]:
    details = {
        name: definition.get(name, definition["languages"][0])
        for name in ("name", "kind", "touchpoint", "languages", "default_language")
    }
    details.update({name: {} for name in ("title", "intro", "thank_you")})
    details.update(changes)
    return details


@pytest.mark.parametrize("question_type", QUESTION_TYPES)
@pytest.mark.parametrize(
    "languages", [["zh-Hans"], ["zh-Hant", "en"], ["zh-Hans", "zh-Hant", "en"]]
)
def test_a_starter_question_is_valid_at_once(question_type: str, languages: list[str]) -> None:
    definition = {
        "name": "x",
        "languages": languages,
        "questions": [starter_question(question_type, key="q", languages=languages)],
    }

    parsed = parse_survey_definition(definition)

    question = parsed.questions[0]
    assert question.type == question_type
    assert set(question.text) == set(languages)


def test_added_questions_get_unique_keys() -> None:
    definition = nps_definition()

    once, first_key = add_question(definition, "nps")
    twice, second_key = add_question(once, "nps_plus")
    text, text_key = add_question(twice, "text")

    assert (first_key, second_key, text_key) == ("nps_2", "nps_3", "comment")
    assert [q["key"] for q in text["questions"]][-3:] == ["nps_2", "nps_3", "comment"]
    assert len(definition["questions"]) == 3  # the input is not changed
    parse_survey_definition(text)


def test_unique_key_numbers_from_two() -> None:
    assert unique_key("csat", set()) == "csat"
    assert unique_key("csat", {"csat", "csat_2"}) == "csat_3"


def test_move_question_swaps_neighbours_and_stops_at_the_ends() -> None:
    definition = nps_definition()

    down = move_question(definition, "nps", "down")
    up = move_question(definition, "why", "up")

    assert [q["key"] for q in down["questions"]] == ["sat", "nps", "why"]
    assert [q["key"] for q in up["questions"]] == ["nps", "why", "sat"]
    assert move_question(definition, "nps", "up") == definition
    assert move_question(definition, "why", "down") == definition


def test_remove_and_replace_question() -> None:
    definition = nps_definition()
    edited = copy.deepcopy(definition["questions"][1])
    edited["required"] = True

    removed = remove_question(definition, "sat")
    replaced = replace_question(definition, "sat", edited)

    assert [q["key"] for q in removed["questions"]] == ["nps", "why"]
    assert replaced["questions"][1]["required"] is True
    assert definition["questions"][1]["required"] is False
    with pytest.raises(KeyError):
        remove_question(definition, "nope")


def test_a_new_language_starts_with_a_copy_of_the_default_language() -> None:
    definition = nps_definition(languages=["zh-Hans"], default_language="zh-Hans")
    for question in definition["questions"]:
        question["text"] = {"zh-Hans": question["text"]["zh-Hans"]}

    updated = update_details(definition, details_of(definition, languages=["zh-Hans", "zh-Hant"]))

    parsed = parse_survey_definition(updated)
    assert parsed.languages == ("zh-Hans", "zh-Hant")
    assert parsed.questions[0].text["zh-Hant"] == parsed.questions[0].text["zh-Hans"]
    assert added_languages(definition, updated) == ["zh-Hant"]


def test_a_removed_language_loses_its_texts() -> None:
    definition = nps_definition()

    updated = update_details(
        definition, details_of(definition, languages=["en"], default_language="en")
    )

    parsed = parse_survey_definition(updated)
    assert parsed.default_language == "en"
    assert all(set(question.text) == {"en"} for question in parsed.questions)


def test_details_replace_name_and_survey_texts() -> None:
    definition = nps_definition(title={"zh-Hans": "旧标题", "en": "Old"})

    updated = update_details(
        definition,
        details_of(
            definition, name="Renamed", touchpoint="售后服务", title={"zh-Hans": "新标题", "en": ""}
        ),
    )

    parsed = parse_survey_definition(updated)
    assert parsed.name == "Renamed"
    assert parsed.touchpoint == "售后服务"
    assert dict(parsed.title) == {"zh-Hans": "新标题"}


def test_new_survey_from_a_template_keeps_its_kind_unless_chosen() -> None:
    kept = new_survey_definition(
        template_key="csat_support", name="", kind="", touchpoint="",
        languages=["en"], default_language="en",
    )  # fmt: skip
    chosen = new_survey_definition(
        template_key="csat_support", name="After repair", kind="transactional",
        touchpoint="Repair", languages=["en"], default_language="en",
    )  # fmt: skip

    assert (kept["kind"], kept["touchpoint"]) == ("realtime", "Customer support")
    assert (chosen["name"], chosen["kind"], chosen["touchpoint"]) == (
        "After repair", "transactional", "Repair",
    )  # fmt: skip


def test_a_blank_survey_has_no_questions_and_needs_a_name() -> None:
    blank = new_survey_definition(
        template_key="", name="", kind="", touchpoint="",
        languages=["zh-Hans"], default_language="zh-Hans",
    )  # fmt: skip

    assert blank["questions"] == []
    assert blank["kind"] == "transactional"
    with pytest.raises(InputError) as raised:
        parse_survey_definition(blank)
    assert "name" in raised.value.by_field()
