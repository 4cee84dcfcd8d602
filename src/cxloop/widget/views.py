"""The widget's settings page: /o/<org>/surveys/<id>/widget/ (owners and admins)."""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cxloop.common.errors import InputError
from cxloop.organizations.decorators import member_required
from cxloop.organizations.forms import add_service_errors
from cxloop.organizations.models import Membership
from cxloop.surveys.selectors import survey_get
from cxloop.widget.forms import WidgetSettingsForm
from cxloop.widget.selectors import widget_for_survey, widget_snippet
from cxloop.widget.services import widget_config_save


@require_http_methods(["GET", "POST"])
@member_required(manage_organization=True)
def widget_settings(request: HttpRequest, membership: Membership, survey_id: int) -> HttpResponse:
    organization = membership.organization
    survey = survey_get(organization=organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    widget = widget_for_survey(organization=organization, survey=survey)
    status = 200
    if request.method == "POST":
        form = WidgetSettingsForm(request.POST)
        if form.is_valid():
            try:
                widget_config_save(
                    organization=organization,
                    survey=survey,
                    values=form.cleaned_data,
                    by=request.user,
                )
            except InputError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Widget settings saved."))
                return redirect("widget:settings", org_slug=organization.slug, survey_id=survey.pk)
        status = 400
    else:
        form = WidgetSettingsForm(initial=WidgetSettingsForm.initial_for(widget))
    return render(
        request,
        "widget/settings.html",
        {
            "membership": membership,
            "organization": organization,
            "survey": survey,
            "widget": widget,
            "snippet": widget_snippet(widget) if widget else "",
            "form": form,
        },
        status=status,
    )
