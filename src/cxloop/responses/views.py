"""Response list (per survey and across the organization), its exports, and response detail."""

from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership
from cxloop.responses.exports import EXPORT_FORMATS, export_filename, export_response
from cxloop.responses.presentation import answer_views, filter_bar, parse_filters
from cxloop.responses.selectors import attribute_values, response_get, response_list
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition, survey_get, survey_menu

PAGE_SIZE = 50


def _list_page(
    request: HttpRequest,
    membership: Membership,
    *,
    survey: Survey | None,
    surveys: list[Survey] | None = None,
    errors: tuple[FieldError, ...] = (),
) -> HttpResponse:
    """Shared by both lists; ``surveys`` (the survey menu) only on the organization-wide one."""
    organization = membership.organization
    params = dict(request.GET.lists())
    filters, filter_errors = parse_filters(params)
    errors = (*errors, *filter_errors)
    page = None
    if filters is not None and not errors:
        responses = response_list(organization=organization, survey=survey, filters=filters)
        page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    context: dict[str, Any] = {
        "membership": membership,
        "survey": survey,
        "all_surveys": surveys is not None,
        "page": page,
        "filter_bar": filter_bar(
            params,
            attribute_values=(
                attribute_values(organization=organization, survey=survey) if survey else {}
            ),
            errors=errors,
            surveys=[(s.pk, s.name) for s in surveys or ()],
        ),
    }
    return render(request, "responses/list.html", context, status=400 if errors else 200)


@member_required()
def survey_responses(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = survey_get(organization=membership.organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    return _list_page(request, membership, survey=survey)


@member_required()
def all_responses(request: HttpRequest, membership: Membership) -> HttpResponse:
    surveys = list(survey_menu(organization=membership.organization))
    survey, errors = _chosen_survey(request, surveys)
    return _list_page(request, membership, survey=survey, surveys=surveys, errors=errors)


def _export(
    request: HttpRequest,
    membership: Membership,
    *,
    fmt: str,
    survey: Survey | None,
    surveys: list[Survey] | None = None,
    errors: tuple[FieldError, ...] = (),
) -> HttpResponseBase:
    """The filtered list as a file; bad filters get the list page with their messages."""
    if fmt not in EXPORT_FORMATS:
        raise Http404
    organization = membership.organization
    filters, filter_errors = parse_filters(dict(request.GET.lists()))
    if filters is None or errors or filter_errors:
        return _list_page(request, membership, survey=survey, surveys=surveys, errors=errors)
    return export_response(
        responses=response_list(organization=organization, survey=survey, filters=filters),
        definition=survey_definition(survey) if survey is not None else None,
        fmt=fmt,
        time_zone=ZoneInfo(organization.time_zone),
        filename=export_filename(
            name=survey.name if survey is not None else organization.slug,
            fallback=f"survey-{survey.pk}" if survey is not None else "responses",
            fmt=fmt,
            today=timezone.localdate(),
        ),
    )


def _chosen_survey(
    request: HttpRequest, surveys: list[Survey]
) -> tuple[Survey | None, tuple[FieldError, ...]]:
    """The organization-wide list narrowed to one survey by ?survey=<id>, if asked."""
    chosen = request.GET.get("survey", "").strip()
    if not chosen:
        return None, ()
    survey = next((s for s in surveys if str(s.pk) == chosen), None)
    if survey is None:
        return None, (FieldError("survey", _("Choose a survey from the list.")),)
    return survey, ()


@member_required()
def survey_responses_export(
    request: HttpRequest, membership: Membership, survey_id: int, fmt: str
) -> HttpResponseBase:
    survey = survey_get(organization=membership.organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    return _export(request, membership, fmt=fmt, survey=survey)


@member_required()
def all_responses_export(
    request: HttpRequest, membership: Membership, fmt: str
) -> HttpResponseBase:
    surveys = list(survey_menu(organization=membership.organization))
    survey, errors = _chosen_survey(request, surveys)
    if survey is not None:
        # survey_menu reads names only; the question columns need the questions.
        survey = survey_get(organization=membership.organization, survey_id=survey.pk)
    return _export(request, membership, fmt=fmt, survey=survey, surveys=surveys, errors=errors)


@member_required()
def response_detail(request: HttpRequest, membership: Membership, response_id: int) -> HttpResponse:
    response = response_get(organization=membership.organization, response_id=response_id)
    if response is None:
        raise Http404
    definition = survey_definition(response.survey)
    context = {
        "membership": membership,
        "response": response,
        "survey": response.survey,
        "answers": answer_views(definition, response.answers, response.language),
    }
    return render(request, "responses/detail.html", context)
