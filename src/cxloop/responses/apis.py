from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from cxloop.responses.exports import export_filename, export_response
from cxloop.responses.filters import parse_response_filters
from cxloop.responses.models import Response
from cxloop.responses.selectors import response_list
from cxloop.responses.services import response_submit
from cxloop.surveys.apis import organization_of, survey_or_404
from cxloop.surveys.selectors import survey_definition

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


@router.get(
    "/{survey_id}/responses/export",
    summary="Export responses as a CSV or XLSX file",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file (CSV: UTF-8 with a BOM; XLSX: one sheet).",
                "content": {
                    "text/csv": {"schema": {"type": "string"}},
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                        "schema": {"type": "string", "format": "binary"}
                    },
                },
            }
        }
    },
)
def export_responses(
    request: HttpRequest,
    survey_id: int,
    fmt: Literal["csv", "xlsx"] = Query("csv", alias="format"),
) -> StreamingHttpResponse | FileResponse:
    """Every response matching the filters (same as the list: `from`, `to`, `category`,
    `attr.<name>`, `has_comment`, `lang`), newest first, one row each. Columns: id,
    submitted_at (organization time zone, ISO 8601), survey, language, source, nps_score,
    nps_category, csat_score, ces_score, comment, one per question (`<key>.score`,
    `<key>.reasons`, `<key>.comment` for NPS+; option texts in the survey's default
    language), one per attribute (`attr.<name>`). Text cells starting with = + - @, a tab
    or a carriage return are prefixed with `'` so that spreadsheets do not run them."""
    survey = survey_or_404(request, survey_id)
    organization = organization_of(request)
    filters = parse_response_filters(dict(request.GET.lists()))
    time_zone = ZoneInfo(organization.time_zone)
    return export_response(
        responses=response_list(organization=organization, survey=survey, filters=filters),
        definition=survey_definition(survey),
        fmt=fmt,
        time_zone=time_zone,
        filename=export_filename(
            name=survey.name,
            fallback=f"survey-{survey.pk}",
            fmt=fmt,
            today=timezone.localdate(timezone=time_zone),
        ),
    )
