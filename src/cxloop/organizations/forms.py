"""Forms parse and shape input only; the services decide what is valid."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cxloop.common.errors import InputError
from cxloop.organizations.models import Role

DEFAULT_TIME_ZONE = "Asia/Shanghai"
# Where cxloop's customers mostly are, Asia/Shanghai first; any other IANA zone an
# organization already uses is added to the list so it is never silently replaced.
COMMON_TIME_ZONES: tuple[str, ...] = (
    DEFAULT_TIME_ZONE,
    "Asia/Hong_Kong",
    "Asia/Taipei",
    "Asia/Macau",
    "Asia/Singapore",
    "Asia/Kuala_Lumpur",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Manila",
    "Asia/Tokyo",
    "Asia/Seoul",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Australia/Sydney",
    "Pacific/Auckland",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Moscow",
    "Africa/Johannesburg",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "UTC",
)


def time_zone_choices(current: str | None = None) -> list[tuple[str, str]]:
    zones = list(COMMON_TIME_ZONES)
    if current and current not in zones:
        zones.insert(1, current)
    return [(zone, zone.replace("_", " ")) for zone in zones]


def add_service_errors(form: forms.Form, error: InputError | ValidationError) -> None:
    """Show a service's refusal on the form, next to the field it names when the form has it."""
    if isinstance(error, InputError):
        grouped = error.by_field()
    elif hasattr(error, "error_dict"):
        grouped = {field: list(messages) for field, messages in error.message_dict.items()}
    else:
        grouped = {"": list(error.messages)}
    for field, messages in grouped.items():
        for message in messages:
            form.add_error(field if field in form.fields else None, message)


class OrganizationForm(forms.Form):
    name = forms.CharField(label=_("Organization name"), max_length=200)
    # A plain text value shown as a select: the service validates the zone, so a zone
    # outside the common list (set through the API or an older version) still saves.
    time_zone = forms.CharField(
        label=_("Time zone"),
        help_text=_("Dates and times of responses and reports are shown in this time zone."),
        widget=forms.Select,
    )

    analysis_dimensions = forms.CharField(
        label=_("Dashboard attributes"),
        required=False,
        help_text=_(
            "Response attributes the dashboards pre-aggregate for instant filters and "
            "breakdowns, separated by commas (at most 8), e.g. store, region, product, channel. "
            "Other attributes still work, computed from the raw responses."
        ),
    )

    def __init__(self, *args: Any, current_time_zone: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget.choices = time_zone_choices(current_time_zone)
        self.fields["time_zone"].initial = current_time_zone or DEFAULT_TIME_ZONE

    def clean_analysis_dimensions(self) -> list[str] | None:
        if "analysis_dimensions" not in self.data:
            return None  # not on the submitted form: leave the organization's choice alone
        raw: str = self.cleaned_data.get("analysis_dimensions") or ""
        return [name.strip() for name in raw.replace("，", ",").split(",") if name.strip()]


class MemberAddForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("Someone without an account gets an e-mail with a link to set a password."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ApiKeyCreateForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        required=False,
        help_text=_("What the key is for, e.g. “CRM integration”."),
    )
