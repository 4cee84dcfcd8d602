from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.analytics.rollups import rollup_record
from cxloop.common.errors import FieldError, InputError
from cxloop.common.text import EARLIEST_DATE, is_attribute_name
from cxloop.organizations.models import Organization
from cxloop.responses.answers import clean_answers, headline_scores
from cxloop.responses.models import Response, ResponseSource
from cxloop.surveys.definitions import SurveyDefinition
from cxloop.surveys.models import Survey, SurveyStatus
from cxloop.surveys.selectors import survey_definition

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_VALUE_LENGTH = 200
# Clocks drift; a response "from the future" beyond this is a client bug, not a clock skew.
FUTURE_TOLERANCE = timedelta(minutes=5)


class SurveyNotAcceptingResponses(Exception):
    def __init__(self, status: str) -> None:
        self.status = status
        super().__init__(f"survey is {status}")


def clean_attributes(raw: Mapping[str, Any]) -> dict[str, str]:
    """Attributes are flat text: store=上海南京西路店, channel=sms, order_id=o-9."""
    errors: list[FieldError] = []
    cleaned: dict[str, str] = {}
    if len(raw) > MAX_ATTRIBUTES:
        raise InputError.single(
            "attributes", _("At most %(n)d attributes.") % {"n": MAX_ATTRIBUTES}
        )
    for key, value in raw.items():
        if not is_attribute_name(key):
            errors.append(
                FieldError(
                    f"attributes.{key}",
                    _(
                        "Attribute names are 1–50 letters, digits, '_', '-' or '.', "
                        "starting with a letter."
                    ),
                )
            )
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            errors.append(FieldError(f"attributes.{key}", _("Expected a text or number value.")))
            continue
        text = str(value).strip()
        if len(text) > MAX_ATTRIBUTE_VALUE_LENGTH:
            errors.append(
                FieldError(
                    f"attributes.{key}",
                    _("At most %(n)d characters.") % {"n": MAX_ATTRIBUTE_VALUE_LENGTH},
                )
            )
            continue
        if text:
            cleaned[key] = text
    if errors:
        raise InputError(errors)
    return cleaned


def _existing(survey: Survey, idempotency_key: str) -> Response | None:
    return Response.objects.filter(survey=survey, idempotency_key=idempotency_key).first()


def response_build(
    *,
    survey: Survey,
    definition: SurveyDefinition,
    answers: Mapping[str, Any],
    attributes: Mapping[str, Any] | None = None,
    language: str | None = None,
    submitted_at: datetime | None = None,
    idempotency_key: str | None = None,
    source: str = ResponseSource.API,
    now: datetime | None = None,
) -> Response:
    """A validated, unsaved response: the one place answers become a stored row.

    Raises InputError naming every field at fault. Bulk loaders call this too, so every
    response in the database went through the same rules and headline-score extraction.
    """
    errors: list[FieldError] = []
    if language is None:
        language = survey.default_language
    elif language not in survey.languages:
        errors.append(FieldError("language", _("This survey is not offered in that language.")))
    now = now or timezone.now()
    if submitted_at is None:
        submitted_at = now
    elif timezone.is_naive(submitted_at):
        errors.append(FieldError("submitted_at", _("Give a time zone offset, e.g. +08:00.")))
    elif submitted_at > now + FUTURE_TOLERANCE:
        errors.append(FieldError("submitted_at", _("This time is in the future.")))
    elif submitted_at.date() < EARLIEST_DATE:
        errors.append(FieldError("submitted_at", _("This time is before 1970.")))
    if idempotency_key is not None and not 1 <= len(idempotency_key) <= 100:
        errors.append(FieldError("idempotency_key", _("Use 1 to 100 characters.")))
    cleaned_attributes: dict[str, str] = {}
    cleaned_answers: dict[str, Any] = {}
    try:
        cleaned_attributes = clean_attributes(attributes or {})
    except InputError as error:
        errors.extend(error.errors)
    try:
        cleaned_answers = clean_answers(definition.questions, answers)
    except InputError as error:
        errors.extend(error.errors)
    if errors:
        raise InputError(errors)
    scores = headline_scores(definition.questions, cleaned_answers)
    return Response(
        organization_id=survey.organization_id,
        survey=survey,
        submitted_at=submitted_at,
        language=language,
        source=source,
        answers=cleaned_answers,
        attributes=cleaned_attributes,
        nps_score=scores.nps,
        csat_score=scores.csat,
        ces_score=scores.ces,
        comment=scores.comment,
        idempotency_key=idempotency_key or None,
    )


def response_submit(
    *,
    survey: Survey,
    answers: Mapping[str, Any],
    attributes: Mapping[str, Any] | None = None,
    language: str | None = None,
    submitted_at: datetime | None = None,
    idempotency_key: str | None = None,
    source: str = ResponseSource.API,
    contact_id: int | None = None,
) -> tuple[Response, bool]:
    """Store a response; return it and whether it is new.

    The same idempotency key twice returns the first response unchanged (double clicks,
    network retries), enforced by a unique constraint so concurrent retries also store one.
    The survey row is locked while the response is validated and stored, so a concurrent
    pause or edit of its questions cannot slip in between.
    """
    if idempotency_key:
        existing = _existing(survey, idempotency_key)
        if existing is not None:
            return existing, False
    if survey.status != SurveyStatus.ACTIVE:
        raise SurveyNotAcceptingResponses(survey.status)
    try:
        with transaction.atomic():
            locked = (
                Survey.objects.select_for_update(of=("self",))
                .select_related("organization")
                .get(pk=survey.pk)
            )
            if locked.status != SurveyStatus.ACTIVE:
                raise SurveyNotAcceptingResponses(locked.status)
            definition = survey_definition(locked)
            response = response_build(
                survey=locked,
                definition=definition,
                answers=answers,
                attributes=attributes,
                language=language,
                submitted_at=submitted_at,
                idempotency_key=idempotency_key,
                source=source,
            )
            response.contact_id = contact_id
            response.save()
            rollup_record(
                response=response,
                organization=locked.organization,
                nps_plus_question_keys=_nps_plus_keys(definition),
            )
    except IntegrityError:
        # A concurrent request with the same key won the race: answer with its response.
        if idempotency_key and (existing := _existing(survey, idempotency_key)) is not None:
            return existing, False
        raise
    return response, True


def _nps_plus_keys(definition: SurveyDefinition) -> list[str]:
    return [question.key for question in definition.questions if question.type == "nps_plus"]


def response_delete(*, organization: Organization, response_id: int) -> bool:
    """Erase a response (e.g. a customer's right to erasure); its counts leave the rollups.

    Returns False when no such response exists in the organization (already erased).
    """
    with transaction.atomic():
        response = (
            Response.objects.select_for_update()
            .filter(organization=organization, pk=response_id)
            .first()
        )
        if response is None:
            return False
        definition = survey_definition(Survey.objects.get(pk=response.survey_id))
        rollup_record(
            response=response,
            organization=organization,
            nps_plus_question_keys=_nps_plus_keys(definition),
            sign=-1,
        )
        response.delete()
    return True
