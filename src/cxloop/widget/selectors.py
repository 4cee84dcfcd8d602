"""Reads of the website widget: by survey for its page, by public key for the script."""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from cxloop.common.languages import pick_text
from cxloop.organizations.models import Organization
from cxloop.responses.public_form import _default_prompt
from cxloop.surveys.definitions import NPS_CATEGORIES, QuestionDefinition
from cxloop.surveys.models import Question, Survey, SurveyStatus
from cxloop.surveys.selectors import survey_definition
from cxloop.widget.models import WidgetConfig


def widget_for_survey(*, organization: Organization, survey: Survey) -> WidgetConfig | None:
    return WidgetConfig.objects.filter(organization=organization, survey=survey).first()


def widget_get_public(*, public_key: str) -> WidgetConfig | None:
    if not public_key or len(public_key) > 64:
        return None
    return (
        WidgetConfig.objects.select_related("survey", "organization")
        .prefetch_related(
            Prefetch("survey__questions", queryset=Question.objects.order_by("position"))
        )
        .filter(public_key=public_key)
        .first()
    )


def widget_script_url(widget: WidgetConfig) -> str:
    return f"{settings.PUBLIC_URL}/w/{widget.public_key}.js"


def widget_snippet(widget: WidgetConfig) -> str:
    return f'<script src="{widget_script_url(widget)}" async></script>'


def _question(question: QuestionDefinition, text: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": question.key,
        "type": question.type,
        "text": text(question.text),
        "required": question.required,
    }
    score_range = question.score_range
    if score_range is not None:
        low, high = score_range
        data["min"], data["max"] = low, high
        labels = question.labels
        data["low_label"] = text(labels.get("low", {})) or (
            _("Not at all likely") if low == 0 else ""
        )
        data["high_label"] = text(labels.get("high", {})) or (
            _("Extremely likely") if low == 0 else ""
        )
        data["point_labels"] = {
            str(point): text(labels[str(point)])
            for point in range(low, high + 1)
            if str(point) in labels
        }
    if question.choices:
        data["choices"] = [{"key": c.key, "text": text(c.text)} for c in question.choices]
    if question.type == "nps_plus":
        data["prompts"] = {
            category: {
                "reasons": text(question.reason_prompt.get(category, {}))
                or _default_prompt("reason", category),
                "comment": text(question.comment_prompt.get(category, {}))
                or _default_prompt("comment", category),
            }
            for category in NPS_CATEGORIES
        }
    return data


def widget_public_config(*, widget: WidgetConfig, language: str) -> dict[str, Any]:
    """What the script needs, with every text in `language` (the caller activates it)."""
    survey = widget.survey
    if not widget.enabled or survey.status != SurveyStatus.ACTIVE:
        return {"enabled": False}

    def text(texts: Mapping[str, str]) -> str:
        return pick_text(texts or {}, language, (survey.default_language,))

    definition = survey_definition(survey)
    return {
        "enabled": True,
        "language": language,
        "display": widget.display,
        "position": widget.position,
        "triggers": {
            "url_match": widget.url_match,
            "url_patterns": list(widget.url_patterns),
            "delay_seconds": widget.delay_seconds,
            "scroll_percent": widget.scroll_percent,
            "exit_intent": widget.exit_intent,
            "event_name": widget.event_name,
        },
        "anonymous_frequency_days": widget.anonymous_frequency_days,
        "survey": {
            "title": text(definition.title) or survey.name,
            "intro": text(definition.intro),
            "thank_you": text(definition.thank_you) or _("Thank you for your feedback!"),
            "questions": [_question(question, text) for question in definition.questions],
        },
        "texts": {
            "close": _("Close"),
            "submit": _("Submit"),
            "sending": _("Sending…"),
            "optional": _("(optional)"),
            "required": _("This question is required."),
            "failed": _("Your answer could not be sent. Please try again."),
            "dialog": _("Survey"),
        },
    }
