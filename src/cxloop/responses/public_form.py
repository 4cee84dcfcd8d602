"""The public survey form: steps, reading posted fields, and what the template shows.

The page works without JavaScript, so an NPS+ question splits the form in two steps: the
score first, then the reasons and the open question worded for the respondent's category
(promoter, passive or detractor). Answers of earlier steps travel in a signed field.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.core import signing
from django.http import QueryDict
from django.utils.translation import gettext as _

from cxloop.analytics.metrics import nps_category
from cxloop.common.text import is_attribute_name
from cxloop.responses.answers import clean_answer
from cxloop.responses.services import MAX_ATTRIBUTE_VALUE_LENGTH
from cxloop.surveys.definitions import QuestionDefinition

Part = Literal["whole", "score", "followup"]
STATE_SALT = "cxloop.public-survey-form"
RESERVED_PARAMETERS = frozenset({"lang"})
MAX_LINK_ATTRIBUTES = 30


@dataclass(frozen=True, slots=True)
class FormItem:
    question: QuestionDefinition
    part: Part

    @property
    def field_name(self) -> str:
        return f"q-{self.question.key}"


@dataclass(frozen=True, slots=True)
class FormState:
    """What the respondent's browser carries between steps, signed so it can't be altered."""

    token: str
    language: str
    attributes: Mapping[str, str]
    # Which survey, and which version of its questions, the carried answers belong to.
    fingerprint: str
    step: int = 0
    answers: Mapping[str, Any] = field(default_factory=dict)
    invitation: int | None = None  # a personal link's invitation, when it came from one

    def dumps(self) -> str:
        payload = {
            "i": self.invitation,
            "f": self.fingerprint,
            "t": self.token,
            "l": self.language,
            "a": dict(self.attributes),
            "s": self.step,
            "v": dict(self.answers),
        }
        return signing.dumps(payload, salt=STATE_SALT, compress=True)

    @classmethod
    def loads(cls, value: str, *, max_age: int) -> "FormState":
        payload = signing.loads(value, salt=STATE_SALT, max_age=max_age)
        return cls(
            fingerprint=payload["f"],
            token=payload["t"],
            language=payload["l"],
            attributes=payload["a"],
            step=payload["s"],
            answers=payload["v"],
            invitation=payload.get("i"),
        )


def questions_fingerprint(survey_id: int, questions: Sequence[QuestionDefinition]) -> str:
    """Changes when the survey or anything that shapes its answers changes."""
    shape = [(q.key, q.type, q.scale, q.choice_keys()) for q in questions]
    digest = hashlib.sha256(json.dumps(shape).encode()).hexdigest()[:16]
    return f"{survey_id}:{digest}"


def survey_steps(questions: Sequence[QuestionDefinition]) -> list[list[FormItem]]:
    steps: list[list[FormItem]] = [[]]
    for question in questions:
        if question.type == "nps_plus":
            steps[-1].append(FormItem(question, "score"))
            steps.append([FormItem(question, "followup")])
        else:
            steps[-1].append(FormItem(question, "whole"))
    return [step for step in steps if step]


def link_attributes(params: QueryDict) -> dict[str, str]:
    """Every URL parameter but the reserved ones becomes a response attribute.

    Malformed names or over-long values are dropped rather than refused: a respondent
    must never be turned away because a campaign link was built sloppily.
    """
    attributes: dict[str, str] = {}
    for name in params:
        value = params.get(name, "")
        if name in RESERVED_PARAMETERS or not is_attribute_name(name):
            continue
        text = value.strip()[:MAX_ATTRIBUTE_VALUE_LENGTH]
        if text:
            attributes[name] = text
        if len(attributes) >= MAX_LINK_ATTRIBUTES:
            break
    return attributes


def _raw_value(item: FormItem, data: QueryDict) -> Any:
    if item.question.type == "multiple_choice":
        return data.getlist(item.field_name)
    return data.get(item.field_name, "")


def _blank(value: Any) -> bool:
    return value in (None, "", []) or (isinstance(value, str) and not value.strip())


def read_step(
    items: Sequence[FormItem], data: QueryDict, carried: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Answers of one step merged into the carried ones, and messages by question key."""
    answers = dict(carried)
    errors: dict[str, str] = {}
    for item in items:
        question = item.question
        try:
            if item.part == "followup":
                score_answer = answers.get(question.key)
                score = score_answer.get("score") if isinstance(score_answer, Mapping) else None
                if score is None:
                    continue  # the score was optional and skipped: nothing to follow up
                answers[question.key] = clean_answer(
                    question,
                    {
                        "score": score,
                        "reasons": data.getlist(f"{item.field_name}-reasons"),
                        "comment": data.get(f"{item.field_name}-comment", ""),
                    },
                )
                continue
            raw = _raw_value(item, data)
            if _blank(raw):
                answers.pop(question.key, None)
                if question.required:
                    errors[question.key] = _("This question is required.")
                continue
            if item.part == "score":
                answers[question.key] = clean_answer(question, {"score": raw})
            else:
                answers[question.key] = clean_answer(question, raw)
        except ValueError as error:
            errors[question.key] = str(error)
    return answers, errors


def category_of(question: QuestionDefinition, answers: Mapping[str, Any]) -> str | None:
    value = answers.get(question.key)
    if isinstance(value, Mapping) and value.get("score") is not None:
        return nps_category(int(value["score"]))
    return None


def _default_prompt(kind: str, category: str | None) -> str:
    prompts = {
        ("reason", "promoter"): _("What did you like most?"),
        ("reason", "passive"): _("What could we do better?"),
        ("reason", "detractor"): _("What disappointed you?"),
        ("comment", "promoter"): _("Anything else you would like to tell us?"),
        ("comment", "passive"): _("What would make you rate us higher?"),
        ("comment", "detractor"): _("We are sorry. What should we fix first?"),
    }
    return prompts.get((kind, category or "passive"), prompts[(kind, "passive")])


@dataclass(frozen=True, slots=True)
class Option:
    value: str
    label: str
    checked: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class ItemView:
    """One question as the template draws it, with texts in the respondent's language."""

    key: str
    field_name: str
    widget: Literal["scale", "radio", "checkbox", "text", "followup"]
    legend: str
    required: bool
    error: str = ""
    options: tuple[Option, ...] = ()
    low_label: str = ""
    high_label: str = ""
    text_value: str = ""
    comment_label: str = ""
    columns: int = 0


def present_items(
    items: Sequence[FormItem],
    *,
    answers: Mapping[str, Any],
    posted: QueryDict | None,
    errors: Mapping[str, str],
    text: Any,
) -> list[ItemView]:
    """`text(texts)` picks a text in the respondent's language (injected to keep this pure)."""
    views: list[ItemView] = []
    for item in items:
        question = item.question
        stored = answers.get(question.key)
        error = errors.get(question.key, "")
        if item.part == "followup":
            category = category_of(question, answers)
            stored_reasons = set((stored or {}).get("reasons", [])) if stored else set()
            chosen = set(posted.getlist(f"{item.field_name}-reasons")) if posted else stored_reasons
            comment = (
                posted.get(f"{item.field_name}-comment", "")
                if posted
                else (stored or {}).get("comment", "")
            )
            reason_texts = question.reason_prompt.get(category or "", {})
            comment_texts = question.comment_prompt.get(category or "", {})
            views.append(
                ItemView(
                    key=question.key,
                    field_name=item.field_name,
                    widget="followup",
                    legend=text(reason_texts) or _default_prompt("reason", category),
                    comment_label=text(comment_texts) or _default_prompt("comment", category),
                    required=False,
                    error=error,
                    options=tuple(
                        Option(c.key, text(c.text), c.key in chosen) for c in question.choices
                    ),
                    text_value=comment,
                )
            )
            continue
        if posted is not None:
            current: Any = (
                posted.getlist(item.field_name)
                if question.type == "multiple_choice"
                else posted.get(item.field_name, "")
            )
        elif isinstance(stored, Mapping):
            current = stored.get("score")
        else:
            current = stored
        score_range = question.score_range
        if score_range is not None:
            low, high = score_range
            labels = question.labels
            options = tuple(
                Option(
                    str(point),
                    str(point),
                    str(current) == str(point),
                    text(labels.get(str(point), {})),
                )
                for point in range(low, high + 1)
            )
            default_low = _("Not at all likely") if low == 0 else ""
            default_high = _("Extremely likely") if low == 0 else ""
            views.append(
                ItemView(
                    key=question.key,
                    field_name=item.field_name,
                    widget="scale",
                    legend=text(question.text),
                    required=question.required,
                    error=error,
                    options=options,
                    low_label=text(labels.get("low", {})) or default_low,
                    high_label=text(labels.get("high", {})) or default_high,
                    columns=high - low + 1,
                )
            )
        elif question.type in ("single_choice", "multiple_choice"):
            selected = set(current) if isinstance(current, list) else {current}
            views.append(
                ItemView(
                    key=question.key,
                    field_name=item.field_name,
                    widget="radio" if question.type == "single_choice" else "checkbox",
                    legend=text(question.text),
                    required=question.required,
                    error=error,
                    options=tuple(
                        Option(c.key, text(c.text), c.key in selected) for c in question.choices
                    ),
                )
            )
        else:
            views.append(
                ItemView(
                    key=question.key,
                    field_name=item.field_name,
                    widget="text",
                    legend=text(question.text),
                    required=question.required,
                    error=error,
                    text_value=str(current or ""),
                )
            )
    return views
