import uuid

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from pydantic import model_validator

from cxloop.common.errors import InputError
from cxloop.distribution.sending import BounceReport, invitation_bounces_record
from cxloop.distribution.services import invitations_queue
from cxloop.surveys.apis import organization_of, survey_or_404

router = Router(tags=["distribution"])
surveys_router = Router(tags=["distribution"])
invitations_router = Router(tags=["distribution"])


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


MAX_BOUNCES = 1000


class BounceIn(Schema):
    message_id: str | None = Field(default=None, max_length=300, description="the Message-ID")
    invitation_id: int | None = Field(default=None, ge=1)
    reason: str = Field(max_length=1000, description="what the mail server said")
    permanent: bool = Field(description="a hard bounce (5xx): the address is undeliverable")

    @model_validator(mode="after")
    def names_the_message(self) -> "BounceIn":
        if not self.message_id and self.invitation_id is None:
            raise ValueError(_("Give the message_id or the invitation_id."))
        return self


class BouncesOut(Schema):
    failed: list[int]
    noted: list[int]
    unknown: list[str]


@invitations_router.post("/bounces", response=BouncesOut, summary="Report bounces")
def report_bounces(request: HttpRequest, payload: list[BounceIn]) -> dict[str, object]:
    """Bounces and failures a mail server reported after accepting the message, each by
    its `message_id` (as sent) or `invitation_id`. A permanent bounce fails the invitation
    with the reason and stops e-mail to that address until it changes; a temporary one is
    only noted. Unknown references (and other organizations' invitations) come back in
    `unknown`. At most 1,000 per request."""
    if len(payload) > MAX_BOUNCES:
        raise InputError.single(
            "payload", _("Send at most %(limit)d bounces per request.") % {"limit": MAX_BOUNCES}
        )
    outcome = invitation_bounces_record(
        organization=organization_of(request),
        bounces=[
            BounceReport(
                reference=item.message_id or str(item.invitation_id),
                reason=item.reason,
                permanent=item.permanent,
                message_id=item.message_id or "",
                invitation_id=item.invitation_id,
            )
            for item in payload
        ],
        now=timezone.now(),
    )
    return {
        "failed": list(outcome.failed),
        "noted": list(outcome.noted),
        "unknown": list(outcome.unknown),
    }
