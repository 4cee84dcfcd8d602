"""The customer's unsubscribe page, /u/<token>: no login, in the contact's language."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cxloop.common.languages import SURVEY_LANGUAGES, choose_language, django_language
from cxloop.contacts.presentation import masked_destination
from cxloop.contacts.selectors import InvalidUnsubscribeToken, unsubscribe_target
from cxloop.contacts.services import unsubscribe_by_token

DEFAULT_PAGE_LANGUAGE = "zh-Hans"


def _language(request: HttpRequest, preferred: str | None) -> str:
    return choose_language(
        requested=preferred,
        accept_language=request.headers.get("Accept-Language", ""),
        available=SURVEY_LANGUAGES,
        default=DEFAULT_PAGE_LANGUAGE,
    )


# The signed token is the proof of origin, and mail clients' one-click unsubscribe
# (RFC 8058) POSTs here without any cookie, so there is no CSRF token to check.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        target = unsubscribe_target(token)
    except InvalidUnsubscribeToken:
        language = _language(request, None)
        with translation.override(django_language(language)):
            return render(
                request,
                "contacts/unsubscribe_invalid.html",
                {"survey_language": language},
                status=400,
            )
    language = _language(request, target.contact.language or None)
    with translation.override(django_language(language)):
        contact = target.contact
        if request.method == "POST":
            contact = unsubscribe_by_token(token)
        context = {
            "survey_language": language,
            "organization": target.contact.organization,
            "channel": target.channel,
            "destination": masked_destination(contact, target.channel),
            "done": contact.opted_out(target.channel),
        }
        return render(request, "contacts/unsubscribe.html", context)
