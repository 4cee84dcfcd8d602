"""Web forms of the campaigns page: they parse what the user typed; the services decide
what is valid."""

import re
from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from cxloop.campaigns.models import CampaignChannel

FILTER_HELP = _(
    "One attribute per line: name = value, other value. Example: store = 上海南京西路店, "
    "北京三里屯店"
)
VALUE_SEPARATORS = re.compile(r"[,，]")


def parse_attribute_lines(text: str) -> dict[str, list[str]] | None:
    """``store = A, B`` lines → {"store": ["A", "B"]}; None when a line has no "="."""
    parsed: dict[str, list[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        name, equals, values = line.partition("=")
        if not equals:
            return None
        parsed.setdefault(name.strip(), []).extend(
            value.strip() for value in VALUE_SEPARATORS.split(values)
        )
    return parsed


def attribute_lines(value: dict[str, list[str]]) -> str:
    return "\n".join(f"{name} = {', '.join(values)}" for name, values in value.items())


class AttributeFilterField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value: Any) -> dict[str, list[str]]:  # type: ignore[override]
        text = super().to_python(value) or ""
        parsed = parse_attribute_lines(text)
        if parsed is None:
            raise forms.ValidationError(_("Write each line as name = value, other value."))
        return parsed

    def prepare_value(self, value: Any) -> Any:
        return attribute_lines(value) if isinstance(value, dict) else value


class EventRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    event = forms.CharField(
        label=_("Event name"),
        max_length=100,
        help_text=_("As your systems send it to POST /api/v1/events, e.g. order_delivered."),
    )
    survey = forms.TypedChoiceField(label=_("Survey"), coerce=int)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    delay = forms.IntegerField(label=_("Delay"), min_value=0, initial=0)
    delay_unit = forms.ChoiceField(
        label=_("Unit"),
        choices=[("minutes", _("minutes")), ("hours", _("hours"))],
        initial="minutes",
    )
    conditions = AttributeFilterField(label=_("Only when"), required=False, help_text=FILTER_HELP)
    dedupe_days = forms.IntegerField(
        label=_("At most once per contact in (days)"),
        min_value=0,
        initial=0,
        help_text=_("0: only the organization's contact-frequency rules apply."),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, surveys: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = surveys  # type: ignore[attr-defined]

    def delay_minutes(self) -> int:
        delay = int(self.cleaned_data["delay"])
        return delay * 60 if self.cleaned_data["delay_unit"] == "hours" else delay


REPEAT_CHOICES = [
    (0, _("Once")),
    (1, _("Every month")),
    (3, _("Every quarter")),
    (6, _("Every six months")),
    (12, _("Every year")),
]


class WaveForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    survey = forms.TypedChoiceField(label=_("Survey"), coerce=int)
    channel = forms.ChoiceField(label=_("Channel"), choices=CampaignChannel.choices)
    segment = AttributeFilterField(
        label=_("Contacts"),
        required=False,
        help_text=format_lazy("{} {}", _("Leave empty for every contact."), FILTER_HELP),
    )
    sample_percent = forms.DecimalField(
        label=format_lazy("{} (%)", _("Sample")),
        min_value=0,
        max_value=100,
        decimal_places=2,
        initial=100,
    )
    sample_by = forms.CharField(
        label=_("Sample per value of"),
        required=False,
        max_length=50,
        help_text=_(
            "An attribute such as store: the percentage is taken of each store's contacts, "
            "at least one from each."
        ),
    )
    first_run_at = forms.DateTimeField(
        label=_("First run"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("In the organization's time zone."),
    )
    repeat_months = forms.TypedChoiceField(
        label=_("Repeat"), choices=REPEAT_CHOICES, coerce=int, initial=3
    )

    def __init__(self, *args: Any, surveys: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["survey"].choices = surveys  # type: ignore[attr-defined]
