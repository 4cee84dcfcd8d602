"""Contact-frequency rules: the organization's, and a survey's override of them."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxloop.common.errors import InputError
from cxloop.distribution.fatigue import ContactRules
from cxloop.distribution.selectors import contact_rules_overview, survey_contact_rules
from cxloop.distribution.services import contact_policy_remove_override, contact_policy_set
from cxloop.organizations.decorators import member_required
from cxloop.organizations.forms import add_service_errors
from cxloop.organizations.models import Membership
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_get, survey_menu


class ContactRulesForm(forms.Form):
    """Parses the rules; the service decides which values are allowed."""

    min_days_between = forms.IntegerField(
        label=gettext_lazy("Days between two invitations to one person, at least"),
        help_text=gettext_lazy("Across all surveys and channels. 0 allows any gap."),
    )
    max_per_year = forms.IntegerField(
        label=gettext_lazy("Invitations to one person in any 12 months, at most")
    )
    quiet_start = forms.TimeField(
        label=gettext_lazy("Quiet hours from"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    quiet_end = forms.TimeField(
        label=gettext_lazy("Quiet hours until"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=gettext_lazy(
            "In each person's own time zone. Sends that fall in quiet hours wait until they "
            "end. Leave both empty for none."
        ),
    )
    link_valid_days = forms.IntegerField(label=gettext_lazy("Personal links stay valid for (days)"))
    reminder_after_days = forms.IntegerField(
        label=gettext_lazy("Remind people who have not answered after (days)")
    )
    max_reminders = forms.IntegerField(
        label=gettext_lazy("Reminders per invitation, at most"),
        help_text=gettext_lazy(
            "E-mail only. A reminder re-sends the same personal link; it is not a new "
            "invitation. 0 sends none."
        ),
    )

    def rules(self) -> ContactRules:
        data = self.cleaned_data
        return ContactRules(
            min_days_between=data["min_days_between"],
            max_per_year=data["max_per_year"],
            quiet_start=data["quiet_start"],
            quiet_end=data["quiet_end"],
            link_valid_days=data["link_valid_days"],
            reminder_after_days=data["reminder_after_days"],
            max_reminders=data["max_reminders"],
        )


def _initial(rules: ContactRules) -> dict[str, Any]:
    return {
        "min_days_between": rules.min_days_between,
        "max_per_year": rules.max_per_year,
        "quiet_start": rules.quiet_start,
        "quiet_end": rules.quiet_end,
        "link_valid_days": rules.link_valid_days,
        "reminder_after_days": rules.reminder_after_days,
        "max_reminders": rules.max_reminders,
    }


def _save(
    request: HttpRequest, membership: Membership, form: ContactRulesForm, survey: Survey | None
) -> bool:
    if not form.is_valid():
        return False
    try:
        contact_policy_set(organization=membership.organization, rules=form.rules(), survey=survey)
    except InputError as error:
        add_service_errors(form, error)
        return False
    return True


@member_required(manage_organization=True)
def contact_rules(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    chosen = request.GET.get("survey", "")
    if request.method == "GET" and chosen.isdigit():
        # The "override for a survey" menu is a GET form; its page lives under the survey id.
        return redirect(
            "distribution:survey_contact_rules", org_slug=organization.slug, survey_id=int(chosen)
        )
    overview = contact_rules_overview(organization=organization)
    if request.method == "POST":
        form = ContactRulesForm(request.POST)
        if _save(request, membership, form, None):
            messages.success(request, _("Contact rules saved."))
            return redirect("distribution:contact_rules", org_slug=organization.slug)
    else:
        form = ContactRulesForm(initial=_initial(overview.default))
    context = {
        "membership": membership,
        "overview": overview,
        "form": form,
        "surveys": survey_menu(organization=organization),
    }
    status = 400 if form.errors else 200
    return render(request, "distribution/contact_rules.html", context, status=status)


def _survey_or_404(membership: Membership, survey_id: int) -> Survey:
    survey = survey_get(organization=membership.organization, survey_id=survey_id)
    if survey is None:
        raise Http404
    return survey


@member_required(manage_organization=True)
def survey_contact_rules_page(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    organization = membership.organization
    survey = _survey_or_404(membership, survey_id)
    own = survey_contact_rules(organization=organization, survey_id=survey.pk)
    if request.method == "POST":
        form = ContactRulesForm(request.POST)
        if _save(request, membership, form, survey):
            messages.success(request, _("This survey's contact rules are saved."))
            return redirect("distribution:contact_rules", org_slug=organization.slug)
    else:
        starting_point = own or contact_rules_overview(organization=organization).default
        form = ContactRulesForm(initial=_initial(starting_point))
    context = {"membership": membership, "survey": survey, "has_override": own is not None}
    context["form"] = form
    status = 400 if form.errors else 200
    return render(request, "distribution/survey_contact_rules.html", context, status=status)


@require_POST
@member_required(manage_organization=True)
def survey_contact_rules_remove(
    request: HttpRequest, membership: Membership, survey_id: int
) -> HttpResponse:
    survey = _survey_or_404(membership, survey_id)
    if contact_policy_remove_override(organization=membership.organization, survey=survey):
        messages.success(request, _("The survey follows the organization's contact rules again."))
    return redirect("distribution:contact_rules", org_slug=membership.organization.slug)
