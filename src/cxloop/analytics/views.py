"""The survey summary page and the figures fragment it polls for live updates."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from cxloop.analytics.presentation import distribution_bars, distribution_chart_options
from cxloop.analytics.selectors import survey_summary
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership
from cxloop.responses.presentation import filter_bar, parse_filters
from cxloop.responses.selectors import attribute_values
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_get

# htmx polls this often; a poll costs two aggregate queries.
REFRESH_SECONDS = 5


def _survey_or_404(membership: Membership, survey_id: int) -> Survey:
    survey = survey_get(organization=membership.organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    # Same organization (the selector filtered on it): spares the summary a query per poll.
    survey.organization = membership.organization
    return survey


def _figures_context(
    request: HttpRequest, membership: Membership, survey: Survey
) -> dict[str, Any]:
    """Everything the figures block needs; ``summary`` is None when the filters are invalid."""
    filters, errors = parse_filters(dict(request.GET.lists()))
    summary = survey_summary(survey=survey, filters=filters) if filters is not None else None
    bars = distribution_bars(summary.nps_distribution) if summary else ()
    return {
        "membership": membership,
        "survey": survey,
        "summary": summary,
        "filter_errors": errors,
        "distribution": bars,
        "chart_options": distribution_chart_options(bars) if bars else None,
        "refresh_seconds": REFRESH_SECONDS,
    }


@member_required()
def summary(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    context = _figures_context(request, membership, survey)
    context["filter_bar"] = filter_bar(
        dict(request.GET.lists()),
        attribute_values=attribute_values(organization=membership.organization, survey=survey),
        errors=context["filter_errors"],
    )
    status = 400 if context["filter_errors"] else 200
    return render(request, "analytics/summary.html", context, status=status)


@member_required()
def summary_figures(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    context = _figures_context(request, membership, survey)
    status = 400 if context["filter_errors"] else 200
    return render(request, "analytics/_figures.html", context, status=status)
