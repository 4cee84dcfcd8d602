import itertools
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from cxloop.common.languages import SURVEY_LANGUAGES
from cxloop.surveys.definitions import SurveyDefinition, parse_survey_definition
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES

LANGUAGE_COMBINATIONS = [
    list(combination)
    for size in range(1, len(SURVEY_LANGUAGES) + 1)
    for combination in itertools.permutations(SURVEY_LANGUAGES, size)
]


def all_texts(definition: SurveyDefinition) -> Iterator[tuple[str, Mapping[str, str]]]:
    """Every texts-by-language mapping in a parsed survey, with where it is."""
    for index, question in enumerate(definition.questions):
        path = f"questions.{index}"
        yield f"{path}.text", question.text
        for point, texts in question.labels.items():
            yield f"{path}.labels.{point}", texts
        for choice in question.choices:
            yield f"{path}.choices.{choice.key}", choice.text
        for category, texts in question.reason_prompt.items():
            yield f"{path}.reason_prompt.{category}", texts
        for category, texts in question.comment_prompt.items():
            yield f"{path}.comment_prompt.{category}", texts
    yield "title", definition.title
    yield "intro", definition.intro
    yield "thank_you", definition.thank_you


def test_the_four_templates_are_offered() -> None:
    assert set(SURVEY_TEMPLATES) == {
        "relationship_nps",
        "transactional_nps_plus",
        "csat_support",
        "ces_service",
    }
    for key, template in SURVEY_TEMPLATES.items():
        assert template.key == key
        assert str(template.name).strip()
        assert str(template.description).strip()


@pytest.mark.parametrize("template_key", sorted(SURVEY_TEMPLATES))
@pytest.mark.parametrize("languages", LANGUAGE_COMBINATIONS, ids="+".join)
def test_every_template_parses_in_every_language_combination(
    template_key: str, languages: list[str]
) -> None:
    raw = SURVEY_TEMPLATES[template_key].definition(languages=languages)

    parsed = parse_survey_definition(raw)

    assert parsed.languages == tuple(languages)
    assert parsed.default_language == languages[0]
    assert parsed.name
    assert parsed.questions
    for path, texts in all_texts(parsed):
        assert set(texts) == set(languages), path
        assert all(text.strip() for text in texts.values()), path


@pytest.mark.parametrize("template_key", sorted(SURVEY_TEMPLATES))
def test_languages_have_their_own_wording(template_key: str) -> None:
    parsed = parse_survey_definition(SURVEY_TEMPLATES[template_key].definition())

    first = parsed.questions[0].text
    assert len({first["zh-Hans"], first["zh-Hant"], first["en"]}) == 3


def test_name_touchpoint_and_default_language_follow_the_choice() -> None:
    template = SURVEY_TEMPLATES["transactional_nps_plus"]

    chinese = template.definition(languages=["zh-Hans", "en"])
    english = template.definition(languages=["zh-Hans", "en"], default_language="en")
    named = template.definition(languages=["zh-Hant"], name="台北信義店")

    assert chinese["touchpoint"] == "门店购物"
    assert english["touchpoint"] == "In-store purchase"
    assert english["default_language"] == "en"
    assert chinese["name"] != english["name"]
    assert named["name"] == "台北信義店"
    assert named["touchpoint"] == "門市購物"


def test_brand_replaces_the_generic_reference() -> None:
    generic = SURVEY_TEMPLATES["relationship_nps"].definition(languages=["en", "zh-Hans"])
    branded = SURVEY_TEMPLATES["relationship_nps"].definition(
        languages=["en", "zh-Hans"], brand="Acme {Shop}"
    )
    ces = SURVEY_TEMPLATES["ces_service"].definition(languages=["en"], brand="Acme")

    assert "{" not in generic["questions"][0]["text"]["en"]
    assert "Acme {Shop}" in branded["questions"][0]["text"]["en"]
    assert "Acme {Shop}" in branded["questions"][0]["text"]["zh-Hans"]
    assert ces["questions"][0]["text"]["en"].startswith("Acme made it easy")


def test_question_keys_and_shapes() -> None:
    def by_key(template_key: str) -> dict[str, dict[str, Any]]:
        raw = SURVEY_TEMPLATES[template_key].definition()
        return {question["key"]: question for question in raw["questions"]}

    nps_plus = by_key("transactional_nps_plus")["nps"]
    csat = by_key("csat_support")
    ces = by_key("ces_service")

    assert by_key("relationship_nps")["nps"]["type"] == "nps"
    assert nps_plus["type"] == "nps_plus"
    assert {"price", "staff_service", "wait_time", "checkout"} <= {
        reason["key"] for reason in nps_plus["reasons"]
    }
    prompts = nps_plus["comment_prompt"]
    assert set(prompts) == {"promoter", "passive", "detractor"}
    assert prompts["promoter"]["en"] != prompts["detractor"]["en"]
    assert csat["csat"]["scale"] == 5
    assert set(csat["csat"]["labels"]) == {"1", "2", "3", "4", "5"}
    assert csat["comment"]["required"] is False
    assert ces["ces"]["scale"] == 7
    assert set(ces["ces"]["labels"]) == {"1", "7"}


def test_unknown_language_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="must be among"):
        SURVEY_TEMPLATES["csat_support"].definition(languages=["fr"])
    with pytest.raises(ValueError, match="is not among"):
        SURVEY_TEMPLATES["csat_support"].definition(languages=["en"], default_language="zh-Hans")
