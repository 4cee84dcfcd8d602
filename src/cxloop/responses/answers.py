"""Server-side validation of answers against a survey's questions.

Messages go through gettext so the respondent reads them in the survey's language
(the caller activates it). Every problem is reported, keyed by ``answers.<question key>``.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.surveys.definitions import QuestionDefinition

MAX_TEXT_LENGTH = 5000
# Scores are small; anything else ("²", "--5", a 5,000-digit number) is simply not a score.
SMALL_INTEGER = re.compile(r"-?[0-9]{1,3}")


@dataclass(frozen=True, slots=True)
class HeadlineScores:
    """The answers summaries read most, copied into indexed columns."""

    nps: int | None
    csat: int | None
    ces: int | None
    comment: str


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and SMALL_INTEGER.fullmatch(value.strip()):
        return int(value.strip())
    return None


def _is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _clean_score(question: QuestionDefinition, value: Any) -> int:
    low, high = question.score_range or (0, 10)
    score = _as_int(value)
    if score is None or not low <= score <= high:
        raise ValueError(_("Choose a score from %(low)d to %(high)d.") % {"low": low, "high": high})
    return score


def _clean_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(_("Expected text."))
    text = value.strip()
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(_("At most %(n)d characters.") % {"n": MAX_TEXT_LENGTH})
    return text


def _clean_keys(question: QuestionDefinition, value: Any, *, single: bool) -> list[str]:
    allowed = question.choice_keys()
    values = [value] if single or isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(_("Choose from the options given."))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(_("Not an option: %(values)s.") % {"values": ", ".join(unknown)})
    if single and len(values) != 1:
        raise ValueError(_("Choose one option."))
    # Keep the survey's order and drop repeats so equal answers compare equal.
    return [key for key in allowed if key in values]


def _clean_nps_plus(question: QuestionDefinition, value: Any) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        value = {"score": value}
    score = _clean_score(question, value.get("score"))
    reasons_raw = value.get("reasons") or []
    reasons = _clean_keys(question, reasons_raw, single=False) if reasons_raw else []
    comment_raw = value.get("comment") or ""
    return {"score": score, "reasons": reasons, "comment": _clean_text(comment_raw)}


def clean_answer(question: QuestionDefinition, value: Any) -> Any:
    """The stored form of one answer; raises ValueError with a message for the respondent."""
    if question.type in ("nps", "csat", "ces"):
        return _clean_score(question, value)
    if question.type == "nps_plus":
        return _clean_nps_plus(question, value)
    if question.type == "text":
        return _clean_text(value)
    if question.type == "single_choice":
        return _clean_keys(question, value, single=True)[0]
    return _clean_keys(question, value, single=False)


def _answered(question: QuestionDefinition, value: Any) -> bool:
    if question.type == "nps_plus" and isinstance(value, Mapping):
        return not _is_blank(value.get("score"))
    if isinstance(value, str):
        return bool(value.strip())
    return not _is_blank(value)


def clean_answers(
    questions: Sequence[QuestionDefinition], raw_answers: Mapping[str, Any]
) -> dict[str, Any]:
    """Validate every answer; raise InputError naming each question at fault."""
    errors: list[FieldError] = []
    cleaned: dict[str, Any] = {}
    known = {question.key for question in questions}
    for key in raw_answers:
        if key not in known:
            errors.append(FieldError(f"answers.{key}", _("No such question in this survey.")))
    for question in questions:
        value = raw_answers.get(question.key)
        if not _answered(question, value):
            if question.required:
                errors.append(
                    FieldError(f"answers.{question.key}", _("This question is required."))
                )
            continue
        try:
            answer = clean_answer(question, value)
        except ValueError as error:
            errors.append(FieldError(f"answers.{question.key}", str(error)))
            continue
        if answer not in ("", []):
            cleaned[question.key] = answer
    if errors:
        raise InputError(errors)
    if not cleaned:
        raise InputError.single("answers", _("Answer at least one question."))
    return cleaned


def headline_scores(
    questions: Sequence[QuestionDefinition], answers: Mapping[str, Any]
) -> HeadlineScores:
    """The first NPS/NPS+, CSAT and CES answers, and the first non-empty comment."""
    nps = csat = ces = None
    comment = ""
    for question in questions:
        value = answers.get(question.key)
        if value is None:
            continue
        if question.type == "nps" and nps is None:
            nps = int(value)
        elif question.type == "nps_plus" and nps is None:
            nps = int(value["score"])
            comment = comment or value.get("comment", "")
        elif question.type == "csat" and csat is None:
            csat = int(value)
        elif question.type == "ces" and ces is None:
            ces = int(value)
        elif question.type == "text" and not comment:
            comment = str(value)
    return HeadlineScores(nps=nps, csat=csat, ces=ces, comment=comment)
