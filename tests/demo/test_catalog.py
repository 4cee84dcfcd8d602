import string

import pytest

from cxloop.demo.catalog import (
    COMMENT_BANK,
    DEMO_LANGUAGES,
    GENERAL,
    STORES,
    SURVEY_PLANS,
    TONES,
    possible_comments,
    tone_templates,
)
from cxloop.surveys.survey_templates import SURVEY_TEMPLATES


def _reason_keys() -> set[str]:
    definition = SURVEY_TEMPLATES["transactional_nps_plus"].definition()
    return {reason["key"] for q in definition["questions"] for reason in q.get("reasons", [])}


@pytest.mark.parametrize("tone", TONES)
def test_each_tone_has_at_least_40_distinct_templates_in_every_language(tone: str) -> None:
    for language in DEMO_LANGUAGES:
        texts = {template.texts[language] for template in tone_templates(tone)}
        assert len(texts) >= 40, (tone, language)


def test_no_comment_reads_the_same_in_two_tones() -> None:
    for language in DEMO_LANGUAGES:
        banks = [possible_comments(tone, language) for tone in TONES]
        for index, bank in enumerate(banks):
            for other in banks[index + 1 :]:
                assert not bank & other


def test_templates_only_use_the_store_and_product_placeholders() -> None:
    for bank in COMMENT_BANK.values():
        for templates in bank.values():
            for template in templates:
                assert set(template.texts) == set(DEMO_LANGUAGES)
                for text in template.texts.values():
                    fields = {name for _, name, _, _ in string.Formatter().parse(text) if name}
                    assert fields <= {"store", "product"}, text


def test_comment_themes_are_reasons_of_the_store_visit_survey() -> None:
    themes = {t.theme for bank in COMMENT_BANK.values() for ts in bank.values() for t in ts}
    assert themes - {GENERAL} == _reason_keys()


def test_the_plans_use_the_four_survey_templates() -> None:
    assert {plan.template for plan in SURVEY_PLANS} == {
        "relationship_nps",
        "transactional_nps_plus",
        "csat_support",
        "ces_service",
    }
    assert all(plan.template in SURVEY_TEMPLATES for plan in SURVEY_PLANS)


def test_stores_have_unique_names_and_complete_language_mixes() -> None:
    assert len({store.name for store in STORES}) == len(STORES) >= 20
    for store in STORES:
        assert set(store.names) == set(DEMO_LANGUAGES)
        assert sum(store.languages.values()) == pytest.approx(1)
