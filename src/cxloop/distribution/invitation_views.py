"""A survey's invitations: where each one is, and why some were skipped."""

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cxloop.common.errors import InputError
from cxloop.distribution.models import InvitationChannel, InvitationStatus
from cxloop.distribution.selectors import (
    InvitationFilters,
    invitation_filters,
    survey_invitation_counts,
    survey_invitations,
    survey_skip_reasons,
)
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership
from cxloop.surveys.selectors import survey_get

PAGE_SIZE = 50


@member_required()
def survey_invitations_page(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    organization = membership.organization
    survey = survey_get(organization=organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    errors: dict[str, list[str]] = {}
    try:
        filters = invitation_filters(request.GET)
    except InputError as error:
        errors, filters = error.by_field(), InvitationFilters()
    invitations = survey_invitations(organization=organization, survey=survey, filters=filters)
    counts = survey_invitation_counts(organization=organization, survey=survey)
    context = {
        "membership": membership,
        "survey": survey,
        "filters": filters,
        "filter_errors": errors,
        "page": Paginator(invitations, PAGE_SIZE).get_page(request.GET.get("page")),
        "status_counts": [
            (value, label, counts[value]) for value, label in InvitationStatus.choices
        ],
        "reasons": survey_skip_reasons(organization=organization, survey=survey),
        "statuses": InvitationStatus.choices,
        "channels": InvitationChannel.choices,
    }
    status = 400 if errors else 200
    return render(request, "distribution/survey_invitations.html", context, status=status)
