"""The JSON API under /api/v1: one NinjaAPI, each domain app contributes a router."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from cxloop.common.errors import InputError
from cxloop.organizations.models import ApiKey
from cxloop.organizations.services import api_key_authenticate
from cxloop.responses.services import SurveyNotAcceptingResponses


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        return api_key_authenticate(raw_key=token)


api = NinjaAPI(
    title="cxloop API",
    version="1",
    description=(
        "Surveys, responses and results. Authenticate with an organization API key: "
        "`Authorization: Bearer <key>` "
        "(create one with `cxloop apikey create --organization <slug>`)."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api",
)


def _loc_to_field(loc: list[Any] | tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc]
    # Ninja prefixes the location with where the value came from and the schema argument name.
    if parts and parts[0] in {"body", "query", "path"}:
        parts = parts[1:]
        if parts and parts[0] == "payload":
            parts = parts[1:]
    return ".".join(parts)


def _input_status(request: HttpRequest) -> int:
    # A bad query string is a bad request (400); a well-formed body whose values break the
    # rules is unprocessable (422).
    return 400 if request.method in ("GET", "HEAD", "DELETE") else 422


@api.exception_handler(InputError)
def input_error(request: HttpRequest, exc: InputError) -> HttpResponse:
    detail = [{"field": e.field, "msg": e.message} for e in exc.errors]
    return api.create_response(request, {"detail": detail}, status=_input_status(request))


@api.exception_handler(ValidationError)
def schema_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    detail = [
        {
            "field": _loc_to_field(error.get("loc", ())),
            "msg": error.get("msg", "invalid"),
            "type": error.get("type", ""),
        }
        for error in exc.errors
    ]
    from_query = any(str(error.get("loc", ("",))[0]) == "query" for error in exc.errors)
    return api.create_response(request, {"detail": detail}, status=400 if from_query else 422)


@api.exception_handler(SurveyNotAcceptingResponses)
def survey_closed(request: HttpRequest, exc: SurveyNotAcceptingResponses) -> HttpResponse:
    return api.create_response(
        request,
        {
            "detail": [
                {
                    "field": "status",
                    "msg": _("The survey is %(status)s; publish it to accept responses.")
                    % {"status": exc.status},
                }
            ]
        },
        status=409,
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"detail": _("Not found.")}, status=404)


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": _("Send a valid API key: Authorization: Bearer <key>.")},
        status=401,
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    message = str(exc)
    if message.startswith("Cannot parse request body"):
        message = _("The request body is not valid JSON.")
    return api.create_response(
        request, {"detail": [{"field": "", "msg": message}]}, status=exc.status_code
    )


def _register_routers() -> None:
    from cxloop.analytics.apis import metrics_router
    from cxloop.analytics.apis import router as analytics_router
    from cxloop.campaigns.apis import events_router, rates_router, rules_router, waves_router
    from cxloop.contacts.apis import router as contacts_router
    from cxloop.distribution.apis import email_templates_router
    from cxloop.distribution.apis import invitations_router as bounces_router
    from cxloop.distribution.apis import router as distribution_router
    from cxloop.distribution.apis import surveys_router as invitations_router
    from cxloop.responses.apis import router as responses_router
    from cxloop.surveys.apis import router as surveys_router

    api.add_router("/surveys", surveys_router)
    api.add_router("/surveys", responses_router)
    api.add_router("/surveys", analytics_router)
    api.add_router("/metrics", metrics_router)
    api.add_router("/contacts", contacts_router)
    api.add_router("/distribution", distribution_router)
    api.add_router("/surveys", invitations_router)
    api.add_router("/events", events_router)
    api.add_router("/event-rules", rules_router)
    api.add_router("/waves", waves_router)
    api.add_router("/response-rates", rates_router)
    api.add_router("/email-templates", email_templates_router)
    api.add_router("/invitations", bounces_router)


_register_routers()
