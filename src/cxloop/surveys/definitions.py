"""Survey definitions: parsing, validation and the rules that keep stored answers intact.

A definition is the JSON a survey is made of (the API's input, the templates, and what the
web builder produces). Parsing returns frozen dataclasses or raises InputError naming every
field at fault, so the API and the forms can show all problems at once.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGES

QUESTION_TYPES: tuple[str, ...] = (
    "nps",
    "nps_plus",
    "csat",
    "ces",
    "text",
    "single_choice",
    "multiple_choice",
)
SCORE_TYPES = frozenset({"nps", "nps_plus", "csat", "ces"})
CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
SURVEY_KINDS: tuple[str, ...] = ("relationship", "transactional", "realtime")
NPS_CATEGORIES: tuple[str, ...] = ("promoter", "passive", "detractor")
SCALES: Mapping[str, tuple[int, ...]] = {"csat": (5, 7, 10), "ces": (7, 5)}
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_QUESTIONS = 100
MAX_CHOICES = 50

Texts = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Choice:
    key: str
    text: Texts


@dataclass(frozen=True, slots=True)
class QuestionDefinition:
    key: str
    type: str
    text: Texts
    required: bool = True
    scale: int | None = None  # csat / ces points (1..scale)
    labels: Mapping[str, Texts] = field(default_factory=dict)  # point or "low"/"high" → texts
    choices: tuple[Choice, ...] = ()  # choice questions; NPS+ reasons
    # NPS+: wording of the reasons checklist and the open question per category
    reason_prompt: Mapping[str, Texts] = field(default_factory=dict)
    comment_prompt: Mapping[str, Texts] = field(default_factory=dict)

    @property
    def score_range(self) -> tuple[int, int] | None:
        if self.type in ("nps", "nps_plus"):
            return (0, 10)
        if self.type in ("csat", "ces") and self.scale:
            return (1, self.scale)
        return None

    def choice_keys(self) -> tuple[str, ...]:
        return tuple(choice.key for choice in self.choices)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "type": self.type,
            "text": dict(self.text),
            "required": self.required,
        }
        if self.scale is not None:
            data["scale"] = self.scale
        if self.labels:
            data["labels"] = {point: dict(texts) for point, texts in self.labels.items()}
        if self.choices:
            name = "reasons" if self.type == "nps_plus" else "choices"
            data[name] = [{"key": c.key, "text": dict(c.text)} for c in self.choices]
        if self.reason_prompt:
            data["reason_prompt"] = {k: dict(v) for k, v in self.reason_prompt.items()}
        if self.comment_prompt:
            data["comment_prompt"] = {k: dict(v) for k, v in self.comment_prompt.items()}
        return data

    def config(self) -> dict[str, Any]:
        """Everything but key, type, text and required: stored in Question.config."""
        data = self.to_dict()
        for name in ("key", "type", "text", "required"):
            data.pop(name)
        return data


@dataclass(frozen=True, slots=True)
class SurveyDefinition:
    name: str
    languages: tuple[str, ...]
    default_language: str
    questions: tuple[QuestionDefinition, ...]
    kind: str = "transactional"
    touchpoint: str = ""
    title: Texts = field(default_factory=dict)
    intro: Texts = field(default_factory=dict)
    thank_you: Texts = field(default_factory=dict)

    def question(self, key: str) -> QuestionDefinition | None:
        return next((q for q in self.questions if q.key == key), None)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))


def _texts(
    raw: Any, path: str, languages: tuple[str, ...], errors: _Collector, *, required: bool = True
) -> dict[str, str]:
    if raw is None or raw == "":
        if required:
            errors.add(path, _("This text is required."))
        return {}
    if isinstance(raw, str):
        # A plain string is accepted for single-language surveys.
        if len(languages) == 1:
            raw = {languages[0]: raw}
        else:
            errors.add(path, _('Give a text per language, e.g. {"en": "…"}.'))
            return {}
    if not isinstance(raw, Mapping):
        errors.add(path, _("Expected an object of texts by language."))
        return {}
    texts: dict[str, str] = {}
    for language, value in raw.items():
        if language not in SURVEY_LANGUAGES:
            errors.add(f"{path}.{language}", _("Unknown language; use zh-Hans, zh-Hant or en."))
            continue
        if not isinstance(value, str):
            errors.add(f"{path}.{language}", _("Expected a string."))
            continue
        if len(value) > 2000:
            errors.add(f"{path}.{language}", _("At most 2000 characters."))
            continue
        if value.strip():
            texts[language] = value.strip()
    if required:
        for language in languages:
            if language not in texts:
                errors.add(f"{path}.{language}", _("Missing the text in this language."))
    return texts


def _choices(
    raw: Any, path: str, languages: tuple[str, ...], errors: _Collector
) -> tuple[Choice, ...]:
    if not isinstance(raw, list) or not raw:
        errors.add(path, _("Give at least one option."))
        return ()
    if len(raw) > MAX_CHOICES:
        errors.add(path, _("At most %(n)d options.") % {"n": MAX_CHOICES})
        return ()
    choices: list[Choice] = []
    seen: set[str] = set()
    for index, item in enumerate(raw):
        item_path = f"{path}.{index}"
        if not isinstance(item, Mapping):
            errors.add(item_path, _("Expected an object with key and text."))
            continue
        key = item.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            errors.add(
                f"{item_path}.key",
                _("Use lowercase letters, digits and underscores, starting with a letter."),
            )
            continue
        if key in seen:
            errors.add(f"{item_path}.key", _("Duplicate option key %(key)s.") % {"key": key})
            continue
        seen.add(key)
        choices.append(
            Choice(key, _texts(item.get("text"), f"{item_path}.text", languages, errors))
        )
    return tuple(choices)


def _category_texts(
    raw: Any, path: str, languages: tuple[str, ...], errors: _Collector
) -> dict[str, dict[str, str]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        errors.add(path, _("Expected texts for promoter, passive and detractor."))
        return {}
    prompts: dict[str, dict[str, str]] = {}
    for category, texts in raw.items():
        if category not in NPS_CATEGORIES:
            errors.add(f"{path}.{category}", _("Use promoter, passive or detractor."))
            continue
        prompts[category] = _texts(texts, f"{path}.{category}", languages, errors)
    return prompts


def _question(
    raw: Any, path: str, languages: tuple[str, ...], errors: _Collector
) -> QuestionDefinition | None:
    if not isinstance(raw, Mapping):
        errors.add(path, _("Expected a question object."))
        return None
    key = raw.get("key")
    if not isinstance(key, str) or not KEY_PATTERN.match(key):
        errors.add(
            f"{path}.key",
            _("Use lowercase letters, digits and underscores, starting with a letter."),
        )
        key = ""
    question_type = raw.get("type")
    if question_type not in QUESTION_TYPES:
        errors.add(
            f"{path}.type",
            _("Unknown question type; use one of: %(types)s.")
            % {"types": ", ".join(QUESTION_TYPES)},
        )
        return None
    required = raw.get("required", True)
    if not isinstance(required, bool):
        errors.add(f"{path}.required", _("Expected true or false."))
        required = True
    text = _texts(raw.get("text"), f"{path}.text", languages, errors)
    scale: int | None = None
    labels: dict[str, dict[str, str]] = {}
    choices: tuple[Choice, ...] = ()
    reason_prompt: dict[str, dict[str, str]] = {}
    comment_prompt: dict[str, dict[str, str]] = {}
    raw_labels = raw.get("labels") or {}
    if not isinstance(raw_labels, Mapping):
        errors.add(f"{path}.labels", _("Expected an object of labels."))
        raw_labels = {}
    if question_type in SCALES:
        allowed = SCALES[question_type]
        scale = raw.get("scale", allowed[0])
        if scale not in allowed or isinstance(scale, bool):
            errors.add(
                f"{path}.scale",
                _("Scale must be one of %(scales)s.")
                % {"scales": ", ".join(str(s) for s in allowed)},
            )
            scale = allowed[0]
    if question_type in SCORE_TYPES:
        points = {"low", "high"} | {
            str(p) for p in range(0 if scale is None else 1, (scale or 10) + 1)
        }
        for point, texts in raw_labels.items():
            if str(point) not in points:
                errors.add(f"{path}.labels.{point}", _("No such point on this scale."))
                continue
            labels[str(point)] = _texts(
                texts, f"{path}.labels.{point}", languages, errors, required=False
            )
    if question_type in CHOICE_TYPES:
        choices = _choices(raw.get("choices"), f"{path}.choices", languages, errors)
    if question_type == "nps_plus":
        choices = _choices(raw.get("reasons"), f"{path}.reasons", languages, errors)
        reason_prompt = _category_texts(
            raw.get("reason_prompt"), f"{path}.reason_prompt", languages, errors
        )
        comment_prompt = _category_texts(
            raw.get("comment_prompt"), f"{path}.comment_prompt", languages, errors
        )
    known = {
        "key", "type", "text", "required", "scale", "labels", "choices", "reasons",
        "reason_prompt", "comment_prompt",
    }  # fmt: skip
    for unknown in sorted(set(raw) - known):
        errors.add(f"{path}.{unknown}", _("Unknown field."))
    return QuestionDefinition(
        key=key,
        type=question_type,
        text=text,
        required=required,
        scale=scale,
        labels=labels,
        choices=choices,
        reason_prompt=reason_prompt,
        comment_prompt=comment_prompt,
    )


def parse_survey_definition(raw: Any) -> SurveyDefinition:
    """Validate a survey definition; raise InputError listing every problem."""
    errors = _Collector()
    if not isinstance(raw, Mapping):
        raise InputError.single("", _("Expected a survey object."))
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.add("name", _("A survey needs a name."))
        name = ""
    elif len(name) > 200:
        errors.add("name", _("At most 200 characters."))
    raw_languages = raw.get("languages", ["zh-Hans"])
    languages: tuple[str, ...] = ()
    if not isinstance(raw_languages, list) or not raw_languages:
        errors.add("languages", _("Give at least one language: zh-Hans, zh-Hant or en."))
    else:
        for index, language in enumerate(raw_languages):
            if language not in SURVEY_LANGUAGES:
                errors.add(f"languages.{index}", _("Unknown language; use zh-Hans, zh-Hant or en."))
            elif language not in languages:
                languages += (language,)
    default_language = raw.get("default_language") or (languages[0] if languages else "")
    if languages and default_language not in languages:
        errors.add("default_language", _("The default language must be one of the languages."))
    kind = raw.get("kind", "transactional")
    if kind not in SURVEY_KINDS:
        errors.add("kind", _("Use relationship, transactional or realtime."))
    touchpoint = raw.get("touchpoint") or ""
    if not isinstance(touchpoint, str) or len(touchpoint) > 100:
        errors.add("touchpoint", _("Expected a name of at most 100 characters."))
        touchpoint = ""
    title = _texts(raw.get("title"), "title", languages, errors, required=False)
    intro = _texts(raw.get("intro"), "intro", languages, errors, required=False)
    thank_you = _texts(raw.get("thank_you"), "thank_you", languages, errors, required=False)
    raw_questions = raw.get("questions", [])
    questions: list[QuestionDefinition] = []
    if not isinstance(raw_questions, list):
        errors.add("questions", _("Expected a list of questions."))
    elif len(raw_questions) > MAX_QUESTIONS:
        errors.add("questions", _("At most %(n)d questions.") % {"n": MAX_QUESTIONS})
    else:
        seen: set[str] = set()
        for index, raw_question in enumerate(raw_questions):
            question = _question(raw_question, f"questions.{index}", languages, errors)
            if question is None:
                continue
            if question.key and question.key in seen:
                errors.add(
                    f"questions.{index}.key",
                    _("Duplicate question key %(key)s.") % {"key": question.key},
                )
            seen.add(question.key)
            questions.append(question)
    known = {
        "name", "languages", "default_language", "kind", "touchpoint", "title", "intro",
        "thank_you", "questions",
    }  # fmt: skip
    for unknown in sorted(set(raw) - known):
        errors.add(unknown, _("Unknown field."))
    if errors.errors:
        raise InputError(errors.errors)
    return SurveyDefinition(
        name=name.strip(),
        languages=languages,
        default_language=default_language,
        questions=tuple(questions),
        kind=kind,
        touchpoint=touchpoint.strip(),
        title=title,
        intro=intro,
        thank_you=thank_you,
    )


def breaking_changes(
    old: tuple[QuestionDefinition, ...], new: tuple[QuestionDefinition, ...]
) -> list[FieldError]:
    """Changes that would make stored answers wrong or unreadable.

    Texts, order, required flags, new questions and new options are safe. Removing a
    question or an option, or changing a type or a scale, would change what existing
    answers mean, so it is refused once a survey has responses.
    """
    problems: list[FieldError] = []
    new_by_key = {q.key: q for q in new}
    for old_question in old:
        new_question = new_by_key.get(old_question.key)
        if new_question is None:
            problems.append(
                FieldError(
                    "questions",
                    _(
                        "Question “%(key)s” has answers and cannot be removed; "
                        "make it optional or close this survey and start a new one."
                    )
                    % {"key": old_question.key},
                )
            )
            continue
        path = f"questions.{new.index(new_question)}"
        if new_question.type != old_question.type:
            problems.append(
                FieldError(
                    f"{path}.type",
                    _("Question “%(key)s” has answers; its type cannot change.")
                    % {"key": old_question.key},
                )
            )
            continue
        if new_question.scale != old_question.scale:
            problems.append(
                FieldError(
                    f"{path}.scale",
                    _("Question “%(key)s” has answers; its scale cannot change.")
                    % {"key": old_question.key},
                )
            )
        removed = set(old_question.choice_keys()) - set(new_question.choice_keys())
        if removed:
            problems.append(
                FieldError(
                    f"{path}.{'reasons' if old_question.type == 'nps_plus' else 'choices'}",
                    _("Options with answers cannot be removed: %(keys)s.")
                    % {"keys": ", ".join(sorted(removed))},
                )
            )
    return problems
