"""One interface over the SMS providers, and the HTTP plumbing they share.

Failures come in two kinds the background sender treats differently:

- ``SmsTransientError``: trying again later may work — network errors, timeouts, HTTP 5xx,
  the provider's throttling codes, and answers that are not the JSON the provider always
  sends (a gateway's HTML error page or a cut-off body: something between us and the
  provider failed, the provider did not refuse the message).
- ``SmsPermanentError``: the same request will fail again until a person changes something —
  an invalid number, wrong credentials or signature, an unapproved template or sign name,
  an empty balance. A provider code we do not know is permanent too, so that an unexpected
  refusal is shown to a person instead of being retried without end; an unknown code with
  HTTP 5xx is transient.

This module and the adapters use only the standard library and know nothing of Django.
"""

import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from cxloop.common.languages import pick_text

DEFAULT_TIMEOUT_SECONDS = 10.0
# Provider messages are shown to administrators and stored with failures: keep them short.
MAX_ERROR_MESSAGE_LENGTH = 300


@dataclass(frozen=True, slots=True)
class SmsMessage:
    to: str  # E.164, e.g. "+8613800138000"
    text: str  # the whole message, for providers that send free text (Twilio)
    # Values for the provider's pre-approved template (Aliyun, Tencent Cloud), e.g.
    # {"name": "王芳", "link": "https://cx.example.com/r/Ab3x"}; Tencent Cloud templates are
    # positional ({1}, {2}…) and get the values in this mapping's order.
    template_params: Mapping[str, str] = field(default_factory=dict)
    language: str = "zh-Hans"  # survey language, picks the template


@dataclass(frozen=True, slots=True)
class SmsReceipt:
    provider_message_id: str
    accepted: bool
    raw_status: str


class SmsError(Exception):
    """A message could not be handed to the provider."""

    def __init__(self, message: str, *, code: str = "", http_status: int | None = None) -> None:
        self.message = message[:MAX_ERROR_MESSAGE_LENGTH]
        self.code = code  # the provider's error code, "" when there is none
        self.http_status = http_status
        super().__init__(f"{code}: {self.message}" if code else self.message)


class SmsTransientError(SmsError):
    """Try again later (with backoff)."""


class SmsPermanentError(SmsError):
    """Do not retry: a person has to fix the number, the credentials or the templates."""


class SmsProvider(Protocol):
    name: str

    def send(self, message: SmsMessage) -> SmsReceipt: ...


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    status: int
    body: bytes
    headers: Mapping[str, str]


def http_post(url: str, *, body: bytes, headers: Mapping[str, str], timeout: float) -> HttpAnswer:
    """POST and return the answer whatever its status; only failures to get one raise.

    Providers put their error codes in 4xx/5xx bodies, so those are answers, not exceptions.
    """
    if not url.startswith(("https://", "http://")):
        raise SmsPermanentError(f"Not an HTTP(S) endpoint: {url}")
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return HttpAnswer(response.status, response.read(), dict(response.headers.items()))
    except urllib.error.HTTPError as error:
        with error:
            return HttpAnswer(error.code, error.read(), dict(error.headers.items()))
    except TimeoutError as error:
        raise SmsTransientError(f"No answer within {timeout:g} s") from error
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise SmsTransientError(f"No answer within {timeout:g} s") from error
        raise SmsTransientError(f"Network error: {error.reason}") from error
    except (http.client.HTTPException, OSError) as error:
        raise SmsTransientError(f"Network error: {error}") from error


def json_answer(answer: HttpAnswer) -> Any:
    """The decoded JSON body; anything else is a transient failure (see the module doc)."""
    try:
        return json.loads(answer.body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SmsTransientError(
            f"HTTP {answer.status}: the provider's answer is not JSON",
            http_status=answer.status,
        ) from error


def is_server_error(status: int) -> bool:
    return status >= 500


def transient_or_permanent(
    *, transient: bool, message: str, code: str, http_status: int
) -> SmsError:
    error_class = SmsTransientError if transient else SmsPermanentError
    return error_class(message, code=code, http_status=http_status)


def template_for(templates: Mapping[str, str], language: str) -> str:
    """The template id for the message's language, else one in another language."""
    template = pick_text(templates, language)
    if not template:
        raise SmsPermanentError("No SMS template is configured.", code="no_template")
    return template
