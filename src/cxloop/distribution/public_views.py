"""A contact's personal links: /i/<token> (e-mail) and /r/<code> (SMS short link), and the
e-mail open pixel /i/<token>/open.gif."""

import base64
import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe

from cxloop.common.languages import choose_language
from cxloop.distribution.models import InvitationStatus
from cxloop.distribution.selectors import invitation_by_short_code
from cxloop.distribution.services import (
    InvitationUnavailable,
    invitation_check_open,
    invitation_from_token,
    invitation_progress,
    invitation_token,
)
from cxloop.responses.public_views import invitation_unavailable_page, survey_form
from cxloop.surveys.selectors import survey_definition

logger = logging.getLogger(__name__)

# A transparent 1×1 GIF.
TRANSPARENT_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _one_click_answer(survey: Any, raw_score: str | None) -> dict[str, Any]:
    """`?score=9` from an e-mail's score buttons pre-answers the survey's first NPS question."""
    if raw_score is None or not raw_score.isdigit() or not 0 <= int(raw_score) <= 10:
        return {}
    first = next(iter(survey_definition(survey).questions), None)
    if first is None or first.type not in ("nps", "nps_plus"):
        return {}
    score = int(raw_score)
    return {first.key: {"score": score} if first.type == "nps_plus" else score}


# Like the public survey page: no session, the signed form state is the proof of origin.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def personal_link(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitation_from_token(token)
    if invitation is None:
        raise Http404
    survey = invitation.survey
    try:
        invitation_check_open(invitation)
    except InvitationUnavailable as unavailable:
        language = choose_language(
            requested=invitation.contact.language or None,
            accept_language=request.headers.get("Accept-Language", ""),
            available=survey.languages,
            default=survey.default_language,
        )
        return invitation_unavailable_page(request, survey, language, unavailable.reason)
    prefill = _one_click_answer(survey, request.GET.get("score")) if request.method == "GET" else {}
    if request.method == "GET":
        invitation_progress(
            invitation=invitation,
            status=InvitationStatus.STARTED if prefill else InvitationStatus.OPENED,
        )
    return survey_form(request, survey, invitation_id=invitation.pk, prefill=prefill)


def short_link(request: HttpRequest, code: str) -> HttpResponse:
    invitation = invitation_by_short_code(code)
    if invitation is None:
        raise Http404
    target = f"/i/{invitation_token(invitation)}"
    if request.GET.get("lang"):
        target += f"?lang={request.GET['lang'][:8]}"
    return redirect(target)


@never_cache
@require_safe
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    """Mark an e-mail invitation opened when its image is loaded.

    Always answers with the image, whatever happens: a broken-image icon in a customer's
    mail client is worse than a missed "opened". An unknown token gets the image with 404.
    """
    status = 404
    try:
        invitation = invitation_from_token(token)
        if invitation is not None:
            status = 200
            if request.method == "GET" and invitation.status != InvitationStatus.SKIPPED:
                invitation_progress(invitation=invitation, status=InvitationStatus.OPENED)
    except Exception:  # the pixel never fails; the error is still logged
        logger.exception("open pixel for token %s failed", token[:20])
    return HttpResponse(TRANSPARENT_GIF, content_type="image/gif", status=status)
