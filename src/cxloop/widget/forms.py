from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cxloop.widget.models import UrlMatch, WidgetConfig, WidgetDisplay, WidgetPosition
from cxloop.widget.validation import MAX_DELAY_SECONDS, MAX_FREQUENCY_DAYS


class WidgetSettingsForm(forms.Form):
    """Reads the page; the rules themselves live in validation.clean_widget_settings."""

    enabled = forms.BooleanField(label=_("Show the widget on the website"), required=False)
    allowed_origins = forms.CharField(
        label=_("Allowed websites (origins)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "One per line, exactly as the browser shows it: https://shop.example.com. "
            "Only these sites may show the survey and send answers."
        ),
    )
    display = forms.ChoiceField(label=_("Display"), choices=WidgetDisplay.choices)
    position = forms.ChoiceField(
        label=_("Position of the slide-in"), choices=WidgetPosition.choices
    )
    url_match = forms.ChoiceField(label=_("URL patterns are"), choices=UrlMatch.choices)
    url_patterns = forms.CharField(
        label=_("Pages"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "One pattern per line; empty means every page. Wildcards match the path, e.g. "
            "/checkout/*, or the whole address when they start with http. Regular "
            "expressions are searched in the whole address."
        ),
    )
    delay_seconds = forms.IntegerField(
        label=_("Show after (seconds on the page)"),
        required=False,
        min_value=0,
        max_value=MAX_DELAY_SECONDS,
    )
    scroll_percent = forms.IntegerField(
        label=_("Show after scrolling this percentage of the page"),
        required=False,
        min_value=1,
        max_value=100,
    )
    exit_intent = forms.BooleanField(
        label=_("Show when the mouse leaves the top of the window (exit intent, desktop)"),
        required=False,
    )
    event_name = forms.CharField(
        label=_("Show on a custom event"),
        required=False,
        max_length=64,
        help_text=_(
            "Your page shows the survey with window.dispatchEvent(new CustomEvent('name')). "
            "cxloop('show') always works."
        ),
    )
    anonymous_frequency_days = forms.IntegerField(
        label=_("Ask an anonymous visitor at most every (days)"),
        min_value=0,
        max_value=MAX_FREQUENCY_DAYS,
        help_text=_(
            "Remembered in the visitor's browser. Visitors your site identifies follow the "
            "organization's contact-frequency rules, across all surveys and channels."
        ),
    )

    @classmethod
    def initial_for(cls, widget: WidgetConfig | None) -> dict[str, Any]:
        if widget is None:
            return {
                "enabled": True,
                "display": WidgetDisplay.SLIDE_IN,
                "position": WidgetPosition.BOTTOM_RIGHT,
                "url_match": UrlMatch.GLOB,
                "anonymous_frequency_days": 30,
            }
        return {
            "enabled": widget.enabled,
            "allowed_origins": "\n".join(widget.allowed_origins),
            "display": widget.display,
            "position": widget.position,
            "url_match": widget.url_match,
            "url_patterns": "\n".join(widget.url_patterns),
            "delay_seconds": widget.delay_seconds,
            "scroll_percent": widget.scroll_percent,
            "exit_intent": widget.exit_intent,
            "event_name": widget.event_name,
            "anonymous_frequency_days": widget.anonymous_frequency_days,
        }
