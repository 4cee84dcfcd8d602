from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization


class WidgetDisplay(models.TextChoices):
    POPUP = "popup", _("Pop-up in the middle of the page")
    SLIDE_IN = "slide_in", _("Slide-in at the edge of the page")


class WidgetPosition(models.TextChoices):
    BOTTOM_RIGHT = "bottom_right", _("Bottom right")
    BOTTOM_LEFT = "bottom_left", _("Bottom left")


class UrlMatch(models.TextChoices):
    GLOB = "glob", _("Wildcards (*)")
    REGEX = "regex", _("Regular expressions")


class WidgetConfig(models.Model):
    """How one survey appears on the organization's own website through one script tag.

    ``public_key`` names the widget in the script's URL and its public endpoints: it is
    random so widgets cannot be enumerated, and only the origins listed in
    ``allowed_origins`` may read its configuration or post answers from a browser.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    survey = models.OneToOneField(
        "surveys.Survey", on_delete=models.CASCADE, related_name="widget_config"
    )
    public_key = models.CharField(max_length=32, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    # Exact origins such as "https://shop.example.com" (scheme, host and port; no path).
    allowed_origins = models.JSONField(default=list, blank=True)
    display = models.CharField(
        _("display"), max_length=10, choices=WidgetDisplay.choices, default=WidgetDisplay.SLIDE_IN
    )
    position = models.CharField(
        _("position"),
        max_length=16,
        choices=WidgetPosition.choices,
        default=WidgetPosition.BOTTOM_RIGHT,
    )
    url_match = models.CharField(
        _("URL patterns are"), max_length=8, choices=UrlMatch.choices, default=UrlMatch.GLOB
    )
    # Empty: every page. Otherwise the page must match one of them.
    url_patterns = models.JSONField(default=list, blank=True)
    delay_seconds = models.PositiveIntegerField(_("delay (seconds)"), null=True, blank=True)
    scroll_percent = models.PositiveSmallIntegerField(_("scroll depth (%)"), null=True, blank=True)
    exit_intent = models.BooleanField(_("exit intent"), default=False)
    event_name = models.CharField(_("custom event"), max_length=64, blank=True)
    # Anonymous visitors are remembered in their browser's localStorage only; identified
    # visitors are judged by the organization's contact-frequency rules on the server.
    anonymous_frequency_days = models.PositiveIntegerField(
        _("ask an anonymous visitor at most every (days)"), default=30
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"widget {self.public_key} of survey {self.survey_id}"
