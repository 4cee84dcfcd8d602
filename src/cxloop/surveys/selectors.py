from typing import Any

from django.db.models import Count, Max, Prefetch, QuerySet

from cxloop.organizations.models import Organization
from cxloop.surveys.definitions import SurveyDefinition
from cxloop.surveys.models import Question, Survey


def survey_list(*, organization: Organization) -> QuerySet[Survey]:
    return (
        Survey.objects.filter(organization=organization)
        .annotate(
            response_count=Count("responses"), last_response_at=Max("responses__submitted_at")
        )
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("position")))
    )


def survey_menu(*, organization: Organization) -> QuerySet[Survey]:
    """Surveys for a picker: names only, no counts or questions."""
    return Survey.objects.filter(organization=organization).only(
        "id", "name", "organization_id", "status", "languages", "default_language"
    )


def survey_get(*, organization: Organization, survey_id: int) -> Survey | None:
    return (
        Survey.objects.filter(organization=organization, pk=survey_id)
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("position")))
        .first()
    )


def survey_get_public(*, slug: str) -> Survey | None:
    return (
        Survey.objects.select_related("organization")
        .prefetch_related(Prefetch("questions", queryset=Question.objects.order_by("position")))
        .filter(slug=slug)
        .first()
    )


def survey_definition(survey: Survey) -> SurveyDefinition:
    """The survey as a definition; reads prefetched questions when present."""
    return SurveyDefinition(
        name=survey.name,
        languages=tuple(survey.languages),
        default_language=survey.default_language,
        questions=tuple(question.definition() for question in survey.questions.all()),
        kind=survey.kind,
        touchpoint=survey.touchpoint,
        title=survey.title,
        intro=survey.intro,
        thank_you=survey.thank_you,
    )


def survey_definition_dict(survey: Survey) -> dict[str, Any]:
    definition = survey_definition(survey)
    return {
        "name": definition.name,
        "kind": definition.kind,
        "touchpoint": definition.touchpoint,
        "languages": list(definition.languages),
        "default_language": definition.default_language,
        "title": dict(definition.title),
        "intro": dict(definition.intro),
        "thank_you": dict(definition.thank_you),
        "questions": [question.to_dict() for question in definition.questions],
    }


def survey_has_responses(*, survey: Survey) -> bool:
    return survey.responses.exists()
