"""The widget's settings as the page and the service accept them, with every problem named."""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.widget.models import UrlMatch, WidgetDisplay, WidgetPosition

MAX_ORIGINS = 20
MAX_PATTERNS = 20
MAX_PATTERN_LENGTH = 300
MAX_DELAY_SECONDS = 3600
MAX_FREQUENCY_DAYS = 3650
EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.:-]{0,63}$")
HOST_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){HOST_LABEL}(\.{HOST_LABEL})*$")
# Plain http is only for a developer's own machine; a real shop is served over https.
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Python-only regular-expression syntax a browser's RegExp refuses.
PYTHON_ONLY_REGEX = re.compile(r"\(\?P[<=]|\(\?#|\\[AZ]|\(\?[aiLmsux]+\)")


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    enabled: bool = True
    allowed_origins: tuple[str, ...] = ()
    display: str = WidgetDisplay.SLIDE_IN
    position: str = WidgetPosition.BOTTOM_RIGHT
    url_match: str = UrlMatch.GLOB
    url_patterns: tuple[str, ...] = ()
    delay_seconds: int | None = None
    scroll_percent: int | None = None
    exit_intent: bool = False
    event_name: str = ""
    anonymous_frequency_days: int = 30


def normalize_origin(raw: str) -> str:
    """The origin exactly as a browser sends it in the Origin header; ValueError otherwise."""
    text = raw.strip()
    if "*" in text:
        raise ValueError(_("List each origin exactly; wildcards are not allowed."))
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise ValueError(_("Not a valid origin.")) from None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(_("Write an origin like https://shop.example.com."))
    extra = parts.username or parts.password or parts.query or parts.fragment
    if extra or parts.path not in ("", "/"):
        raise ValueError(
            _("Only the scheme, the host and the port: https://shop.example.com, no path.")
        )
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    elif not HOST_NAME.match(host):
        raise ValueError(_("Not a valid host name."))
    if scheme == "http" and host not in LOCAL_HOSTS:
        raise ValueError(_("Use https; plain http is only allowed for localhost and 127.0.0.1."))
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def _lines(raw: Any) -> list[str]:
    if isinstance(raw, str):
        items: Sequence[Any] = raw.splitlines()
    elif isinstance(raw, list | tuple):
        items = raw
    else:
        raise ValueError
    if not all(isinstance(item, str) for item in items):
        raise ValueError
    return [item.strip() for item in items if item.strip()]


def _int(
    raw: Any, field: str, low: int, high: int, errors: list[FieldError], *, optional: bool
) -> int | None:
    if raw is None or raw == "":
        if optional:
            return None
        errors.append(FieldError(field, _("This field is required.")))
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        errors.append(FieldError(field, _("Enter a whole number.")))
        return None
    try:
        value = int(raw)
    except ValueError:
        errors.append(FieldError(field, _("Enter a whole number.")))
        return None
    if not low <= value <= high:
        errors.append(
            FieldError(
                field,
                _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            )
        )
        return None
    return value


def _origins(raw: Any, errors: list[FieldError]) -> tuple[str, ...]:
    try:
        lines = _lines(raw)
    except ValueError:
        errors.append(FieldError("allowed_origins", _("Give one origin per line.")))
        return ()
    if len(lines) > MAX_ORIGINS:
        errors.append(
            FieldError("allowed_origins", _("At most %(n)d origins.") % {"n": MAX_ORIGINS})
        )
        return ()
    origins: list[str] = []
    for line in lines:
        try:
            origin = normalize_origin(line)
        except ValueError as error:
            errors.append(FieldError("allowed_origins", f"{line[:100]}: {error}"))
            continue
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _patterns(raw: Any, url_match: str, errors: list[FieldError]) -> tuple[str, ...]:
    try:
        lines = _lines(raw)
    except ValueError:
        errors.append(FieldError("url_patterns", _("Give one pattern per line.")))
        return ()
    if len(lines) > MAX_PATTERNS:
        errors.append(
            FieldError("url_patterns", _("At most %(n)d patterns.") % {"n": MAX_PATTERNS})
        )
        return ()
    for line in lines:
        if len(line) > MAX_PATTERN_LENGTH:
            errors.append(
                FieldError(
                    "url_patterns",
                    _("At most %(n)d characters per pattern.") % {"n": MAX_PATTERN_LENGTH},
                )
            )
            continue
        if url_match != UrlMatch.REGEX:
            continue
        try:
            re.compile(line)
        except re.error as error:
            errors.append(
                FieldError(
                    "url_patterns",
                    _("%(pattern)s is not a valid regular expression: %(problem)s.")
                    % {"pattern": line[:100], "problem": error.msg},
                )
            )
            continue
        if PYTHON_ONLY_REGEX.search(line):
            errors.append(
                FieldError(
                    "url_patterns",
                    _("%(pattern)s uses syntax browsers do not understand.")
                    % {"pattern": line[:100]},
                )
            )
    return tuple(dict.fromkeys(lines))


def _choice(raw: Any, field: str, choices: Sequence[str], errors: list[FieldError]) -> str:
    if raw not in choices:
        errors.append(FieldError(field, _("Choose one of the options given.")))
        return choices[0]
    return str(raw)


def _bool(raw: Any) -> bool:
    if isinstance(raw, str):
        return raw.strip().lower() in {"1", "true", "on", "yes"}
    return bool(raw)


def clean_widget_settings(raw: Mapping[str, Any]) -> WidgetSettings:
    """Validate the settings; raise InputError naming every field at fault."""
    errors: list[FieldError] = []
    url_match = _choice(raw.get("url_match", UrlMatch.GLOB), "url_match", UrlMatch.values, errors)
    event_name = raw.get("event_name") or ""
    if not isinstance(event_name, str):
        event_name = ""
        errors.append(FieldError("event_name", _("Expected text.")))
    event_name = event_name.strip()
    if event_name and not EVENT_NAME.match(event_name):
        errors.append(
            FieldError(
                "event_name",
                _(
                    "Up to 64 letters, digits, '_', '-', '.' or ':', starting with a letter, "
                    "e.g. order-confirmed."
                ),
            )
        )
    settings = WidgetSettings(
        enabled=_bool(raw.get("enabled", True)),
        allowed_origins=_origins(raw.get("allowed_origins", ()), errors),
        display=_choice(
            raw.get("display", WidgetDisplay.SLIDE_IN), "display", WidgetDisplay.values, errors
        ),
        position=_choice(
            raw.get("position", WidgetPosition.BOTTOM_RIGHT),
            "position",
            WidgetPosition.values,
            errors,
        ),
        url_match=url_match,
        url_patterns=_patterns(raw.get("url_patterns", ()), url_match, errors),
        delay_seconds=_int(
            raw.get("delay_seconds"), "delay_seconds", 0, MAX_DELAY_SECONDS, errors, optional=True
        ),
        scroll_percent=_int(
            raw.get("scroll_percent"), "scroll_percent", 1, 100, errors, optional=True
        ),
        exit_intent=_bool(raw.get("exit_intent", False)),
        event_name=event_name,
        anonymous_frequency_days=_int(
            raw.get("anonymous_frequency_days", 30),
            "anonymous_frequency_days",
            0,
            MAX_FREQUENCY_DAYS,
            errors,
            optional=False,
        )
        or 0,
    )
    if errors:
        raise InputError(errors)
    return settings
