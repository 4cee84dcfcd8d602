"""What the builder shows of a survey: definition dicts turned into template-friendly rows.

Templates cannot index a dict by "zh-Hans", and should not know the definition format, so
the pages get these small read-only structures instead.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from cxloop.common.languages import SURVEY_LANGUAGE_NAMES
from cxloop.surveys.definitions import NPS_CATEGORIES
from cxloop.surveys.models import QuestionType, SurveyStatus


@dataclass(frozen=True)
class LanguageText:
    language: str
    language_name: str
    text: str


@dataclass(frozen=True)
class TextsRow:
    caption: str
    texts: list[LanguageText]


@dataclass(frozen=True)
class QuestionView:
    number: int
    key: str
    type: str
    type_label: str
    required: bool
    scale: int | None
    texts: list[LanguageText]
    labels: list[TextsRow]
    options: list[TextsRow]  # caption = option key
    prompts: list[TextsRow]
    is_first: bool
    is_last: bool


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    style: str  # button class


def language_texts(texts: Mapping[str, str] | None, languages: Sequence[str]) -> list[LanguageText]:
    texts = texts or {}
    return [
        LanguageText(language, SURVEY_LANGUAGE_NAMES[language], texts.get(language, ""))
        for language in languages
    ]


def _point_caption(point: str) -> str:
    if point == "low":
        return _("Lowest score")
    if point == "high":
        return _("Highest score")
    return _("Point %(point)s") % {"point": point}


def _point_order(point: str) -> tuple[int, int]:
    if point == "low":
        return (0, 0)
    if point == "high":
        return (2, 0)
    return (1, int(point)) if point.isdigit() else (1, 0)


def question_view(
    question: Mapping[str, Any],
    languages: Sequence[str],
    *,
    number: int,
    is_first: bool,
    is_last: bool,
) -> QuestionView:
    options_name = "reasons" if question["type"] == "nps_plus" else "choices"
    category_names = {
        "promoter": _("promoters (9–10)"),
        "passive": _("passives (7–8)"),
        "detractor": _("detractors (0–6)"),
    }
    prompts: list[TextsRow] = []
    for prompt, caption in (
        ("reason_prompt", _("Reasons question for %(category)s")),
        ("comment_prompt", _("Open question for %(category)s")),
    ):
        for category in NPS_CATEGORIES:
            texts = (question.get(prompt) or {}).get(category)
            if texts:
                prompts.append(
                    TextsRow(
                        caption % {"category": category_names[category]},
                        language_texts(texts, languages),
                    )
                )
    labels = question.get("labels") or {}
    return QuestionView(
        number=number,
        key=question["key"],
        type=question["type"],
        type_label=str(QuestionType(question["type"]).label),
        required=bool(question.get("required", True)),
        scale=question.get("scale"),
        texts=language_texts(question.get("text"), languages),
        labels=[
            TextsRow(_point_caption(point), language_texts(labels[point], languages))
            for point in sorted(labels, key=_point_order)
        ],
        options=[
            TextsRow(option["key"], language_texts(option["text"], languages))
            for option in question.get(options_name) or []
        ],
        prompts=prompts,
        is_first=is_first,
        is_last=is_last,
    )


def question_views(definition: Mapping[str, Any]) -> list[QuestionView]:
    questions = definition.get("questions") or []
    return [
        question_view(
            question,
            definition["languages"],
            number=index + 1,
            is_first=index == 0,
            is_last=index == len(questions) - 1,
        )
        for index, question in enumerate(questions)
    ]


def transitions_from(status: str) -> list[Transition]:
    """The status changes offered from `status` (the services enforce the same rules)."""
    if status == SurveyStatus.DRAFT:
        return [Transition("publish", _("Publish"), "button")]
    if status == SurveyStatus.ACTIVE:
        return [
            Transition("pause", _("Pause"), "button button-secondary"),
            Transition("close", _("Close"), "button button-danger"),
        ]
    if status == SurveyStatus.PAUSED:
        return [
            Transition("publish", _("Resume"), "button"),
            Transition("close", _("Close"), "button button-danger"),
        ]
    return [Transition("publish", _("Reopen"), "button button-secondary")]
