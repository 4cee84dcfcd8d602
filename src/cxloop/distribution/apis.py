import uuid

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from cxloop.distribution.services import invitations_queue
from cxloop.surveys.apis import survey_or_404

router = Router(tags=["distribution"])
surveys_router = Router(tags=["distribution"])


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
