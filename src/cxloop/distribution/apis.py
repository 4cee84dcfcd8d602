import uuid
from dataclasses import asdict
from datetime import datetime, time
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate
from pydantic import model_validator

from cxloop.common.errors import InputError
from cxloop.common.languages import SURVEY_LANGUAGES
from cxloop.distribution.email_defaults import EMAIL_KINDS
from cxloop.distribution.fatigue import ContactRules
from cxloop.distribution.models import Invitation
from cxloop.distribution.selectors import (
    ChosenEmailText,
    contact_rules_overview,
    email_template_choose,
    invitation_filters,
    survey_contact_rules,
    survey_invitations,
)
from cxloop.distribution.sending import BounceReport, invitation_bounces_record
from cxloop.distribution.services import (
    contact_policy_remove_override,
    contact_policy_set,
    email_template_reset,
    email_template_set,
    invitations_queue,
)
from cxloop.surveys.apis import organization_of, survey_or_404
from cxloop.surveys.models import Survey

router = Router(tags=["distribution"])
surveys_router = Router(tags=["distribution"])
email_templates_router = Router(tags=["distribution"])
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


class ContactRulesIO(Schema):
    min_days_between: int = Field(description="days between two invitations to one contact")
    max_per_year: int = Field(description="invitations to one contact in any 365 days, at most")
    quiet_start: time | None = Field(default=None, description='e.g. "21:00"; null for none')
    quiet_end: time | None = Field(default=None, description='e.g. "09:00"; null for none')
    link_valid_days: int = Field(description="how long a personal link stays valid")
    reminder_after_days: int = Field(
        default=3, description="e-mail reminder to non-responders after this many days"
    )
    max_reminders: int = Field(default=1, description="reminders per invitation; 0 for none")

    @classmethod
    def of(cls, rules: ContactRules) -> "ContactRulesIO":
        return cls(**asdict(rules))

    def rules(self) -> ContactRules:
        return ContactRules(**self.model_dump())


class SurveyContactRulesOut(ContactRulesIO):
    survey_id: int
    survey_name: str


class ContactPolicyOut(Schema):
    organization: ContactRulesIO
    organization_is_default: bool = Field(description="true while cxloop's defaults apply")
    surveys: list[SurveyContactRulesOut] = Field(description="surveys with their own rules")


@router.get("/contact-policy", response=ContactPolicyOut, summary="Contact-frequency rules")
def get_contact_policy(request: HttpRequest) -> dict[str, Any]:
    overview = contact_rules_overview(organization=organization_of(request))
    return {
        "organization": ContactRulesIO.of(overview.default),
        "organization_is_default": not overview.default_is_stored,
        "surveys": [
            SurveyContactRulesOut(
                survey_id=o.survey_id, survey_name=o.survey_name, **asdict(o.rules)
            )
            for o in overview.overrides
        ],
    }


@router.put("/contact-policy", response=ContactRulesIO, summary="Set the organization's rules")
def put_contact_policy(request: HttpRequest, payload: ContactRulesIO) -> ContactRulesIO:
    """Rules for every survey without its own: the gap between invitations, the yearly cap,
    quiet hours (in each contact's time zone) and how long personal links stay valid."""
    contact_policy_set(organization=organization_of(request), rules=payload.rules())
    return payload


@surveys_router.get(
    "/{survey_id}/contact-policy",
    response={200: ContactRulesIO},
    summary="A survey's contact-frequency rules (its own, else the organization's)",
)
def get_survey_contact_policy(request: HttpRequest, survey_id: int) -> ContactRulesIO:
    survey = survey_or_404(request, survey_id)
    own = survey_contact_rules(organization=survey.organization, survey_id=survey.pk)
    if own is None:
        own = contact_rules_overview(organization=survey.organization).default
    return ContactRulesIO.of(own)


@surveys_router.put(
    "/{survey_id}/contact-policy", response=ContactRulesIO, summary="Give a survey its own rules"
)
def put_survey_contact_policy(
    request: HttpRequest, survey_id: int, payload: ContactRulesIO
) -> ContactRulesIO:
    survey = survey_or_404(request, survey_id)
    contact_policy_set(organization=survey.organization, rules=payload.rules(), survey=survey)
    return payload


@surveys_router.delete(
    "/{survey_id}/contact-policy",
    response={204: None},
    summary="Let a survey follow the organization's rules again",
)
def delete_survey_contact_policy(request: HttpRequest, survey_id: int) -> Status[None]:
    survey = survey_or_404(request, survey_id)
    contact_policy_remove_override(organization=survey.organization, survey=survey)
    return Status(204, None)


class InvitationOut(Schema):
    id: int
    contact: str = Field(description="the contact's external id, else #<id>")
    channel: str
    status: str
    reason: str = Field(description="why it was skipped or deferred")
    failure: str
    scheduled_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    opened_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime
    response_id: int | None

    @staticmethod
    def resolve_contact(invitation: Invitation) -> str:
        return invitation.contact.external_id or f"#{invitation.contact_id}"


@surveys_router.get(
    "/{survey_id}/invitations",
    response=list[InvitationOut],
    summary="A survey's invitations and where each one is (newest first)",
)
@paginate(LimitOffsetPagination)
def list_invitations(request: HttpRequest, survey_id: int) -> QuerySet[Invitation]:
    """Filters: `status` (queued, skipped, sent, delivered, failed, opened, started,
    completed), `channel` (email, sms, link, widget), `reason` (e.g. recently_invited)."""
    survey = survey_or_404(request, survey_id)
    filters = invitation_filters(request.GET)
    return survey_invitations(organization=survey.organization, survey=survey, filters=filters)


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
