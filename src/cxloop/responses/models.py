from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey


class ResponseSource(models.TextChoices):
    WEB = "web", _("Web link")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class Response(models.Model):
    """One customer's completed answers to a survey.

    ``answers`` holds every answer by question key; the headline scores and the comment are
    copied into columns when the response is stored so that summaries and filters read
    indexed integers instead of parsing JSON.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="responses"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    submitted_at = models.DateTimeField(_("submitted at"))
    received_at = models.DateTimeField(auto_now_add=True)
    language = models.CharField(_("language"), max_length=8)
    source = models.CharField(max_length=8, choices=ResponseSource.choices)
    answers = models.JSONField(default=dict)
    attributes = models.JSONField(default=dict, blank=True)
    nps_score = models.SmallIntegerField(null=True, blank=True)
    csat_score = models.SmallIntegerField(null=True, blank=True)
    ces_score = models.SmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # NULL, not "", when absent: the unique constraint must not treat keyless responses as equal.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
    )

    class Meta:
        ordering = ("-submitted_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=("survey", "idempotency_key"), name="response_unique_idempotency_key"
            )
        ]
        indexes: ClassVar = [
            models.Index(fields=("survey", "-submitted_at"), name="response_survey_time"),
            models.Index(fields=("organization", "-submitted_at"), name="response_org_time"),
        ]

    def __str__(self) -> str:
        return f"Response {self.pk} to {self.survey_id}"
