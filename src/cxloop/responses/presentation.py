"""What the results pages show, built from parsed input and stored answers: no queries here.

The filter bar is rebuilt from the raw query string rather than from the parsed filters, so a
value the user typed wrongly stays in the form next to its error message.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cxloop.analytics.metrics import nps_category
from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, pick_text
from cxloop.responses.filters import (
    ATTRIBUTE_PREFIX,
    CATEGORIES,
    ResponseFilters,
    parse_response_filters,
)
from cxloop.surveys.definitions import QuestionDefinition, SurveyDefinition
from cxloop.surveys.models import QuestionType

CATEGORY_LABELS: Mapping[str, Promise] = {
    "promoter": _("Promoters (9–10)"),
    "passive": _("Passives (7–8)"),
    "detractor": _("Detractors (0–6)"),
}
FILTER_LABELS: Mapping[str, Promise] = {
    "from": _("From"),
    "to": _("To"),
    "category": _("NPS category"),
    "has_comment": _("Comment"),
    "lang": _("Language"),
    "survey": _("Survey"),
}
QueryParams = Mapping[str, Sequence[str]]


def parse_filters(params: QueryParams) -> tuple[ResponseFilters | None, tuple[FieldError, ...]]:
    """The filters, or None and every problem with them (for a form message, never a 500)."""
    try:
        return parse_response_filters(params), ()
    except InputError as error:
        return None, error.errors


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True, slots=True)
class AttributeMenu:
    name: str
    field_name: str  # the query parameter, attr.<name>
    options: tuple[Option, ...]


@dataclass(frozen=True, slots=True)
class FilterMessage:
    label: str
    message: str


@dataclass(frozen=True, slots=True)
class FilterBar:
    date_from: str
    date_to: str
    categories: tuple[Option, ...]
    has_comment: tuple[Option, ...]
    languages: tuple[Option, ...]
    attributes: tuple[AttributeMenu, ...]
    surveys: tuple[Option, ...]
    messages: tuple[FilterMessage, ...]
    active: bool  # any filter given: offers the "clear" link


def _first(params: QueryParams, name: str) -> str:
    values = params.get(name) or [""]
    return values[0].strip()


def _attribute_menus(
    params: QueryParams, attribute_values: Mapping[str, Sequence[str]]
) -> tuple[AttributeMenu, ...]:
    chosen = {
        name[len(ATTRIBUTE_PREFIX) :]: [value.strip() for value in values if value.strip()]
        for name, values in params.items()
        if name.startswith(ATTRIBUTE_PREFIX) and name[len(ATTRIBUTE_PREFIX) :]
    }
    menus: list[AttributeMenu] = []
    for name in sorted(set(attribute_values) | set(chosen)):
        selected = chosen.get(name, [])
        known = list(attribute_values.get(name, ()))
        # A value from a shared link may be missing from the menu (it only lists common
        # values); keep it selectable so the form shows the filter that is applied.
        values = known + [value for value in selected if value not in known]
        menus.append(
            AttributeMenu(
                name=name,
                field_name=f"{ATTRIBUTE_PREFIX}{name}",
                options=tuple(Option(value, value, value in selected) for value in values),
            )
        )
    return tuple(menus)


def _message(error: FieldError) -> FilterMessage:
    if error.field.startswith(ATTRIBUTE_PREFIX):
        label = error.field[len(ATTRIBUTE_PREFIX) :]
    else:
        label = str(FILTER_LABELS.get(error.field, error.field))
    return FilterMessage(label=label, message=error.message)


def filter_bar(
    params: QueryParams,
    *,
    attribute_values: Mapping[str, Sequence[str]],
    errors: Sequence[FieldError] = (),
    surveys: Sequence[tuple[int, str]] = (),
) -> FilterBar:
    """The filter form's state: what is offered and what is chosen."""
    chosen_categories = {
        item.strip() for value in params.get("category", []) for item in value.split(",")
    }
    has_comment = _first(params, "has_comment")
    language = _first(params, "lang")
    survey = _first(params, "survey")
    filter_names = {"from", "to", "category", "has_comment", "lang", "survey"}
    return FilterBar(
        date_from=_first(params, "from"),
        date_to=_first(params, "to"),
        categories=tuple(
            Option(category, str(CATEGORY_LABELS[category]), category in chosen_categories)
            for category in CATEGORIES
        ),
        has_comment=(
            Option("", str(_("Any")), has_comment == ""),
            Option("1", str(_("With a comment")), has_comment == "1"),
            Option("0", str(_("Without a comment")), has_comment == "0"),
        ),
        languages=(
            Option("", str(_("Any")), language == ""),
            *(Option(code, name, language == code) for code, name in SURVEY_LANGUAGE_NAMES.items()),
        ),
        attributes=_attribute_menus(params, attribute_values),
        surveys=(
            Option("", str(_("All surveys")), survey == ""),
            *(Option(str(pk), name, survey == str(pk)) for pk, name in surveys),
        ),
        messages=tuple(_message(error) for error in errors),
        active=any(
            any(value.strip() for value in values)
            for name, values in params.items()
            if name in filter_names or name.startswith(ATTRIBUTE_PREFIX)
        ),
    )


@dataclass(frozen=True, slots=True)
class AnswerView:
    key: str
    type: str
    type_label: str
    question: str
    answered: bool
    score: int | None = None
    scale_max: int | None = None
    category: str = ""  # NPS questions: promoter / passive / detractor
    choices: tuple[str, ...] = ()  # chosen options, or the NPS+ reasons, in their texts
    text: str = ""  # an open answer, or the NPS+ comment


def _choice_texts(
    question: QuestionDefinition, keys: Sequence[str], language: str, fallback: Sequence[str]
) -> tuple[str, ...]:
    texts = {choice.key: choice.text for choice in question.choices}
    # An option key without a definition is shown as is rather than dropped.
    return tuple(pick_text(texts[key], language, fallback) if key in texts else key for key in keys)


def _answer_view(
    question: QuestionDefinition, value: Any, language: str, fallback: Sequence[str]
) -> AnswerView:
    unanswered = AnswerView(
        key=question.key,
        type=question.type,
        type_label=str(QuestionType(question.type).label),
        question=pick_text(question.text, language, fallback),
        answered=False,
    )
    if value is None or value == "" or value == []:
        return unanswered
    if question.type == "nps":
        score = int(value)
        return replace(
            unanswered, answered=True, score=score, scale_max=10, category=nps_category(score)
        )
    if question.type == "nps_plus":
        score = int(value["score"])
        return replace(
            unanswered,
            answered=True,
            score=score,
            scale_max=10,
            category=nps_category(score),
            choices=_choice_texts(question, value.get("reasons") or [], language, fallback),
            text=value.get("comment") or "",
        )
    if question.type in ("csat", "ces"):
        return replace(unanswered, answered=True, score=int(value), scale_max=question.scale)
    if question.type in ("single_choice", "multiple_choice"):
        keys = [value] if isinstance(value, str) else list(value)
        return replace(
            unanswered, answered=True, choices=_choice_texts(question, keys, language, fallback)
        )
    return replace(unanswered, answered=True, text=str(value))


def answer_views(
    definition: SurveyDefinition, answers: Mapping[str, Any], language: str
) -> tuple[AnswerView, ...]:
    """Every question of the survey, in the response's language (else the survey default)."""
    fallback = (definition.default_language,)
    return tuple(
        _answer_view(question, answers.get(question.key), language, fallback)
        for question in definition.questions
    )
