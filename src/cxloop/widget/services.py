"""Writes of the website widget: its settings, the "may I ask this visitor?" decision, answers."""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.text import is_attribute_name
from cxloop.contacts.selectors import contact_get_by_external_id
from cxloop.contacts.services import contact_upsert
from cxloop.distribution.models import Invitation, InvitationChannel, InvitationStatus
from cxloop.distribution.services import (
    invitation_create,
    invitation_progress,
    invitation_respond,
)
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response, ResponseSource
from cxloop.responses.services import MAX_ATTRIBUTE_VALUE_LENGTH, response_submit
from cxloop.surveys.models import Survey, SurveyStatus
from cxloop.widget.models import WidgetConfig
from cxloop.widget.validation import clean_widget_settings

INVITATION_SALT = "cxloop.widget-invitation"
MAX_VISITOR_ATTRIBUTES = 20
MAX_USER_ID_LENGTH = 100
# Attributes the widget sets itself; a visitor attribute of the same name is ignored.
RESERVED_ATTRIBUTES = frozenset({"page_url", "origin"})

# Why a visitor is not asked. Fatigue reasons (opted_out, recently_invited, yearly_limit)
# come from distribution.fatigue.
DISABLED = "disabled"
SURVEY_NOT_ACTIVE = "survey_not_active"
ALREADY_ASKED = "already_asked"


def _new_public_key() -> str:
    return secrets.token_urlsafe(18)


def widget_config_save(
    *,
    organization: Organization,
    survey: Survey,
    values: Mapping[str, Any],
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> WidgetConfig:
    """Create or change the survey's widget; its public key stays the same once made."""
    if survey.organization_id != organization.pk:
        raise InputError.single("survey", _("This survey belongs to another organization."))
    cleaned = clean_widget_settings(values)
    fields: dict[str, Any] = {
        "enabled": cleaned.enabled,
        "allowed_origins": list(cleaned.allowed_origins),
        "display": cleaned.display,
        "position": cleaned.position,
        "url_match": cleaned.url_match,
        "url_patterns": list(cleaned.url_patterns),
        "delay_seconds": cleaned.delay_seconds,
        "scroll_percent": cleaned.scroll_percent,
        "exit_intent": cleaned.exit_intent,
        "event_name": cleaned.event_name,
        "anonymous_frequency_days": cleaned.anonymous_frequency_days,
        "updated_by": by if isinstance(by, AbstractBaseUser) else None,
    }
    widget, _created = WidgetConfig.objects.update_or_create(
        survey=survey,
        defaults=fields,
        create_defaults={**fields, "organization": organization, "public_key": _new_public_key()},
    )
    return widget


@dataclass(frozen=True, slots=True)
class Visitor:
    """A visitor the customer's site identified with cxloop('identify', …)."""

    user_id: str
    attributes: Mapping[str, str] = field(default_factory=dict)


def clean_visitor(raw: Any) -> Visitor | None:
    """None for an anonymous visitor; InputError when the identification is malformed."""
    if raw is None or raw == {}:
        return None
    if not isinstance(raw, Mapping):
        raise InputError.single("visitor", _("Expected an object with userId and attributes."))
    user_id = raw.get("userId")
    if user_id is None or user_id == "":
        return None
    if isinstance(user_id, int) and not isinstance(user_id, bool):
        user_id = str(user_id)
    if not isinstance(user_id, str) or not 1 <= len(user_id.strip()) <= MAX_USER_ID_LENGTH:
        raise InputError.single(
            "visitor.userId", _("Use 1 to %(n)d characters.") % {"n": MAX_USER_ID_LENGTH}
        )
    attributes_raw = raw.get("attributes") or {}
    if not isinstance(attributes_raw, Mapping):
        raise InputError.single("visitor.attributes", _("Expected an object of attributes."))
    if len(attributes_raw) > MAX_VISITOR_ATTRIBUTES:
        raise InputError.single(
            "visitor.attributes", _("At most %(n)d attributes.") % {"n": MAX_VISITOR_ATTRIBUTES}
        )
    errors: list[FieldError] = []
    attributes: dict[str, str] = {}
    for name, value in attributes_raw.items():
        path = f"visitor.attributes.{str(name)[:50]}"
        if not is_attribute_name(name):
            errors.append(FieldError(path, _("Not a valid attribute name.")))
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            errors.append(FieldError(path, _("Expected a text or number value.")))
            continue
        text = str(value).strip()
        if len(text) > MAX_ATTRIBUTE_VALUE_LENGTH:
            errors.append(
                FieldError(path, _("At most %(n)d characters.") % {"n": MAX_ATTRIBUTE_VALUE_LENGTH})
            )
            continue
        if text and name not in RESERVED_ATTRIBUTES:
            attributes[name] = text
    if errors:
        raise InputError(errors)
    return Visitor(user_id=user_id.strip(), attributes=attributes)


@dataclass(frozen=True, slots=True)
class Eligibility:
    show: bool
    reason: str = ""
    invitation: Invitation | None = None


def invitation_ticket(invitation: Invitation) -> str:
    """What the browser carries from "show" to "answer", so the answer joins the invitation."""
    return signing.Signer(salt=INVITATION_SALT).sign(str(invitation.pk))


def _invitation_from_ticket(widget: WidgetConfig, ticket: str) -> Invitation:
    try:
        value = signing.Signer(salt=INVITATION_SALT).unsign(ticket)
    except signing.BadSignature:
        value = ""
    invitation = (
        Invitation.objects.filter(
            pk=int(value), survey_id=widget.survey_id, channel=InvitationChannel.WIDGET
        ).first()
        if value.isdigit()
        else None
    )
    if invitation is None:
        raise InputError.single("invitation", _("This invitation is not valid."))
    return invitation


def widget_eligibility(
    *, widget: WidgetConfig, visitor: Visitor | None, now: datetime | None = None
) -> Eligibility:
    """May the widget ask this visitor now?

    Anonymous visitors are only limited in their browser. An identified visitor becomes
    (or updates) the contact with that external id, and the decision goes through
    ``invitation_create`` on the widget channel: the organization's contact-frequency rules
    and opt-outs apply, and the shown or skipped invitation is recorded and counts toward
    the next decision. One invitation per widget, contact and day in the organization's
    time zone, so reloading a page does not ask again.
    """
    if not widget.enabled:
        return Eligibility(False, DISABLED)
    survey = widget.survey
    if survey.status != SurveyStatus.ACTIVE:
        return Eligibility(False, SURVEY_NOT_ACTIVE)
    if visitor is None:
        return Eligibility(True)
    now = now or timezone.now()
    organization = widget.organization
    contact, _created = contact_upsert(
        organization=organization,
        data={"external_id": visitor.user_id, "attributes": dict(visitor.attributes)},
    )
    day = now.astimezone(ZoneInfo(organization.time_zone)).date().isoformat()
    with transaction.atomic():
        invitation, created = invitation_create(
            survey=survey,
            contact=contact,
            channel=InvitationChannel.WIDGET,
            batch_key=f"widget:{widget.pk}:{day}",
            now=now,
        )
        if invitation.status == InvitationStatus.SKIPPED:
            return Eligibility(False, invitation.reason, invitation)
        if not created:
            return Eligibility(False, ALREADY_ASKED, invitation)
        invitation = invitation_progress(
            invitation=invitation, status=InvitationStatus.SENT, now=now
        )
    return Eligibility(True, "", invitation)


class WidgetClosed(Exception):
    """The widget is switched off: it takes no answers."""


def widget_response_submit(
    *,
    widget: WidgetConfig,
    answers: Mapping[str, Any],
    language: str | None,
    page_url: str,
    origin: str,
    visitor: Visitor | None,
    ticket: str | None,
    idempotency_key: str,
) -> tuple[Response, bool]:
    """Store a visitor's answers with the page and the visitor's attributes.

    The page URL and origin become the attributes ``page_url`` and ``origin``. With the
    ticket of a "show" decision the response joins that invitation (and its contact);
    an identified visitor without one is still linked to their contact. The client's
    idempotency key makes a retried post store one response.
    """
    if not widget.enabled:
        raise WidgetClosed
    survey = widget.survey
    key = f"widget:{widget.pk}:{idempotency_key}"
    existing = Response.objects.filter(survey=survey, idempotency_key=key).first()
    if existing is not None:
        return existing, False
    attributes: dict[str, Any] = dict(visitor.attributes) if visitor else {}
    attributes["origin"] = origin
    if page_url:
        attributes["page_url"] = page_url[:MAX_ATTRIBUTE_VALUE_LENGTH]
    if ticket:
        invitation = _invitation_from_ticket(widget, ticket)
        response = invitation_respond(
            invitation_id=invitation.pk,
            answers=answers,
            attributes=attributes,
            language=language or survey.default_language,
            idempotency_key=key,
        )
        return response, True
    contact = (
        contact_get_by_external_id(organization=widget.organization, external_id=visitor.user_id)
        if visitor
        else None
    )
    return response_submit(
        survey=survey,
        answers=answers,
        attributes=attributes,
        language=language,
        idempotency_key=key,
        source=ResponseSource.WEB,
        contact_id=contact.pk if contact else None,
    )
