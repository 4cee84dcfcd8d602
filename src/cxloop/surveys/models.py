from typing import ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cxloop.organizations.models import Organization
from cxloop.surveys.definitions import Choice, QuestionDefinition


class SurveyKind(models.TextChoices):
    RELATIONSHIP = "relationship", _("Relationship")
    TRANSACTIONAL = "transactional", _("Transactional")
    REALTIME = "realtime", _("Real-time")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    CLOSED = "closed", _("Closed")


class QuestionType(models.TextChoices):
    NPS = "nps", _("NPS (0–10)")
    NPS_PLUS = "nps_plus", _("NPS+ (score, reasons, open question)")
    CSAT = "csat", _("CSAT (satisfaction)")
    CES = "ces", _("CES (customer effort)")
    TEXT = "text", _("Open text")
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")


class Survey(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="surveys")
    name = models.CharField(_("name"), max_length=200)
    # The public link /s/<slug>: random, so surveys cannot be enumerated.
    slug = models.SlugField(max_length=32, unique=True)
    kind = models.CharField(
        _("kind"), max_length=16, choices=SurveyKind.choices, default=SurveyKind.TRANSACTIONAL
    )
    touchpoint = models.CharField(_("touchpoint"), max_length=100, blank=True)
    languages = models.JSONField(default=list)
    default_language = models.CharField(max_length=8, default="zh-Hans")
    title = models.JSONField(default=dict, blank=True)
    intro = models.JSONField(default=dict, blank=True)
    thank_you = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes: ClassVar = [models.Index(fields=("organization", "status"))]

    def __str__(self) -> str:
        return self.name

    @property
    def accepts_responses(self) -> bool:
        return self.status == SurveyStatus.ACTIVE


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(max_length=50)
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    position = models.PositiveIntegerField(default=0)
    required = models.BooleanField(default=True)
    text = models.JSONField(default=dict)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ("position", "id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=("survey", "key"), name="question_unique_key_per_survey")
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.key}"

    def definition(self) -> QuestionDefinition:
        config = self.config or {}
        raw_choices = config.get("reasons") if self.type == "nps_plus" else config.get("choices")
        return QuestionDefinition(
            key=self.key,
            type=self.type,
            text=self.text,
            required=self.required,
            scale=config.get("scale"),
            labels=config.get("labels", {}),
            choices=tuple(Choice(c["key"], c["text"]) for c in raw_choices or ()),
            reason_prompt=config.get("reason_prompt", {}),
            comment_prompt=config.get("comment_prompt", {}),
        )
