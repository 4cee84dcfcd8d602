"""The survey summary page and the figures fragment it polls for live updates; the
survey and organization dashboards."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.analytics.dashboard import (
    TARGET_KINDS,
    breakdown_chart_options,
    dashboard_filters,
    headline_card,
    is_percent,
    messages_of,
    metric_tabs,
    metric_title,
    metrics_asked,
    preset_links,
    query_string,
    reason_tables,
    reasons_chart_options,
    split_chart_options,
    targets_apply,
    trend_chart_options,
    with_default_comparison,
)
from cxloop.analytics.dashboard import distribution_chart_options as score_chart_options
from cxloop.analytics.models import MetricTarget
from cxloop.analytics.presentation import distribution_bars, distribution_chart_options
from cxloop.analytics.reports import MetricReport
from cxloop.analytics.selectors import (
    dimension_values,
    metric_report,
    nps_plus_reasons,
    organization_today,
    question_types,
    survey_summary,
    targets_for,
)
from cxloop.analytics.services import target_delete, target_set
from cxloop.analytics.templatetags.results import format_metric
from cxloop.campaigns.selectors import survey_response_rates
from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import current_survey_language
from cxloop.organizations.decorators import member_required
from cxloop.organizations.models import Membership
from cxloop.responses.presentation import filter_bar, parse_filters
from cxloop.responses.selectors import attribute_values
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_get, survey_menu

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


# The analytics dashboards: one survey, or every survey of the organization that asks the
# metric. Every control lives in the query string, which is also what GET /api/v1/metrics
# takes, so a bookmarked view and an API call show the same figures.


@dataclass(frozen=True, slots=True)
class TargetFormState:
    """What the user posted to the target form, shown again with its errors."""

    kind: str
    value: str
    label: str
    errors: tuple[FieldError, ...]


def _dashboard_urls(membership: Membership, survey: Survey | None) -> dict[str, str]:
    slug = membership.organization.slug
    if survey is None:
        return {
            "action": reverse("dashboards:dashboard", args=[slug]),
            "targets_url": reverse("dashboards:targets", args=[slug]),
            "pdf_url": reverse("dashboards:pdf", args=[slug]),
        }
    return {
        "action": reverse("analytics:dashboard", args=[slug, survey.pk]),
        "targets_url": reverse("analytics:dashboard_targets", args=[slug, survey.pk]),
        "pdf_url": reverse("analytics:dashboard_pdf", args=[slug, survey.pk]),
    }


def _dashboard_context(
    membership: Membership,
    survey: Survey | None,
    raw_params: dict[str, list[str]],
    *,
    target_form: TargetFormState | None = None,
) -> tuple[dict[str, Any], int]:
    """The dashboard's figures and controls, and the status: 400 when the URL is bad."""
    organization = membership.organization
    params = with_default_comparison(raw_params)
    survey_id = survey.pk if survey is not None else None
    report: MetricReport | None = None
    errors: tuple[FieldError, ...] = ()
    try:
        report = metric_report(organization=organization, params=params, survey_id=survey_id)
    except InputError as error:
        errors = error.errors
    except LookupError as error:
        raise Http404 from error
    if survey is not None:
        # Prefetched with the survey: no query.
        asked = frozenset(question.type for question in survey.questions.all())
    else:
        asked = question_types(organization=organization)
    reasons = None
    if report is not None and report.query.metric == "nps" and "nps_plus" in asked:
        reasons = nps_plus_reasons(
            organization=organization,
            params=params,
            survey_id=survey_id,
            language=current_survey_language(),
        )
    menu = [] if survey is not None else list(survey_menu(organization=organization))
    if report is not None:
        scope_ids: Sequence[int] = report.query.survey_ids
    else:
        scope_ids = [survey.pk] if survey is not None else [s.pk for s in menu]
    dimensions = list(organization.analysis_dimensions)
    targets = (
        targets_for(
            organization=organization,
            survey_ids=report.query.survey_ids,
            metric=report.query.metric,
        )
        if report is not None
        else {}
    )
    context: dict[str, Any] = {
        "membership": membership,
        "survey": survey,
        "report": report,
        "query_string": query_string(raw_params),
        "filters": dashboard_filters(
            raw_params,
            dimensions=dimensions,
            attribute_values=dimension_values(
                organization=organization, survey_ids=scope_ids, dimensions=dimensions
            ),
            surveys=[(s.pk, s.name) for s in menu],
            errors=errors,
        ),
        "metric_tabs": metric_tabs(raw_params, metrics_asked(asked)),
        "presets": preset_links(raw_params, organization_today(organization)),
        "target_form": target_form,
        "target_messages": messages_of(target_form.errors) if target_form else (),
        "can_edit": membership.can_edit_surveys,
        **_dashboard_urls(membership, survey),
    }
    if report is not None and survey is not None:
        # Invitations of the same period, by channel (campaigns owns the panel).
        context["response_rates"] = survey_response_rates(
            organization=organization,
            survey=survey,
            date_from=report.query.date_from,
            date_to=report.query.date_to,
        )
    if report is not None:
        context |= {
            "card": headline_card(report, targets),
            "targets": [targets[kind] for kind in TARGET_KINDS if kind in targets],
            "target_forms": _target_forms(targets, survey, target_form),
            "targets_apply": targets_apply(report.query.metric, report.statistic),
            "percent": is_percent(report.query.metric, report.statistic),
            "trend_options": trend_chart_options(report, targets),
            "breakdown_options": breakdown_chart_options(report) if report.groups else None,
            "distribution_options": score_chart_options(report),
            "split_options": split_chart_options(report) if report.query.metric == "nps" else None,
            "reasons": reasons if reasons is not None and reasons.question_keys else None,
            "reason_tables": reason_tables(reasons) if reasons is not None else (),
            "reasons_options": reasons_chart_options(reasons)
            if reasons is not None and reasons.question_keys
            else None,
        }
    return context, 400 if errors or (target_form and target_form.errors) else 200


def _target_forms(
    targets: dict[str, MetricTarget], survey: Survey | None, posted: TargetFormState | None
) -> list[dict[str, Any]]:
    """One small form per kind, filled with the value that applies now."""
    forms = []
    for kind in TARGET_KINDS:
        current = targets.get(kind)
        own = current is not None and (current.survey_id is not None) == (survey is not None)
        form: dict[str, Any] = {
            "kind": kind,
            "value": format_metric(current.value) if current is not None else "",
            "label": current.label if current is not None else "",
            "current": current,
            "inherited": current is not None and not own,
            "errors": {},
        }
        if posted is not None and posted.kind == kind:
            form |= {
                "value": posted.value,
                "label": posted.label,
                "errors": InputError(posted.errors).by_field(),
            }
        forms.append(form)
    return forms


def _render_dashboard(
    request: HttpRequest,
    membership: Membership,
    survey: Survey | None,
    raw_params: dict[str, list[str]],
    *,
    target_form: TargetFormState | None = None,
) -> HttpResponse:
    context, status = _dashboard_context(membership, survey, raw_params, target_form=target_form)
    return render(request, "analytics/dashboard.html", context, status=status)


def _target_post(
    request: HttpRequest, membership: Membership, survey: Survey | None
) -> HttpResponse:
    """Set or clear the target or benchmark of the dashboard's metric, then show it again."""
    raw_params = dict(QueryDict(request.POST.get("query", "")).lists())
    metric = request.POST.get("metric", "")
    kind = request.POST.get("kind", "")
    value_text = request.POST.get("value", "").strip().replace(",", ".")
    label = request.POST.get("label", "")
    organization = membership.organization
    try:
        if request.POST.get("action") == "clear":
            target_delete(organization=organization, survey=survey, metric=metric, kind=kind)
            messages.success(request, _("Removed."))
        else:
            target_set(
                organization=organization,
                survey=survey,
                metric=metric,
                kind=kind,
                value=_parse_target_value(value_text),
                label=label,
                by=request.user if request.user.is_authenticated else None,
            )
            messages.success(request, _("Saved."))
    except InputError as error:
        state = TargetFormState(kind=kind, value=value_text, label=label, errors=error.errors)
        return _render_dashboard(request, membership, survey, raw_params, target_form=state)
    query = query_string(raw_params)
    action = _dashboard_urls(membership, survey)["action"]
    return redirect(f"{action}?{query}" if query else action)


def _parse_target_value(text: str) -> float:
    if not text:
        raise InputError.single("value", _("Enter a number."))
    try:
        return float(text)
    except ValueError as error:
        raise InputError.single("value", _("Enter a number, like 42 or 4.5.")) from error


def _pdf_response(
    request: HttpRequest, membership: Membership, survey: Survey | None
) -> HttpResponse:
    raw_params = dict(request.GET.lists())
    params = with_default_comparison(raw_params)
    try:
        report = metric_report(
            organization=membership.organization,
            params=params,
            survey_id=survey.pk if survey is not None else None,
        )
    except InputError:
        # The page explains what is wrong with the filters, with the form to fix them.
        return _render_dashboard(request, membership, survey, raw_params)
    except LookupError as error:
        raise Http404 from error
    name = survey.name if survey is not None else _("All surveys")
    title = f"{name} · {metric_title(report.query.metric, report.statistic, report.scale)}"
    # Imported on use: reportlab and the embedded CJK font load only when a PDF is asked for.
    from cxloop.analytics.pdf import dashboard_pdf

    content = dashboard_pdf(
        report=report,
        title=title,
        organization_name=membership.organization.name,
        language=current_survey_language(),
    )
    scope = f"survey-{survey.pk}" if survey is not None else "organization"
    filename = (
        f"dashboard-{scope}-{report.query.metric}-"
        f"{report.query.date_from.isoformat()}-{report.query.date_to.isoformat()}.pdf"
    )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@member_required()
def survey_dashboard(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    return _render_dashboard(request, membership, survey, dict(request.GET.lists()))


@require_POST
@member_required(edit_surveys=True)
def survey_dashboard_targets(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    return _target_post(request, membership, survey)


@member_required()
def survey_dashboard_pdf(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    return _pdf_response(request, membership, survey)


@member_required()
def organization_dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _render_dashboard(request, membership, None, dict(request.GET.lists()))


@require_POST
@member_required(edit_surveys=True)
def organization_dashboard_targets(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _target_post(request, membership, None)


@member_required()
def organization_dashboard_pdf(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _pdf_response(request, membership, None)
