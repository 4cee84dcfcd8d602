"""The SMS settings page: choose a provider, store its settings, send a test message."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from cxloop.common.errors import InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, SURVEY_LANGUAGES
from cxloop.distribution.selectors import SmsSettingsSummary, sms_settings_summary
from cxloop.distribution.services import sms_configuration_set, sms_send_test
from cxloop.distribution.sms.base import SmsError, SmsReceipt, SmsTransientError
from cxloop.distribution.sms.providers import ALIYUN, PROVIDERS, ProviderSpec, Storage
from cxloop.organizations.decorators import member_required
from cxloop.organizations.forms import add_service_errors
from cxloop.organizations.models import Membership

TEMPLATE_FIELD_PREFIX = "templates."


class SmsSettingsForm(forms.Form):
    """The chosen provider's fields; parses input only, the service decides what is valid."""

    enabled = forms.BooleanField(
        label=gettext_lazy("Send SMS through this provider"), required=False, initial=True
    )
    endpoint = forms.CharField(
        label=gettext_lazy("Endpoint"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Leave empty to use the provider's production address."),
    )

    def __init__(
        self, *args: Any, spec: ProviderSpec, summary: SmsSettingsSummary | None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.spec = spec
        stored = summary if summary is not None and summary.provider == spec.key else None
        self.provider_field_names: list[str] = []
        for setting in spec.fields:
            if setting.storage == Storage.SECRET:
                is_set = stored is not None and setting.key in stored.secrets_set
                field: forms.Field = forms.CharField(
                    label=str(setting.label),
                    required=False,
                    strip=False,
                    widget=forms.PasswordInput(
                        render_value=False, attrs={"autocomplete": "new-password"}
                    ),
                    help_text=_("•••• set. Leave empty to keep it.") if is_set else "",
                )
            else:
                field = forms.CharField(
                    label=str(setting.label),
                    required=False,
                    max_length=setting.max_length,
                    help_text=str(setting.help_text),
                    initial=stored.shown_values.get(setting.key, "") if stored else setting.default,
                )
            self.fields[setting.key] = field
            self.provider_field_names.append(setting.key)
        self.template_field_names: list[str] = []
        if spec.uses_templates:
            for language in SURVEY_LANGUAGES:
                name = f"{TEMPLATE_FIELD_PREFIX}{language}"
                self.fields[name] = forms.CharField(
                    label=SURVEY_LANGUAGE_NAMES[language],
                    required=False,
                    max_length=40,
                    initial=stored.templates.get(language, "") if stored else "",
                )
                self.template_field_names.append(name)
        if stored is not None:
            self.fields["endpoint"].initial = stored.endpoint
            self.fields["enabled"].initial = stored.enabled
        self.order_fields([*self.provider_field_names, *self.template_field_names])

    def provider_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.provider_field_names]

    def template_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.template_field_names]

    def values(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name in self.provider_field_names}

    def templates(self) -> dict[str, str]:
        return {
            name.removeprefix(TEMPLATE_FIELD_PREFIX): self.cleaned_data.get(name) or ""
            for name in self.template_field_names
        }


class SmsTestForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("Mobile number"),
        max_length=32,
        help_text=gettext_lazy("In international format, e.g. +8613800138000."),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )


def _chosen_spec(request: HttpRequest, summary: SmsSettingsSummary | None) -> ProviderSpec:
    requested = request.POST.get("provider") or request.GET.get("provider") or ""
    if requested in PROVIDERS:
        return PROVIDERS[requested]
    return PROVIDERS[summary.provider] if summary is not None else ALIYUN


def _page(
    request: HttpRequest,
    membership: Membership,
    *,
    summary: SmsSettingsSummary | None,
    settings_form: SmsSettingsForm | None = None,
    test_form: SmsTestForm | None = None,
    test_receipt: SmsReceipt | None = None,
    test_error: SmsError | None = None,
    status: int = 200,
) -> HttpResponse:
    spec = settings_form.spec if settings_form is not None else _chosen_spec(request, summary)
    base_url = reverse("distribution:sms_settings", args=[membership.organization.slug])
    return render(
        request,
        "distribution/sms_settings.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "summary": summary,
            "spec": spec,
            "provider_links": [
                (key, provider.label, f"{base_url}?provider={key}")
                for key, provider in PROVIDERS.items()
            ],
            "settings_form": settings_form or SmsSettingsForm(spec=spec, summary=summary),
            "test_form": test_form or SmsTestForm(),
            "test_receipt": test_receipt,
            "test_error": test_error,
            "test_error_is_transient": isinstance(test_error, SmsTransientError),
        },
        status=status,
    )


@member_required(manage_organization=True)
def sms_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    summary = sms_settings_summary(organization=organization)
    if request.method != "POST":
        return _page(request, membership, summary=summary)
    spec = _chosen_spec(request, summary)
    form = SmsSettingsForm(request.POST, spec=spec, summary=summary)
    if form.is_valid():
        try:
            sms_configuration_set(
                organization=organization,
                provider=request.POST.get("provider", ""),
                values=form.values(),
                templates=form.templates(),
                endpoint=form.cleaned_data["endpoint"],
                enabled=form.cleaned_data["enabled"],
                by=request.user,
            )
        except InputError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("SMS settings saved."))
            return redirect("distribution:sms_settings", org_slug=organization.slug)
    return _page(request, membership, summary=summary, settings_form=form, status=400)


@require_POST
@member_required(manage_organization=True)
def sms_test(request: HttpRequest, membership: Membership) -> HttpResponse:
    organization = membership.organization
    summary = sms_settings_summary(organization=organization)
    form = SmsTestForm(request.POST)
    if not form.is_valid():
        return _page(request, membership, summary=summary, test_form=form, status=400)
    try:
        receipt = sms_send_test(
            organization=organization, to=form.cleaned_data["to"], by=request.user
        )
    except InputError as error:
        add_service_errors(form, error)
        return _page(request, membership, summary=summary, test_form=form, status=400)
    except SmsError as error:
        return _page(request, membership, summary=summary, test_form=form, test_error=error)
    return _page(request, membership, summary=summary, test_form=form, test_receipt=receipt)
