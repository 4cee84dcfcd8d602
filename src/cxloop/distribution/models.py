from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization


class SmsProviderName(models.TextChoices):
    ALIYUN = "aliyun", _("Aliyun SMS")
    TENCENT = "tencent", _("Tencent Cloud SMS")
    TWILIO = "twilio", _("Twilio")


class SmsConfiguration(models.Model):
    """How an organization sends SMS: one provider, its credentials and its templates.

    The provider's credentials (key ids and secrets) are kept encrypted in
    ``encrypted_credentials`` (see ``distribution.sms.credentials``); everything else is
    plain. Which values each provider needs is described in ``distribution.sms.providers``.
    """

    organization = models.OneToOneField(
        Organization, on_delete=models.CASCADE, related_name="sms_configuration"
    )
    provider = models.CharField(_("provider"), max_length=16, choices=SmsProviderName.choices)
    encrypted_credentials = models.TextField(blank=True, default="")
    # Aliyun and Tencent Cloud: the approved sign name; Twilio: the From number or sender id.
    sender = models.CharField(_("sender"), max_length=100, blank=True, default="")
    # Provider settings that are not secret, e.g. Tencent's SdkAppId and region.
    options = models.JSONField(default=dict, blank=True)
    # Approved template id per survey language, e.g. {"zh-Hans": "SMS_123", "en": "SMS_456"}.
    templates = models.JSONField(default=dict, blank=True)
    # Blank: the provider's production endpoint.
    endpoint = models.URLField(_("endpoint"), max_length=300, blank=True, default="")
    enabled = models.BooleanField(_("enabled"), default=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.organization}: {self.get_provider_display()}"
