from datetime import datetime
from typing import Any, Literal

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import ConfigDict

from cxloop.organizations.models import ApiKey, Organization
from cxloop.surveys.models import Survey
from cxloop.surveys.selectors import survey_definition_dict, survey_get, survey_list
from cxloop.surveys.services import (
    survey_close,
    survey_create,
    survey_pause,
    survey_publish,
    survey_update,
)

router = Router(tags=["surveys"])

Texts = dict[str, str] | str


class ChoiceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key: str
    text: Texts


class QuestionIn(Schema):
    """One question. `text` and other texts are objects by language: {"zh-Hans": "…", "en": "…"}."""

    model_config = ConfigDict(extra="forbid")

    key: str = Field(description="lowercase letters, digits, underscores; unique in the survey")
    type: Literal["nps", "nps_plus", "csat", "ces", "text", "single_choice", "multiple_choice"]
    text: Texts
    required: bool = True
    scale: int | None = Field(default=None, description="csat: 5 (default), 7 or 10; ces: 7 or 5")
    labels: dict[str, Texts] | None = Field(
        default=None, description='end labels "low"/"high" (NPS) or one per point ("1".."5")'
    )
    choices: list[ChoiceIn] | None = Field(default=None, description="single/multiple choice")
    reasons: list[ChoiceIn] | None = Field(default=None, description="NPS+ reasons checklist")
    reason_prompt: dict[str, Texts] | None = Field(
        default=None, description="NPS+: checklist wording per promoter/passive/detractor"
    )
    comment_prompt: dict[str, Texts] | None = Field(
        default=None, description="NPS+: open question wording per promoter/passive/detractor"
    )


class SurveyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str
    languages: list[str] = Field(default=["zh-Hans"], description="zh-Hans, zh-Hant, en")
    default_language: str | None = None
    kind: Literal["relationship", "transactional", "realtime"] = "transactional"
    touchpoint: str = ""
    title: Texts | None = None
    intro: Texts | None = None
    thank_you: Texts | None = None
    questions: list[QuestionIn] = Field(default_factory=list)

    def as_definition(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class SurveyOut(Schema):
    id: int
    slug: str
    name: str
    status: str
    kind: str
    touchpoint: str
    languages: list[str]
    default_language: str
    public_url: str
    created_at: datetime
    published_at: datetime | None
    definition: dict[str, Any]

    @staticmethod
    def resolve_public_url(obj: Survey, context: dict[str, Any]) -> str:
        return str(context["request"].build_absolute_uri(f"/s/{obj.slug}"))

    @staticmethod
    def resolve_definition(obj: Survey) -> dict[str, Any]:
        return survey_definition_dict(obj)


def organization_of(request: HttpRequest) -> Organization:
    api_key: ApiKey = request.auth  # type: ignore[attr-defined]
    return api_key.organization


def survey_or_404(request: HttpRequest, survey_id: int) -> Survey:
    survey = survey_get(organization=organization_of(request), survey_id=survey_id)
    if survey is None:
        raise Http404
    return survey


@router.post("", response={201: SurveyOut}, summary="Create a survey from a definition")
def create_survey(request: HttpRequest, payload: SurveyIn) -> Status[Survey]:
    survey = survey_create(
        organization=organization_of(request), definition=payload.as_definition()
    )
    return Status(201, survey_or_404(request, survey.pk))


@router.get("", response=list[SurveyOut], summary="List surveys")
@paginate(LimitOffsetPagination)
def list_surveys(request: HttpRequest) -> QuerySet[Survey]:
    return survey_list(organization=organization_of(request))


@router.get("/{survey_id}", response=SurveyOut, summary="Get a survey")
def get_survey(request: HttpRequest, survey_id: int) -> Survey:
    return survey_or_404(request, survey_id)


@router.put("/{survey_id}", response=SurveyOut, summary="Replace a survey's definition")
def update_survey(request: HttpRequest, survey_id: int, payload: SurveyIn) -> Survey:
    """Refused with 422 when a change would corrupt existing answers (removing a question,
    changing a type or scale, removing an option)."""
    survey = survey_update(
        survey=survey_or_404(request, survey_id), definition=payload.as_definition()
    )
    return survey_or_404(request, survey.pk)


@router.post("/{survey_id}/publish", response=SurveyOut, summary="Publish (or resume) a survey")
def publish_survey(request: HttpRequest, survey_id: int) -> Survey:
    survey = survey_publish(survey=survey_or_404(request, survey_id))
    return survey_or_404(request, survey.pk)


@router.post("/{survey_id}/pause", response=SurveyOut, summary="Pause a survey")
def pause_survey(request: HttpRequest, survey_id: int) -> Survey:
    survey = survey_pause(survey=survey_or_404(request, survey_id))
    return survey_or_404(request, survey.pk)


@router.post("/{survey_id}/close", response=SurveyOut, summary="Close a survey")
def close_survey(request: HttpRequest, survey_id: int) -> Survey:
    survey = survey_close(survey=survey_or_404(request, survey_id))
    return survey_or_404(request, survey.pk)
