"""Survey languages (BCP 47 tags as customers and the API spell them) and Django's codes."""

from collections.abc import Iterable, Mapping

SURVEY_LANGUAGES: tuple[str, ...] = ("zh-Hans", "zh-Hant", "en")
SURVEY_LANGUAGE_NAMES: Mapping[str, str] = {
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
    "en": "English",
}
_ALIASES: Mapping[str, str] = {
    "zh-hans": "zh-Hans",
    "zh-cn": "zh-Hans",
    "zh-sg": "zh-Hans",
    "zh": "zh-Hans",
    "zh-hant": "zh-Hant",
    "zh-tw": "zh-Hant",
    "zh-hk": "zh-Hant",
    "zh-mo": "zh-Hant",
    "en": "en",
}


def normalize_language(tag: str | None) -> str | None:
    """Map any spelling a browser or link may use (zh-CN, zh_TW, EN-us…) to a survey language."""
    if not tag:
        return None
    cleaned = tag.strip().replace("_", "-").lower()
    if cleaned in _ALIASES:
        return _ALIASES[cleaned]
    primary = cleaned.split("-")[0]
    if cleaned.startswith("zh-"):
        # zh-Hant-TW, zh-Hans-CN and similar carry the script as the second subtag.
        script = cleaned.split("-")[1]
        return _ALIASES.get(f"zh-{script}", "zh-Hans")
    return _ALIASES.get(primary)


def django_language(survey_language: str) -> str:
    """The Django LANGUAGE_CODE for a survey language (zh-Hans → zh-hans)."""
    return survey_language.lower()


def parse_accept_language(header: str) -> list[str]:
    """Language tags from an Accept-Language header, best first (q-values honoured)."""
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose_language(
    *, requested: str | None, accept_language: str, available: Iterable[str], default: str
) -> str:
    """The language to show: an explicit ?lang= first, then the browser's preferences."""
    offered = list(available)
    explicit = normalize_language(requested)
    if explicit in offered:
        return explicit
    for tag in parse_accept_language(accept_language):
        candidate = normalize_language(tag)
        if candidate in offered:
            return candidate
    return default if default in offered else offered[0]


def pick_text(texts: Mapping[str, str], language: str, fallback_order: Iterable[str] = ()) -> str:
    """The text in `language`, else the first available in fallback order, else any."""
    if texts.get(language):
        return texts[language]
    for other in (*fallback_order, *SURVEY_LANGUAGES):
        if texts.get(other):
            return texts[other]
    return next((value for value in texts.values() if value), "")


def current_survey_language() -> str:
    """The survey language matching the active UI language (zh-hant → zh-Hant)."""
    from django.utils.translation import get_language

    return normalize_language(get_language()) or "en"
