"""``CXLOOP_EMAIL_URL`` → Django's ``EMAIL_*`` settings (no Django import: settings.py uses it).

    smtp://user:pass@host:587?tls=1     STARTTLS
    smtps://user:pass@host:465          TLS from the first byte (also smtp://…?ssl=1)
    smtp://host:25?timeout=5            socket timeout in seconds (default 10)
    console://  locmem://  dummy://     print, keep in memory (tests), drop
    file:///var/mail                    one file per message in that directory

User and password are URL-decoded, so ``p%40ss`` is ``p@ss``.
"""

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_TIMEOUT = 10.0
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
SIMPLE_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
}
FILE_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class EmailUrlError(ValueError):
    """The URL cannot be turned into settings; the message says what is wrong."""


def _flag(query: dict[str, list[str]], name: str) -> bool:
    raw = query.get(name, [""])[-1].strip().lower()
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise EmailUrlError(f"?{name}= must be 1 or 0, got {raw!r}")


def parse_email_url(url: str) -> dict[str, Any]:
    """The ``EMAIL_*`` settings the URL describes (keys are Django setting names)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise EmailUrlError(f"not a valid URL ({error})") from error
    scheme = parts.scheme.lower()
    if scheme in SIMPLE_BACKENDS:
        return {"EMAIL_BACKEND": SIMPLE_BACKENDS[scheme]}
    if scheme == "file":
        if not parts.path:
            raise EmailUrlError("file:// needs a directory, e.g. file:///var/mail")
        return {"EMAIL_BACKEND": FILE_BACKEND, "EMAIL_FILE_PATH": unquote(parts.path)}
    if scheme not in {"smtp", "smtps"}:
        raise EmailUrlError(
            f"unknown scheme {parts.scheme!r}: use smtp, smtps, console, locmem, dummy or file"
        )
    if not parts.hostname:
        raise EmailUrlError("the SMTP host is missing, e.g. smtp://mail.example.com:587")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"tls", "ssl", "timeout"})
    if unknown:
        raise EmailUrlError(f"unknown option {', '.join(unknown)}: use tls, ssl or timeout")
    use_ssl = scheme == "smtps" or _flag(query, "ssl")
    use_tls = _flag(query, "tls")
    if use_ssl and use_tls:
        raise EmailUrlError("choose either TLS from the start (smtps, ssl=1) or STARTTLS (tls=1)")
    raw_timeout = query.get("timeout", [str(DEFAULT_TIMEOUT)])[-1]
    try:
        timeout = float(raw_timeout)
    except ValueError as error:
        raise EmailUrlError(
            f"?timeout= must be a number of seconds, got {raw_timeout!r}"
        ) from error
    if not 0 < timeout <= 600:
        raise EmailUrlError("?timeout= must be more than 0 and at most 600 seconds")
    return {
        "EMAIL_BACKEND": SMTP_BACKEND,
        "EMAIL_HOST": parts.hostname,
        "EMAIL_PORT": port or (465 if use_ssl else 587 if use_tls else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": use_tls,
        "EMAIL_USE_SSL": use_ssl,
        "EMAIL_TIMEOUT": timeout,
    }
