"""The respondent's pages: /s/<slug> (the survey) and /s/<slug>/thanks."""

import secrets
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cxloop.common.errors import InputError
from cxloop.common.languages import (
    SURVEY_LANGUAGE_NAMES,
    choose_language,
    django_language,
    pick_text,
)
from cxloop.distribution.services import InvitationUnavailable, invitation_respond
from cxloop.responses.models import ResponseSource
from cxloop.responses.public_form import (
    FormState,
    link_attributes,
    present_items,
    questions_fingerprint,
    read_step,
    survey_steps,
)
from cxloop.responses.services import SurveyNotAcceptingResponses, response_submit
from cxloop.surveys.models import Survey, SurveyStatus
from cxloop.surveys.selectors import survey_definition, survey_get_public


def _survey_or_404(slug: str) -> Survey:
    survey = survey_get_public(slug=slug)
    if survey is None:
        raise Http404
    return survey


def _fingerprint(survey: Survey) -> str:
    return questions_fingerprint(survey.pk, survey_definition(survey).questions)


def _language_for(request: HttpRequest, survey: Survey) -> str:
    return choose_language(
        requested=request.GET.get("lang"),
        accept_language=request.headers.get("Accept-Language", ""),
        available=survey.languages,
        default=survey.default_language,
    )


def _texts_in(language: str, survey: Survey) -> Any:
    def text(texts: Mapping[str, str]) -> str:
        return pick_text(texts or {}, language, (survey.default_language,))

    return text


def _unavailable(request: HttpRequest, survey: Survey, language: str) -> HttpResponse:
    messages = {
        SurveyStatus.DRAFT: _("This survey is not open yet."),
        SurveyStatus.PAUSED: _("This survey is paused at the moment. Please try again later."),
        SurveyStatus.CLOSED: _("This survey has closed. Thank you for your interest."),
    }
    return render(
        request,
        "public/unavailable.html",
        {
            "survey": survey,
            "survey_language": language,
            "title": _texts_in(language, survey)(survey.title) or survey.name,
            "message": messages.get(SurveyStatus(survey.status), ""),
        },
    )


def _render_step(
    request: HttpRequest,
    survey: Survey,
    state: FormState,
    *,
    posted: Any = None,
    errors: Mapping[str, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    definition = survey_definition(survey)
    steps = survey_steps(definition.questions)
    text = _texts_in(state.language, survey)
    items = present_items(
        steps[state.step],
        answers=state.answers,
        posted=posted,
        errors=errors or {},
        text=text,
    )
    language_links = [
        (code, SURVEY_LANGUAGE_NAMES[code], f"?{urlencode({**state.attributes, 'lang': code})}")
        for code in survey.languages
        if code != state.language
    ]
    context = {
        "survey": survey,
        "survey_language": state.language,
        "title": text(survey.title) or survey.name,
        "intro": text(survey.intro) if state.step == 0 else "",
        "items": items,
        "state": state.dumps(),
        "step_number": state.step + 1,
        "step_count": len(steps),
        "is_last_step": state.step == len(steps) - 1,
        "error_count": len(errors or {}),
        "notice": notice,
        "language_links": language_links if state.step == 0 else [],
    }
    return render(request, "public/survey.html", context, status=status)


# The form carries no session: the signed state field is its CSRF-like proof of origin, and
# respondents on embedded or cookie-less browsers must still be able to answer.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey_page(request: HttpRequest, slug: str) -> HttpResponse:
    return survey_form(request, _survey_or_404(slug))


def survey_form(
    request: HttpRequest,
    survey: Survey,
    *,
    invitation_id: int | None = None,
    prefill: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """The public form, for the survey's link or a contact's personal link (invitation)."""

    def fresh_state(language: str, attributes: Mapping[str, str]) -> FormState:
        return FormState(
            token=secrets.token_urlsafe(16),
            language=language,
            attributes=attributes,
            fingerprint=_fingerprint(survey),
            answers=prefill or {},
            invitation=invitation_id,
        )

    if request.method == "GET":
        language = _language_for(request, survey)
        with translation.override(django_language(language)):
            if not survey.accepts_responses:
                return _unavailable(request, survey, language)
            return _render_step(
                request, survey, fresh_state(language, link_attributes(request.GET))
            )

    try:
        state = FormState.loads(
            request.POST.get("state", ""), max_age=settings.CXLOOP_SURVEY_FORM_MAX_AGE
        )
        if state.fingerprint != _fingerprint(survey) or state.invitation != invitation_id:
            # Another survey's (or link's) form, or this survey's questions changed mid-way:
            # its carried answers may not fit any more.
            raise signing.BadSignature("form state of another survey version")
    except (signing.BadSignature, KeyError, TypeError):
        language = _language_for(request, survey)
        with translation.override(django_language(language)):
            if not survey.accepts_responses:
                return _unavailable(request, survey, language)
            notice = _("This page had expired, so we started it again. Sorry for the trouble.")
            return _render_step(request, survey, fresh_state(language, {}), notice=notice)

    with translation.override(django_language(state.language)):
        steps = survey_steps(survey_definition(survey).questions)
        if not 0 <= state.step < len(steps):
            state = replace(state, step=0, answers={})
        answers, errors = read_step(steps[state.step], request.POST, state.answers)
        if errors:
            return _render_step(
                request, survey, state, posted=request.POST, errors=errors, status=422
            )
        if state.step < len(steps) - 1:
            return _render_step(
                request, survey, replace(state, step=state.step + 1, answers=answers)
            )
        try:
            if state.invitation is not None:
                invitation_respond(
                    invitation_id=state.invitation,
                    answers=answers,
                    attributes=state.attributes,
                    language=state.language,
                    idempotency_key=f"web:{state.token}",
                )
            else:
                response_submit(
                    survey=survey,
                    answers=answers,
                    attributes=state.attributes,
                    language=state.language,
                    idempotency_key=f"web:{state.token}",
                    source=ResponseSource.WEB,
                )
        except SurveyNotAcceptingResponses:
            return _unavailable(request, survey, state.language)
        except InvitationUnavailable as unavailable:
            return invitation_unavailable_page(request, survey, state.language, unavailable.reason)
        except InputError as error:
            # The steps validated each answer; this catches rules spanning steps.
            field_errors = {e.field.removeprefix("answers."): e.message for e in error.errors}
            return _render_step(
                request, survey, state, posted=request.POST, errors=field_errors, status=422
            )
    thanks = reverse("public:thanks", args=[survey.slug])
    return redirect(f"{thanks}?{urlencode({'lang': state.language})}")


def invitation_unavailable_page(
    request: HttpRequest, survey: Survey, language: str, reason: str
) -> HttpResponse:
    messages = {
        "completed": _("You have already answered this survey. Thank you!"),
        "expired": _("This link has expired."),
        "skipped": _("This link is not valid."),
    }
    with translation.override(django_language(language)):
        return render(
            request,
            "public/unavailable.html",
            {
                "survey": survey,
                "survey_language": language,
                "title": _texts_in(language, survey)(survey.title) or survey.name,
                "message": messages.get(reason, messages["skipped"]),
            },
        )


def thanks_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_or_404(slug)
    language = _language_for(request, survey)
    with translation.override(django_language(language)):
        text = _texts_in(language, survey)
        return render(
            request,
            "public/thanks.html",
            {
                "survey": survey,
                "survey_language": language,
                "title": text(survey.title) or survey.name,
                "message": text(survey.thank_you) or _("Thank you for your feedback!"),
            },
        )
