import secrets
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.analytics.rollups import rollups_start
from cxloop.common.errors import InputError
from cxloop.organizations.models import Organization
from cxloop.surveys.definitions import (
    SurveyDefinition,
    breaking_changes,
    parse_survey_definition,
)
from cxloop.surveys.models import Question, Survey, SurveyStatus

SLUG_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l: links get read aloud and typed


def _new_slug() -> str:
    while True:
        slug = "".join(secrets.choice(SLUG_ALPHABET) for _ in range(10))
        if not Survey.objects.filter(slug=slug).exists():
            return slug


def _user_or_none(by: User | AnonymousUser | None) -> User | None:
    return by if isinstance(by, User) else None


def _write_questions(survey: Survey, definition: SurveyDefinition) -> None:
    existing = {question.key: question for question in survey.questions.all()}
    wanted = {question.key for question in definition.questions}
    survey.questions.exclude(key__in=wanted).delete()
    for position, question_definition in enumerate(definition.questions):
        fields = {
            "type": question_definition.type,
            "position": position,
            "required": question_definition.required,
            "text": dict(question_definition.text),
            "config": question_definition.config(),
        }
        question = existing.get(question_definition.key)
        if question is None:
            Question.objects.create(survey=survey, key=question_definition.key, **fields)
            continue
        changed = [name for name, value in fields.items() if getattr(question, name) != value]
        if changed:
            for name in changed:
                setattr(question, name, fields[name])
            question.save(update_fields=changed)


def _apply_definition_fields(survey: Survey, definition: SurveyDefinition) -> None:
    survey.name = definition.name
    survey.kind = definition.kind
    survey.touchpoint = definition.touchpoint
    survey.languages = list(definition.languages)
    survey.default_language = definition.default_language
    survey.title = dict(definition.title)
    survey.intro = dict(definition.intro)
    survey.thank_you = dict(definition.thank_you)


@transaction.atomic
def survey_create(
    *, organization: Organization, definition: Any, by: User | AnonymousUser | None = None
) -> Survey:
    parsed = parse_survey_definition(definition)
    survey = Survey(organization=organization, slug=_new_slug(), created_by=_user_or_none(by))
    _apply_definition_fields(survey, parsed)
    survey.save()
    _write_questions(survey, parsed)
    rollups_start(survey=survey, organization=organization)
    return survey


@transaction.atomic
def survey_update(
    *, survey: Survey, definition: Any, by: User | AnonymousUser | None = None
) -> Survey:
    """Replace a survey's definition; refuse changes that would corrupt stored answers."""
    parsed = parse_survey_definition(definition)
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.responses.exists():
        current = tuple(question.definition() for question in locked.questions.all())
        problems = breaking_changes(current, parsed.questions)
        if problems:
            raise InputError(problems)
    _apply_definition_fields(locked, parsed)
    locked.save()
    _write_questions(locked, parsed)
    return locked


def _transition(survey: Survey, *, allowed_from: set[str], to: str) -> Survey:
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status == to:
            return locked  # repeating a transition is harmless (double clicks, retries)
        if locked.status not in allowed_from:
            raise InputError.single(
                "status",
                _("A %(status)s survey cannot become %(target)s.")
                % {
                    "status": SurveyStatus(locked.status).label,
                    "target": SurveyStatus(to).label,
                },
            )
        update_fields = ["status", "updated_at"]
        locked.status = to
        if to == SurveyStatus.ACTIVE and locked.published_at is None:
            locked.published_at = timezone.now()
            update_fields.append("published_at")
        locked.save(update_fields=update_fields)
        return locked


def survey_publish(*, survey: Survey, by: User | AnonymousUser | None = None) -> Survey:
    """Open the survey for answers (also resumes a paused or reopens a closed one)."""
    if not survey.questions.exists():
        raise InputError.single("questions", _("Add at least one question before publishing."))
    return _transition(
        survey,
        allowed_from={SurveyStatus.DRAFT, SurveyStatus.PAUSED, SurveyStatus.CLOSED},
        to=SurveyStatus.ACTIVE,
    )


def survey_pause(*, survey: Survey, by: User | AnonymousUser | None = None) -> Survey:
    return _transition(survey, allowed_from={SurveyStatus.ACTIVE}, to=SurveyStatus.PAUSED)


def survey_close(*, survey: Survey, by: User | AnonymousUser | None = None) -> Survey:
    return _transition(
        survey, allowed_from={SurveyStatus.ACTIVE, SurveyStatus.PAUSED}, to=SurveyStatus.CLOSED
    )
