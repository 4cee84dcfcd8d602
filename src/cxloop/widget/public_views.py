"""The widget's public endpoints, called from customers' own websites.

``/w/<key>.js`` is the script of the one-line snippet. ``/w/<key>/config``,
``/w/<key>/eligibility`` and ``/w/<key>/responses`` answer JSON to the origins the widget
allows, and only to them: CORS headers are set per widget here rather than by a global
middleware, so no other endpoint of the application becomes readable cross-origin.
"""

import hashlib
import json
import time
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache as django_cache
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    JsonResponse,
)
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cxloop.common.errors import InputError
from cxloop.common.languages import choose_language, django_language
from cxloop.distribution.services import InvitationUnavailable
from cxloop.responses.services import SurveyNotAcceptingResponses
from cxloop.widget.models import WidgetConfig
from cxloop.widget.selectors import widget_get_public, widget_public_config
from cxloop.widget.services import (
    WidgetClosed,
    clean_visitor,
    invitation_ticket,
    widget_eligibility,
    widget_response_submit,
)

SCRIPT_FILE = Path(__file__).resolve().parent / "static" / "widget" / "cxloop-widget.js"
SCRIPT_SETTINGS_PLACEHOLDER = "__CXLOOP_WIDGET_SETTINGS__"
SCRIPT_MAX_AGE = 300  # seconds: a changed script reaches visitors within five minutes
CONFIG_MAX_AGE = 60
MAX_BODY_BYTES = 32 * 1024
MAX_PAGE_URL_LENGTH = 2000
MAX_IDEMPOTENCY_KEY_LENGTH = 64
# Per widget and client address. Generous because a shop behind one proxy or NAT shares
# an address; it stops a script hammering the endpoints, not a determined attacker.
POSTS_PER_MINUTE = 120
JsonView = Callable[[HttpRequest, WidgetConfig, str], HttpResponse]


@cache
def _script_source() -> str:
    return SCRIPT_FILE.read_text(encoding="utf-8")


def _error(status: int, field: str, message: str) -> JsonResponse:
    return JsonResponse({"detail": [{"field": field, "msg": message}]}, status=status)


def _input_error(error: InputError) -> JsonResponse:
    return JsonResponse(
        {"detail": [{"field": e.field, "msg": e.message} for e in error.errors]}, status=422
    )


def widget_script(request: HttpRequest, public_key: str) -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    widget = widget_get_public(public_key=public_key)
    if widget is None:
        return HttpResponse(
            "/* cxloop: no such widget */\n",
            status=404,
            content_type="text/javascript; charset=utf-8",
        )
    options = json.dumps({"key": widget.public_key, "base": settings.PUBLIC_URL})
    body = _script_source().replace(SCRIPT_SETTINGS_PLACEHOLDER, options)
    etag = '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'
    headers = {
        "Cache-Control": f"public, max-age={SCRIPT_MAX_AGE}",
        "ETag": etag,
        # Sites that isolate themselves (Cross-Origin-Embedder-Policy) may still load it.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in request.headers.get("If-None-Match", ""):
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(body, content_type="text/javascript; charset=utf-8", headers=headers)


def _allow(response: HttpResponse, origin: str) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = origin
    return response


def _cors_endpoint(methods: tuple[str, ...]) -> Callable[[JsonView], Callable[..., HttpResponse]]:
    """Look the widget up, answer preflights, and let only its allowed origins through."""

    def decorator(view: JsonView) -> Callable[..., HttpResponse]:
        @csrf_exempt
        def wrapper(request: HttpRequest, public_key: str) -> HttpResponse:
            response = _dispatch(request, public_key, methods, view)
            # The answer differs by Origin: a shared cache must not hand one site's to another.
            patch_vary_headers(response, ["Origin"])
            return response

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorator


def _dispatch(
    request: HttpRequest, public_key: str, methods: tuple[str, ...], view: JsonView
) -> HttpResponse:
    widget = widget_get_public(public_key=public_key)
    if widget is None:
        return _error(404, "", _("Not found."))
    origin = request.headers.get("Origin", "")
    allowed = bool(origin) and origin in widget.allowed_origins
    if not allowed:
        # No CORS headers: the browser keeps the answer from the page, and nothing is done.
        return _error(403, "origin", _("This website may not use this survey widget."))
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = ", ".join((*methods, "OPTIONS"))
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "600"
        return _allow(response, origin)
    if request.method not in methods:
        response = _error(405, "", _("Method not allowed."))
        response["Allow"] = ", ".join((*methods, "OPTIONS"))
        return _allow(response, origin)
    if request.method == "POST" and _over_limit(request, widget):
        return _allow(_error(429, "", _("Too many requests. Please wait a minute.")), origin)
    return _allow(view(request, widget, origin), origin)


def _over_limit(request: HttpRequest, widget: WidgetConfig) -> bool:
    window = int(time.time() // 60)
    address = request.META.get("REMOTE_ADDR", "")
    key = f"cxloop:widget-posts:{widget.pk}:{address}:{window}"
    if django_cache.add(key, 1, timeout=120):
        return False
    try:
        return django_cache.incr(key) > POSTS_PER_MINUTE
    except ValueError:  # expired between add and incr
        return False


def _language(request: HttpRequest, widget: WidgetConfig, requested: Any, accepted: Any) -> str:
    survey = widget.survey
    return choose_language(
        requested=requested if isinstance(requested, str) else None,
        accept_language=accepted
        if isinstance(accepted, str) and accepted
        else request.headers.get("Accept-Language", ""),
        available=survey.languages,
        default=survey.default_language,
    )


def _body(request: HttpRequest) -> dict[str, Any]:
    """The JSON object posted; InputError (400 by the caller) for anything else."""
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
        raise _TooLarge
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise _TooLarge
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InputError.single("", _("The request body is not valid JSON.")) from None
    if not isinstance(data, dict):
        raise InputError.single("", _("Expected a JSON object."))
    return data


class _TooLarge(Exception):
    pass


@_cors_endpoint(("GET", "HEAD"))
def widget_config(request: HttpRequest, widget: WidgetConfig, origin: str) -> HttpResponse:
    """The script's settings and the survey in the visitor's language."""
    language = _language(request, widget, request.GET.get("lang"), request.GET.get("languages"))
    with translation.override(django_language(language)):
        response = JsonResponse(widget_public_config(widget=widget, language=language))
    response["Cache-Control"] = f"private, max-age={CONFIG_MAX_AGE}"
    return response


def _read_post(
    request: HttpRequest, widget: WidgetConfig
) -> tuple[dict[str, Any] | None, str, HttpResponse | None]:
    # Until the body names the visitor's language, the browser's Accept-Language decides.
    fallback = _language(request, widget, None, None)
    with translation.override(django_language(fallback)):
        try:
            data = _body(request)
        except _TooLarge:
            return None, fallback, _error(413, "", _("The request is too large."))
        except InputError as error:
            return None, fallback, _error(400, "", error.errors[0].message)
    return data, _language(request, widget, data.get("language"), None), None


@_cors_endpoint(("POST",))
def widget_eligibility_view(
    request: HttpRequest, widget: WidgetConfig, origin: str
) -> HttpResponse:
    """Should the widget ask this visitor now? Identified visitors meet the fatigue rules."""
    data, language, refused = _read_post(request, widget)
    if refused is not None or data is None:
        return refused or HttpResponse(status=400)
    with translation.override(django_language(language)):
        try:
            visitor = clean_visitor(data.get("visitor"))
            decision = widget_eligibility(widget=widget, visitor=visitor)
        except InputError as error:
            return _input_error(error)
    ticket = (
        invitation_ticket(decision.invitation)
        if decision.show and decision.invitation is not None
        else None
    )
    return JsonResponse({"show": decision.show, "reason": decision.reason, "ticket": ticket})


def _text_field(data: Mapping[str, Any], name: str, max_length: int) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str) or len(value) > max_length:
        raise InputError.single(name, _("At most %(n)d characters.") % {"n": max_length})
    return value.strip()


@_cors_endpoint(("POST",))
def widget_responses(request: HttpRequest, widget: WidgetConfig, origin: str) -> HttpResponse:
    """Store the visitor's answers (201; 200 with the same id when the key was seen)."""
    data, language, refused = _read_post(request, widget)
    if refused is not None or data is None:
        return refused or HttpResponse(status=400)
    with translation.override(django_language(language)):
        try:
            key = _text_field(data, "idempotency_key", MAX_IDEMPOTENCY_KEY_LENGTH)
            if not key:
                raise InputError.single("idempotency_key", _("This field is required."))
            answers = data.get("answers")
            if not isinstance(answers, dict):
                raise InputError.single("answers", _("Expected an object of answers."))
            ticket = data.get("ticket")
            response, created = widget_response_submit(
                widget=widget,
                answers=answers,
                language=language,
                page_url=_text_field(data, "page_url", MAX_PAGE_URL_LENGTH),
                origin=origin,
                visitor=clean_visitor(data.get("visitor")),
                ticket=ticket if isinstance(ticket, str) and ticket else None,
                idempotency_key=key,
            )
        except InputError as error:
            return _input_error(error)
        except (SurveyNotAcceptingResponses, WidgetClosed):
            return _error(409, "status", _("This survey is not taking answers at the moment."))
        except InvitationUnavailable:
            return _error(409, "invitation", _("You have already answered this survey. Thank you!"))
    return JsonResponse({"id": response.pk, "created": created}, status=201 if created else 200)
