"""The web builder's edits, as pure functions from a definition dict to a new one.

Every change in the builder loads `survey_definition_dict(survey)`, applies one of these
functions and hands the result to `survey_update`, which validates the whole definition and
refuses changes that would corrupt stored answers. Keeping the edits pure (no database, no
request) makes each of them easy to test on its own.
"""

import copy
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from cxloop.common.languages import SURVEY_LANGUAGES
from cxloop.surveys.definitions import SCALES
from cxloop.surveys.survey_templates import (
    AGREEMENT_END_LABELS,
    CSAT_5_LABELS,
    NPS_END_LABELS,
    SURVEY_TEMPLATES,
)

Definition = dict[str, Any]
Texts = Mapping[str, str]

# Keys a new question of each type starts with (numbered when already taken).
STARTER_KEYS: Mapping[str, str] = {
    "nps": "nps",
    "nps_plus": "nps",
    "csat": "csat",
    "ces": "ces",
    "text": "comment",
    "single_choice": "choice",
    "multiple_choice": "choices",
}

_RECOMMEND: Texts = {
    "zh-Hans": "您有多大可能向朋友或同事推荐我们？",
    "zh-Hant": "您有多大可能向朋友或同事推薦我們？",
    "en": "How likely are you to recommend us to a friend or colleague?",
}
_STARTER_REASONS: tuple[tuple[str, Texts], ...] = (
    ("product", {"zh-Hans": "产品", "zh-Hant": "產品", "en": "Product"}),
    ("service", {"zh-Hans": "服务", "zh-Hant": "服務", "en": "Service"}),
    ("price", {"zh-Hans": "价格", "zh-Hant": "價格", "en": "Price"}),
)
_STARTER_REASON_PROMPTS: Mapping[str, Texts] = {
    "promoter": {
        "zh-Hans": "您最满意的是哪些方面？（可多选）",
        "zh-Hant": "您最滿意的是哪些方面？（可複選）",
        "en": "What did you like most? (Choose all that apply)",
    },
    "passive": {
        "zh-Hans": "哪些方面我们还可以做得更好？（可多选）",
        "zh-Hant": "哪些方面我們還可以做得更好？（可複選）",
        "en": "What could we do better? (Choose all that apply)",
    },
    "detractor": {
        "zh-Hans": "哪些方面让您失望？（可多选）",
        "zh-Hant": "哪些方面讓您失望？（可複選）",
        "en": "What disappointed you? (Choose all that apply)",
    },
}
_STARTER_COMMENT_PROMPTS: Mapping[str, Texts] = {
    "promoter": {
        "zh-Hans": "欢迎告诉我们更多让您满意的地方。",
        "zh-Hant": "歡迎告訴我們更多讓您滿意的地方。",
        "en": "Tell us more about what you liked.",
    },
    "passive": {
        "zh-Hans": "我们怎样做才能让您打 10 分？",
        "zh-Hant": "我們要怎麼做，您才會給 10 分？",
        "en": "What would it take for us to earn a 10?",
    },
    "detractor": {
        "zh-Hans": "很抱歉让您失望了。请告诉我们发生了什么，以便我们改进。",
        "zh-Hant": "很抱歉讓您失望了。請告訴我們發生了什麼事，讓我們能夠改進。",
        "en": "We're sorry we let you down. What happened, and how can we improve?",
    },
}
_STARTER_OPTIONS: tuple[tuple[str, Texts], ...] = (
    ("option_1", {"zh-Hans": "选项 1", "zh-Hant": "選項 1", "en": "Option 1"}),
    ("option_2", {"zh-Hans": "选项 2", "zh-Hant": "選項 2", "en": "Option 2"}),
)
_STARTER_TEXTS: Mapping[str, Texts] = {
    "nps": _RECOMMEND,
    "nps_plus": _RECOMMEND,
    "csat": {
        "zh-Hans": "您对我们的服务满意吗？",
        "zh-Hant": "您對我們的服務滿意嗎？",
        "en": "How satisfied are you with our service?",
    },
    "ces": {
        "zh-Hans": "贵公司让我能够轻松地处理我的问题。",
        "zh-Hant": "貴公司讓我能夠輕鬆地處理我的問題。",
        "en": "The company made it easy for me to handle my issue.",
    },
    "text": {
        "zh-Hans": "您还有其他想告诉我们的吗？",
        "zh-Hant": "您還有其他想告訴我們的嗎？",
        "en": "Is there anything else you would like to tell us?",
    },
    "single_choice": {"zh-Hans": "请选择一项。", "zh-Hant": "請選擇一項。", "en": "Choose one."},
    "multiple_choice": {
        "zh-Hans": "请选择所有适用的选项。",
        "zh-Hant": "請選擇所有適用的選項。",
        "en": "Choose all that apply.",
    },
}


def is_texts(value: Any) -> bool:
    """Whether `value` is a texts-by-language mapping (and not, say, labels by point)."""
    return isinstance(value, Mapping) and bool(value) and set(value) <= set(SURVEY_LANGUAGES)


def _only(texts: Texts, languages: Sequence[str]) -> dict[str, str]:
    return {language: texts[language] for language in languages if language in texts}


def _texts_tree(value: Any, languages: Sequence[str]) -> Any:
    if is_texts(value):
        return _only(value, languages)
    if isinstance(value, Mapping):
        return {key: _texts_tree(item, languages) for key, item in value.items()}
    if isinstance(value, list):
        return [_texts_tree(item, languages) for item in value]
    return value


def unique_key(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    number = 2
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"


def question_keys(definition: Mapping[str, Any]) -> list[str]:
    return [question["key"] for question in definition.get("questions", [])]


def question_index(definition: Mapping[str, Any], key: str) -> int | None:
    keys = question_keys(definition)
    return keys.index(key) if key in keys else None


def starter_question(question_type: str, *, key: str, languages: Sequence[str]) -> dict[str, Any]:
    """A new question of `question_type`, valid at once: default texts in every language."""
    question: dict[str, Any] = {
        "key": key,
        "type": question_type,
        "text": _only(_STARTER_TEXTS[question_type], languages),
        "required": question_type != "text",
    }
    if question_type in ("nps", "nps_plus"):
        question["labels"] = _texts_tree(dict(NPS_END_LABELS), languages)
    if question_type in SCALES:
        question["scale"] = SCALES[question_type][0]
    if question_type == "csat":
        question["labels"] = _texts_tree(dict(CSAT_5_LABELS), languages)
    if question_type == "ces":
        question["labels"] = {
            "1": _only(AGREEMENT_END_LABELS["low"], languages),
            "7": _only(AGREEMENT_END_LABELS["high"], languages),
        }
    if question_type in ("single_choice", "multiple_choice"):
        question["choices"] = [
            {"key": choice_key, "text": _only(texts, languages)}
            for choice_key, texts in _STARTER_OPTIONS
        ]
    if question_type == "nps_plus":
        question["reasons"] = [
            {"key": reason_key, "text": _only(texts, languages)}
            for reason_key, texts in _STARTER_REASONS
        ]
        question["reason_prompt"] = _texts_tree(dict(_STARTER_REASON_PROMPTS), languages)
        question["comment_prompt"] = _texts_tree(dict(_STARTER_COMMENT_PROMPTS), languages)
    return question


def new_survey_definition(
    *,
    template_key: str,
    name: str,
    kind: str,
    touchpoint: str,
    languages: Sequence[str],
    default_language: str,
    brand: str | None = None,
) -> Definition:
    """The definition of a new survey: a template's (or an empty one) with the choices made.

    An empty kind or touchpoint keeps the template's; a blank survey is transactional.
    """
    template = SURVEY_TEMPLATES.get(template_key)
    if template is None:
        definition: Definition = {
            "name": name,
            "kind": kind or "transactional",
            "touchpoint": touchpoint,
            "languages": list(languages),
            "default_language": default_language,
            "questions": [],
        }
        return definition
    definition = template.definition(
        languages=languages, name=name or None, default_language=default_language, brand=brand
    )
    if kind:
        definition["kind"] = kind
    if touchpoint:
        definition["touchpoint"] = touchpoint
    return definition


def add_question(definition: Mapping[str, Any], question_type: str) -> tuple[Definition, str]:
    """Append a starter question; returns the new definition and the new question's key."""
    new = copy.deepcopy(dict(definition))
    key = unique_key(STARTER_KEYS[question_type], set(question_keys(new)))
    new.setdefault("questions", []).append(
        starter_question(question_type, key=key, languages=new["languages"])
    )
    return new, key


def replace_question(
    definition: Mapping[str, Any], key: str, question: Mapping[str, Any]
) -> Definition:
    index = question_index(definition, key)
    if index is None:
        raise KeyError(key)
    new = copy.deepcopy(dict(definition))
    new["questions"][index] = copy.deepcopy(dict(question))
    return new


def move_question(
    definition: Mapping[str, Any], key: str, direction: Literal["up", "down"]
) -> Definition:
    """Swap a question with its neighbour; moving past either end changes nothing."""
    index = question_index(definition, key)
    if index is None:
        raise KeyError(key)
    new = copy.deepcopy(dict(definition))
    questions = new["questions"]
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(questions):
        questions[index], questions[target] = questions[target], questions[index]
    return new


def remove_question(definition: Mapping[str, Any], key: str) -> Definition:
    if question_index(definition, key) is None:
        raise KeyError(key)
    new = copy.deepcopy(dict(definition))
    new["questions"] = [question for question in new["questions"] if question["key"] != key]
    return new


def _with_languages(value: Any, languages: Sequence[str], source: str) -> Any:
    """Texts in `languages` only; a language a texts mapping lacks is copied from `source`."""
    if is_texts(value):
        texts = dict(value)
        if source in texts:
            for language in languages:
                texts.setdefault(language, texts[source])
        return _only(texts, languages)
    if isinstance(value, Mapping):
        return {key: _with_languages(item, languages, source) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_languages(item, languages, source) for item in value]
    return value


def update_details(definition: Mapping[str, Any], details: Mapping[str, Any]) -> Definition:
    """Apply the survey details form: name, kind, touchpoint, languages, survey texts.

    Texts of a removed language are dropped. A newly added language starts with a copy of the
    old default language's texts, so the survey stays valid; the builder asks to translate them.
    """
    new = copy.deepcopy(dict(definition))
    for name in ("name", "kind", "touchpoint", "default_language"):
        new[name] = details[name]
    for name in ("title", "intro", "thank_you"):
        new[name] = {**new.get(name, {}), **details[name]}
    languages = list(details["languages"])
    source = definition.get("default_language") or definition["languages"][0]
    new["languages"] = languages
    for name in ("title", "intro", "thank_you"):
        new[name] = _with_languages(new.get(name, {}), languages, source)
    new["questions"] = _with_languages(new.get("questions", []), languages, source)
    return new


def added_languages(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    return [language for language in after["languages"] if language not in before["languages"]]
