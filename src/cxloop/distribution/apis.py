import uuid
from datetime import datetime

from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from cxloop.common.languages import SURVEY_LANGUAGES
from cxloop.distribution.email_defaults import EMAIL_KINDS
from cxloop.distribution.selectors import ChosenEmailText, email_template_choose
from cxloop.distribution.services import (
    email_template_reset,
    email_template_set,
    invitations_queue,
)
from cxloop.surveys.apis import organization_of, survey_or_404
from cxloop.surveys.models import Survey

router = Router(tags=["distribution"])
surveys_router = Router(tags=["distribution"])
email_templates_router = Router(tags=["distribution"])


class InvitationsIn(Schema):
    channel: str = Field(description="email, sms or link")
    contacts: list[str] = Field(default_factory=list, description="external ids", max_length=10000)
    segment: dict[str, list[str]] | None = Field(
        default=None, description='contacts whose attributes match, e.g. {"store": ["A", "B"]}'
    )
    attributes: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str | None = Field(default=None, max_length=80)


class QueuedOut(Schema):
    invitation_id: int
    contact: str
    scheduled_at: str
    reason: str


class SkippedOut(Schema):
    contact: str
    reason: str


class InvitationsOut(Schema):
    batch: str
    queued: list[QueuedOut]
    skipped: list[SkippedOut]
    unknown: list[str]


@surveys_router.post(
    "/{survey_id}/invitations", response={202: InvitationsOut}, summary="Invite contacts"
)
def create_invitations(
    request: HttpRequest, survey_id: int, payload: InvitationsIn
) -> Status[dict[str, object]]:
    """Queue invitations to contacts (external ids) or a segment. Fatigue rules and opt-outs
    apply: skipped contacts come back with their reason (opted_out, recently_invited,
    yearly_limit, no_email, no_phone); quiet hours defer `scheduled_at`. The same
    `idempotency_key` twice invites nobody twice."""
    survey = survey_or_404(request, survey_id)
    batch = f"api:{payload.idempotency_key or uuid.uuid4().hex}"
    result = invitations_queue(
        survey=survey,
        channel=payload.channel,
        batch_key=batch,
        external_ids=payload.contacts,
        segment=payload.segment,
        attributes=payload.attributes,
    )

    def label(external_id: str, pk: int) -> str:
        return external_id or f"#{pk}"

    return Status(
        202,
        {
            "batch": batch,
            "queued": [
                {
                    "invitation_id": invitation.pk,
                    "contact": label(invitation.contact.external_id, invitation.contact_id),
                    "scheduled_at": invitation.scheduled_at.isoformat(),
                    "reason": invitation.reason,
                }
                for invitation in result.queued
            ],
            "skipped": [
                {"contact": label(contact.external_id, contact.pk), "reason": reason}
                for contact, reason in result.skipped
            ],
            "unknown": list(result.unknown),
        },
    )


# --- E-mail templates ----------------------------------------------------------------------


class EmailTemplateIn(Schema):
    subject: str = Field(
        max_length=1000, description="one line; placeholders such as {organization}"
    )
    body: str = Field(
        max_length=20000,
        description="plain text with placeholders: {contact_name}, {organization}, "
        "{survey_title}, {link}, {unsubscribe_link}, {expires_on}; {{ and }} for braces",
    )


class EmailTemplateOut(Schema):
    language: str
    kind: str
    survey: int | None
    subject: str
    body: str
    source: str = Field(description="survey, organization or built_in")
    updated_at: datetime | None


def _email_scope(
    request: HttpRequest, language: str, kind: str, survey_id: int | None
) -> Survey | None:
    if language not in SURVEY_LANGUAGES or kind not in EMAIL_KINDS:
        raise Http404
    if survey_id is None:
        return None
    survey = survey_or_404(request, survey_id)
    if language not in survey.languages:
        raise Http404
    return survey


def _email_out(chosen: ChosenEmailText, survey: Survey | None) -> dict[str, object]:
    return {
        "language": chosen.language,
        "kind": chosen.kind,
        "survey": survey.pk if survey is not None else None,
        "subject": chosen.subject,
        "body": chosen.body,
        "source": chosen.source,
        "updated_at": chosen.updated_at,
    }


@email_templates_router.get(
    "/{language}/{kind}", response=EmailTemplateOut, summary="Get the e-mail text in use"
)
def get_email_template(
    request: HttpRequest, language: str, kind: str, survey: int | None = None
) -> dict[str, object]:
    """The subject and body an `invitation` or `reminder` e-mail uses in `language`
    (zh-Hans, zh-Hant, en): with `survey`, that survey's own text, else the organization's,
    else the built-in text; `source` says which."""
    scope = _email_scope(request, language, kind, survey)
    chosen = email_template_choose(
        organization=organization_of(request), survey=scope, language=language, kind=kind
    )
    return _email_out(chosen, scope)


@email_templates_router.put(
    "/{language}/{kind}", response=EmailTemplateOut, summary="Set an e-mail text"
)
def put_email_template(
    request: HttpRequest,
    language: str,
    kind: str,
    payload: EmailTemplateIn,
    survey: int | None = None,
) -> dict[str, object]:
    """Save the organization's text (or, with `survey`, that survey's own). Unknown
    placeholders and unbalanced braces are refused with 422 naming `subject` or `body`."""
    scope = _email_scope(request, language, kind, survey)
    organization = organization_of(request)
    email_template_set(
        organization=organization,
        survey=scope,
        language=language,
        kind=kind,
        subject=payload.subject,
        body=payload.body,
    )
    chosen = email_template_choose(
        organization=organization, survey=scope, language=language, kind=kind
    )
    return _email_out(chosen, scope)


@email_templates_router.delete(
    "/{language}/{kind}", response={204: None}, summary="Reset an e-mail text"
)
def delete_email_template(
    request: HttpRequest, language: str, kind: str, survey: int | None = None
) -> Status[None]:
    """Back to the default: a survey's text falls back to the organization's, the
    organization's to the built-in one. Idempotent."""
    scope = _email_scope(request, language, kind, survey)
    email_template_reset(
        organization=organization_of(request), survey=scope, language=language, kind=kind
    )
    return Status(204, None)
