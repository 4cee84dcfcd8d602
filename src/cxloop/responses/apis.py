from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from cxloop.responses.filters import parse_response_filters
from cxloop.responses.models import Response
from cxloop.responses.selectors import response_list
from cxloop.responses.services import response_submit
from cxloop.surveys.apis import organization_of, survey_or_404

router = Router(tags=["responses"])


class ResponseIn(Schema):
    answers: dict[str, Any]
    attributes: dict[str, Any] = Field(default_factory=dict)
    submitted_at: datetime | None = None
    language: str | None = None
    idempotency_key: str | None = Field(default=None, max_length=100)


class ResponseOut(Schema):
    id: int
    survey_id: int
    submitted_at: datetime
    language: str
    source: str
    answers: dict[str, Any]
    attributes: dict[str, Any]
    nps_score: int | None
    csat_score: int | None
    ces_score: int | None
    comment: str


@router.post(
    "/{survey_id}/responses",
    response={201: ResponseOut, 200: ResponseOut},
    summary="Submit a response",
)
def submit_response(request: HttpRequest, survey_id: int, payload: ResponseIn) -> Status[Response]:
    """201 when stored; 200 with the first response when the idempotency key was seen before."""
    survey = survey_or_404(request, survey_id)
    stored, created = response_submit(
        survey=survey,
        answers=payload.answers,
        attributes=payload.attributes,
        language=payload.language,
        submitted_at=payload.submitted_at,
        idempotency_key=payload.idempotency_key,
    )
    return Status(201 if created else 200, stored)


@router.get(
    "/{survey_id}/responses",
    response=list[ResponseOut],
    summary="List responses (newest first)",
)
@paginate(LimitOffsetPagination)
def list_responses(request: HttpRequest, survey_id: int) -> QuerySet[Response]:
    """Filters: `from`, `to` (dates, organization time zone, inclusive), `category`
    (promoter|passive|detractor), `attr.<name>=<value>` (repeatable), `has_comment`, `lang`."""
    survey = survey_or_404(request, survey_id)
    filters = parse_response_filters(dict(request.GET.lists()))
    return response_list(organization=organization_of(request), survey=survey, filters=filters)
