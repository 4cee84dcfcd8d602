"""The campaigns pages (owners and admins): event rules, waves and their runs, recent
events and response rates."""

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cxloop.analytics.selectors import organization_today
from cxloop.campaigns.forms import EventRuleForm, WaveForm
from cxloop.campaigns.models import EventRule, Wave
from cxloop.campaigns.selectors import (
    GROUPINGS,
    ResponseRates,
    event_list,
    event_rule_get,
    event_rule_list,
    parse_rate_query,
    response_rates,
    wave_get,
    wave_list,
)
from cxloop.campaigns.services import (
    EventRuleInput,
    WaveInput,
    event_rule_create,
    event_rule_set_active,
    event_rule_update,
    wave_create,
    wave_set_active,
)
from cxloop.common.errors import FieldError, InputError
from cxloop.organizations.decorators import member_required
from cxloop.organizations.forms import add_service_errors
from cxloop.organizations.models import Membership
from cxloop.surveys.selectors import survey_menu

EVENTS_ON_PAGE = 20


def _surveys(membership: Membership) -> list[tuple[int, str]]:
    return [(s.pk, s.name) for s in survey_menu(organization=membership.organization)]


def _rates(
    membership: Membership, params: dict[str, list[str]]
) -> tuple[ResponseRates | None, tuple[FieldError, ...]]:
    organization = membership.organization
    try:
        query = parse_rate_query(params, today=organization_today(organization))
        return response_rates(organization=organization, query=query), ()
    except InputError as error:
        return None, error.errors
    except LookupError as error:
        raise Http404 from error


@member_required(manage_organization=True)
def campaigns_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    params = dict(request.GET.lists())
    params.setdefault("group_by", ["rule"])
    rates, rate_errors = _rates(membership, params)
    context: dict[str, Any] = {
        "membership": membership,
        "rules": list(event_rule_list(organization=organization)),
        "waves": list(wave_list(organization=organization)),
        "events": event_list(organization=organization, limit=EVENTS_ON_PAGE),
        "rates": rates,
        "rate_errors": rate_errors,
        "groupings": GROUPINGS,
        "group_by": params["group_by"][0],
        "date_from": request.GET.get("from", ""),
        "date_to": request.GET.get("to", ""),
    }
    return render(request, "campaigns/index.html", context, status=400 if rate_errors else 200)


def _rule_input(form: EventRuleForm) -> EventRuleInput:
    data = form.cleaned_data
    return EventRuleInput(
        name=data["name"],
        event=data["event"],
        survey_id=data["survey"],
        channel=data["channel"],
        delay_minutes=form.delay_minutes(),
        conditions=data["conditions"],
        dedupe_days=data["dedupe_days"],
        active=data["active"],
    )


def _rule_form_page(
    request: HttpRequest, membership: Membership, rule: EventRule | None
) -> HttpResponse:
    surveys = _surveys(membership)
    if request.method == "POST":
        form = EventRuleForm(request.POST, surveys=surveys)
        if form.is_valid():
            try:
                if rule is None:
                    event_rule_create(organization=membership.organization, data=_rule_input(form))
                else:
                    event_rule_update(rule=rule, data=_rule_input(form))
            except InputError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("campaigns:index", membership.organization.slug)
    elif rule is not None:
        hours = rule.delay_minutes and rule.delay_minutes % 60 == 0
        form = EventRuleForm(
            initial={
                "name": rule.name,
                "event": rule.event,
                "survey": rule.survey_id,
                "channel": rule.channel,
                "delay": rule.delay_minutes // 60 if hours else rule.delay_minutes,
                "delay_unit": "hours" if hours else "minutes",
                "conditions": rule.conditions,
                "dedupe_days": rule.dedupe_days,
                "active": rule.active,
            },
            surveys=surveys,
        )
    else:
        form = EventRuleForm(surveys=surveys)
    status = 400 if form.errors else 200
    return render(
        request,
        "campaigns/rule_form.html",
        {"membership": membership, "form": form, "rule": rule},
        status=status,
    )


def _rule_or_404(membership: Membership, rule_id: int) -> EventRule:
    rule = event_rule_get(organization=membership.organization, rule_id=rule_id)
    if rule is None:
        raise Http404
    return rule


@member_required(manage_organization=True)
def rule_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _rule_form_page(request, membership, None)


@member_required(manage_organization=True)
def rule_edit(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    return _rule_form_page(request, membership, _rule_or_404(membership, rule_id))


@require_POST
@member_required(manage_organization=True)
def rule_active(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    rule = _rule_or_404(membership, rule_id)
    event_rule_set_active(rule=rule, active=request.POST.get("active") == "1")
    messages.success(request, _("Saved."))
    return redirect("campaigns:index", membership.organization.slug)


@member_required(manage_organization=True)
def wave_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    surveys = _surveys(membership)
    form = WaveForm(request.POST or None, surveys=surveys)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            wave = wave_create(
                organization=membership.organization,
                data=WaveInput(
                    name=data["name"],
                    survey_id=data["survey"],
                    channel=data["channel"],
                    segment=data["segment"],
                    sample_percent=data["sample_percent"],
                    sample_by=data["sample_by"],
                    first_run_at=data["first_run_at"],
                    repeat_months=data["repeat_months"],
                ),
            )
        except InputError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("campaigns:wave", membership.organization.slug, wave.pk)
    status = 400 if form.errors else 200
    return render(
        request, "campaigns/wave_form.html", {"membership": membership, "form": form}, status=status
    )


def _wave_or_404(membership: Membership, wave_id: int) -> Wave:
    wave = wave_get(organization=membership.organization, wave_id=wave_id)
    if wave is None:
        raise Http404
    return wave


@member_required(manage_organization=True)
def wave_detail(request: HttpRequest, membership: Membership, wave_id: int) -> HttpResponse:
    wave = _wave_or_404(membership, wave_id)
    return render(request, "campaigns/wave_detail.html", {"membership": membership, "wave": wave})


@require_POST
@member_required(manage_organization=True)
def wave_active(request: HttpRequest, membership: Membership, wave_id: int) -> HttpResponse:
    wave = _wave_or_404(membership, wave_id)
    wave_set_active(wave=wave, active=request.POST.get("active") == "1")
    messages.success(request, _("Saved."))
    return redirect("campaigns:wave", membership.organization.slug, wave.pk)
