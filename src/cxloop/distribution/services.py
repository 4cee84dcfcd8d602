"""Writes of the distribution app: SMS configuration (``sms_…``) and invitations
(``invitation_…``)."""

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGES, current_survey_language
from cxloop.common.text import has_nul, is_attribute_name
from cxloop.contacts.models import Contact
from cxloop.distribution.fatigue import QUIET_HOURS, FatigueRules, fatigue_decision
from cxloop.distribution.models import (
    INVITATION_PROGRESS,
    ContactPolicy,
    Invitation,
    InvitationChannel,
    InvitationStatus,
    SmsConfiguration,
)
from cxloop.distribution.sms.base import (
    DEFAULT_TIMEOUT_SECONDS,
    SmsMessage,
    SmsPermanentError,
    SmsProvider,
    SmsReceipt,
)
from cxloop.distribution.sms.credentials import (
    CredentialsUnreadable,
    decrypt_credentials,
    encrypt_credentials,
)
from cxloop.distribution.sms.providers import (
    PROVIDERS,
    TWILIO,
    ProviderSettings,
    ProviderSpec,
    SettingField,
    Storage,
    provider_spec,
)
from cxloop.organizations.models import Organization
from cxloop.responses.models import Response, ResponseSource
from cxloop.responses.services import SurveyNotAcceptingResponses, response_submit
from cxloop.surveys.models import Survey, SurveyStatus

logger = logging.getLogger(__name__)

MAX_SECRET_LENGTH = 200


class SmsNotConfiguredError(SmsPermanentError):
    """The organization has no usable SMS configuration: nothing can be sent until it has."""


def _field_error(setting: SettingField, value: str, *, has_stored: bool) -> str | None:
    if not value:
        if setting.required and not has_stored:
            return _("Enter the %(field)s.") % {"field": setting.label}
        return None
    limit = MAX_SECRET_LENGTH if setting.storage == Storage.SECRET else setting.max_length
    if len(value) > limit:
        return _("Use at most %(limit)d characters.") % {"limit": limit}
    if has_nul(value):
        return _("The value contains a character that is not allowed.")
    if setting.pattern and not re.fullmatch(setting.pattern, value):
        return str(setting.pattern_message)
    return None


def _clean_templates(
    spec: ProviderSpec, templates: Mapping[str, str], errors: list[FieldError]
) -> dict[str, str]:
    if spec.template_pattern is None:
        return {}
    cleaned: dict[str, str] = {}
    errors_before = len(errors)
    for language in SURVEY_LANGUAGES:
        template = (templates.get(language) or "").strip()
        if not template:
            continue
        if not re.fullmatch(spec.template_pattern, template):
            errors.append(
                FieldError(
                    f"templates.{language}",
                    _("“%(template)s” is not a template id of %(provider)s.")
                    % {"template": template[:40], "provider": spec.label},
                )
            )
            continue
        cleaned[language] = template
    unknown = sorted(set(templates) - set(SURVEY_LANGUAGES))
    if unknown:
        errors.append(
            FieldError(
                "templates",
                _("Unknown language: %(languages)s.") % {"languages": ", ".join(unknown)},
            )
        )
    if not cleaned and len(errors) == errors_before:
        errors.append(
            FieldError("templates", _("Enter the approved template of at least one language."))
        )
    return cleaned


def _clean_endpoint(endpoint: str, errors: list[FieldError]) -> str:
    endpoint = endpoint.strip()
    if not endpoint:
        return ""
    if not settings.CXLOOP_SMS_ENDPOINT_OVERRIDE:
        # An endpoint chosen by an organization admin makes this server send requests to
        # any address it names; only a server operator may allow that (tests, gateways).
        errors.append(
            FieldError(
                "endpoint",
                _("Custom endpoints are disabled on this server; leave the field empty."),
            )
        )
        return ""
    try:
        URLValidator(schemes=["https", "http"])(endpoint)
    except ValidationError:
        errors.append(
            FieldError("endpoint", _("Enter a full http:// or https:// address, or leave empty."))
        )
    return endpoint


@transaction.atomic
def sms_configuration_set(
    *,
    organization: Organization,
    provider: str,
    values: Mapping[str, str],
    templates: Mapping[str, str] | None = None,
    endpoint: str = "",
    enabled: bool = True,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> SmsConfiguration:
    """Choose the organization's SMS provider and store its settings.

    ``values`` holds the provider's fields by key (see ``sms.providers``). A secret left
    empty keeps the stored one, as long as the provider stays the same: a new provider
    starts from no credentials.
    """
    spec = provider_spec(provider)
    if spec is None:
        raise InputError.single("provider", _("Choose one of the SMS providers."))
    configuration = (
        SmsConfiguration.objects.select_for_update().filter(organization=organization).first()
    )
    stored: dict[str, str] = {}
    if configuration is not None and configuration.provider == provider:
        try:
            stored = decrypt_credentials(configuration.encrypted_credentials)
        except CredentialsUnreadable:
            stored = {}  # unreadable secrets are as good as none: ask for them again

    errors: list[FieldError] = []
    credentials: dict[str, str] = {}
    options: dict[str, str] = {}
    sender = ""
    for setting in spec.fields:
        value = (values.get(setting.key) or "").strip()
        is_secret = setting.storage == Storage.SECRET
        if not is_secret:
            value = value or setting.default
        has_stored = is_secret and bool(stored.get(setting.key))
        message = _field_error(setting, value, has_stored=has_stored)
        if message:
            errors.append(FieldError(setting.key, message))
            continue
        if setting.storage == Storage.SECRET:
            credentials[setting.key] = value or stored.get(setting.key, "")
        elif setting.storage == Storage.CREDENTIAL:
            credentials[setting.key] = value
        elif setting.storage == Storage.OPTION:
            if value:
                options[setting.key] = value
        else:
            sender = value
    twilio_without_sender = (
        spec is TWILIO
        and not sender
        and not options.get("messaging_service_sid")
        and not any(error.field in {"sender", "messaging_service_sid"} for error in errors)
    )
    if twilio_without_sender:
        errors.append(FieldError("sender", _("Enter a From number or a Messaging Service SID.")))
    cleaned_templates = _clean_templates(spec, templates or {}, errors)
    cleaned_endpoint = _clean_endpoint(endpoint, errors)
    if errors:
        raise InputError(errors)

    if configuration is None:
        configuration = SmsConfiguration(organization=organization)
    configuration.provider = provider
    configuration.encrypted_credentials = encrypt_credentials(credentials)
    configuration.sender = sender
    configuration.options = options
    configuration.templates = cleaned_templates
    configuration.endpoint = cleaned_endpoint
    configuration.enabled = enabled
    configuration.updated_by = by if by is not None and by.is_authenticated else None  # type: ignore[assignment]
    configuration.save()
    return configuration


def sms_provider_for(
    *, organization: Organization, timeout: float = DEFAULT_TIMEOUT_SECONDS
) -> SmsProvider:
    """The organization's configured provider, ready to send.

    Raises SmsNotConfiguredError (a permanent error: retrying will not help) when SMS is
    not set up, switched off, or its credentials can no longer be read.
    """
    configuration = SmsConfiguration.objects.filter(organization=organization).first()
    if configuration is None:
        raise SmsNotConfiguredError(
            _("SMS is not set up for this organization."), code="not_configured"
        )
    if not configuration.enabled:
        raise SmsNotConfiguredError(
            _("SMS sending is switched off for this organization."), code="disabled"
        )
    try:
        credentials = decrypt_credentials(configuration.encrypted_credentials)
    except CredentialsUnreadable as error:
        raise SmsNotConfiguredError(
            _(
                "The stored SMS credentials cannot be read (the server's secret key changed): "
                "enter them again."
            ),
            code="credentials_unreadable",
        ) from error
    spec = PROVIDERS[configuration.provider]
    return spec.build(
        ProviderSettings(
            credentials=credentials,
            sender=configuration.sender,
            options={str(key): str(value) for key, value in configuration.options.items()},
            templates={str(key): str(value) for key, value in configuration.templates.items()},
            endpoint=configuration.endpoint,
            timeout=timeout,
        )
    )


def sms_normalize_phone(raw: str) -> str:
    """A phone number in E.164, or InputError on field ``to``."""
    text = raw.strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    not_valid = InputError.single(
        "to",
        _("Enter a valid mobile number in international format, e.g. +8613800138000."),
    )
    if not text.startswith("+") or has_nul(text) or len(text) > 32:
        raise not_valid
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        raise not_valid from error
    if not phonenumbers.is_valid_number(number):
        raise not_valid
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def sms_send_test(
    *,
    organization: Organization,
    to: str,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> SmsReceipt:
    """Send one test message through the organization's provider; SmsError if it fails."""
    number = sms_normalize_phone(to)
    provider = sms_provider_for(organization=organization)
    link = f"{settings.PUBLIC_URL}/"
    message = SmsMessage(
        to=number,
        text=_("Test message from cxloop for %(organization)s: %(link)s")
        % {"organization": organization.name, "link": link},
        template_params={"name": organization.name, "link": link},
        language=current_survey_language(),
    )
    logger.info(
        "SMS test message for organization %s via %s requested by user %s",
        organization.pk,
        provider.name,
        getattr(by, "pk", None),
    )
    return provider.send(message)


# --- Invitations ---------------------------------------------------------------------------

# Channels the send pipeline delivers; link and widget invitations reach people otherwise.
SENT_CHANNELS = (InvitationChannel.EMAIL, InvitationChannel.SMS)
SHORT_CODE_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SHORT_CODE_LENGTH = 8
INVITATION_LINK_SALT = "cxloop.invitation"


def contact_policy_rules(*, organization: Organization, survey: Survey) -> tuple[FatigueRules, int]:
    """The fatigue rules and link lifetime for a survey: its override, else the
    organization's default, else the product defaults."""
    policies = {
        p.survey_id: p
        for p in ContactPolicy.objects.filter(organization=organization).filter(
            Q(survey__isnull=True) | Q(survey=survey)
        )
    }
    policy = policies.get(survey.pk) or policies.get(None)
    if policy is None:
        return FatigueRules(), ContactPolicy._meta.get_field("link_valid_days").get_default()
    quiet = (policy.quiet_start, policy.quiet_end)
    return (
        FatigueRules(
            min_days_between=policy.min_days_between,
            max_per_year=max(policy.max_per_year, 1),
            quiet_start=quiet[0] if all(quiet) else None,
            quiet_end=quiet[1] if all(quiet) else None,
        ),
        policy.link_valid_days,
    )


def _new_short_code() -> str:
    while True:
        code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))
        if not Invitation.objects.filter(short_code=code).exists():
            return code


def invitation_token(invitation: Invitation) -> str:
    """The personal link's secret: an HMAC of the invitation id (nothing to store or leak)."""
    # An e-mail carries the link a dozen times (one per score): sign once per instance.
    cached: str | None = invitation.__dict__.get("_link_token")
    if cached is None:
        signed = signing.Signer(salt=INVITATION_LINK_SALT).sign(str(invitation.pk))
        cached = invitation.__dict__["_link_token"] = signed.replace(":", "-")
    return cached


def invitation_from_token(token: str) -> Invitation | None:
    try:
        value = signing.Signer(salt=INVITATION_LINK_SALT).unsign(token.replace("-", ":", 1))
    except signing.BadSignature:
        return None
    if not value.isdigit():
        return None
    return Invitation.objects.select_related("survey", "contact").filter(pk=int(value)).first()


def invitation_link(invitation: Invitation, *, score: int | None = None) -> str:
    link = f"{settings.PUBLIC_URL}/i/{invitation_token(invitation)}"
    return f"{link}?score={score}" if score is not None else link


def invitation_short_link(invitation: Invitation) -> str:
    return f"{settings.PUBLIC_URL}/r/{invitation.short_code}"


def invitation_create(
    *,
    survey: Survey,
    contact: Contact,
    channel: str,
    batch_key: str,
    attributes: Mapping[str, str] | None = None,
    now: datetime | None = None,
    send_at: datetime | None = None,
) -> tuple[Invitation, bool]:
    """Invite a contact, or record why not; return the invitation and whether it is new.

    The contact's row is locked while the fatigue rules are applied, so two concurrent
    batches cannot both decide the contact is free. The same (survey, contact, batch_key)
    returns the existing invitation: retried requests and restarted workers never invite
    twice.

    ``send_at`` delays the send (an event rule's "two hours after delivery"): the fatigue
    rules and quiet hours are applied at that moment, not at ``now``.
    """
    if channel not in InvitationChannel.values:
        raise InputError.single("channel", _("Use email, sms or link."))
    if contact.organization_id != survey.organization_id:
        raise InputError.single("contacts", _("This contact belongs to another organization."))
    now = now or timezone.now()
    if send_at is not None and send_at > now:
        now = send_at
    with transaction.atomic():
        locked = Contact.objects.select_for_update().get(pk=contact.pk)
        existing = Invitation.objects.filter(
            survey=survey, contact=locked, batch_key=batch_key
        ).first()
        if existing is not None:
            return existing, False
        rules, link_days = contact_policy_rules(organization=survey.organization, survey=survey)
        earlier = Invitation.objects.filter(contact=locked).exclude(status=InvitationStatus.SKIPPED)
        decision = fatigue_decision(
            now=now,
            contact_time_zone=ZoneInfo(locked.time_zone or survey.organization.time_zone),
            previous_invitations=list(earlier.values_list("scheduled_at", flat=True)),
            rules=rules,
            opted_out=channel != InvitationChannel.LINK and locked.opted_out(channel),
        )
        deferred = not decision.allowed and decision.reason == QUIET_HOURS
        status = (
            InvitationStatus.QUEUED if decision.allowed or deferred else InvitationStatus.SKIPPED
        )
        scheduled_at = decision.retry_at if deferred and decision.retry_at else now
        invitation = Invitation.objects.create(
            organization_id=survey.organization_id,
            survey=survey,
            contact=locked,
            channel=channel,
            status=status,
            reason=decision.reason or "",
            batch_key=batch_key,
            short_code=_new_short_code(),
            attributes={**locked.attributes, **(attributes or {})},
            scheduled_at=scheduled_at,
            expires_at=scheduled_at + timedelta(days=link_days),
        )
    return invitation, True


def invitation_progress(
    *, invitation: Invitation, status: str, now: datetime | None = None
) -> Invitation:
    """Move an invitation forward (sent → opened → started → completed), never back."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if INVITATION_PROGRESS.get(status, -1) <= INVITATION_PROGRESS.get(locked.status, -1):
            return locked
        locked.status = status
        stamp = f"{status}_at"
        fields = ["status"]
        if hasattr(locked, stamp) and getattr(locked, stamp) is None:
            setattr(locked, stamp, now)
            fields.append(stamp)
        locked.save(update_fields=fields)
        return locked


class InvitationUnavailable(Exception):
    """The personal link can't be used: `reason` is completed, expired or skipped."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def invitation_check_open(invitation: Invitation, *, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if invitation.status == InvitationStatus.COMPLETED or invitation.response_id is not None:
        raise InvitationUnavailable("completed")
    if invitation.status == InvitationStatus.SKIPPED:
        raise InvitationUnavailable("skipped")
    if invitation.expires_at <= now:
        raise InvitationUnavailable("expired")


def invitation_respond(
    *,
    invitation_id: int,
    answers: Mapping[str, Any],
    attributes: Mapping[str, str],
    language: str,
    idempotency_key: str,
) -> Response:
    """Store the response of a personal link, linked to its contact, exactly once."""
    with transaction.atomic():
        invitation = Invitation.objects.select_for_update().get(pk=invitation_id)
        if invitation.response_id is not None:
            raise InvitationUnavailable("completed")
        invitation_check_open(invitation)
        response, _created = response_submit(
            survey=invitation.survey,
            answers=answers,
            attributes={**invitation.attributes, **attributes},
            language=language,
            idempotency_key=idempotency_key,
            source=ResponseSource.WEB,
            contact_id=invitation.contact_id,
        )
        invitation.response = response
        invitation.status = InvitationStatus.COMPLETED
        invitation.completed_at = timezone.now()
        invitation.save(update_fields=["response", "status", "completed_at"])
    return response


@dataclass(frozen=True, slots=True)
class InvitationBatch:
    queued: tuple[Invitation, ...]
    skipped: tuple[tuple[Contact, str], ...]  # contact and reason
    unknown: tuple[str, ...]  # external ids with no contact in the organization


def invitations_queue(
    *,
    survey: Survey,
    channel: str,
    batch_key: str,
    external_ids: Sequence[str] = (),
    segment: Mapping[str, Sequence[str]] | None = None,
    attributes: Mapping[str, str] | None = None,
    now: datetime | None = None,
    send_at: datetime | None = None,
) -> InvitationBatch:
    """Invite contacts named by external id, or a segment (attribute → allowed values).

    Each contact goes through `invitation_create`, so fatigue rules and opt-outs apply and
    repeating the same batch changes nothing. Contacts without an address for the channel
    are skipped with the reason ``no_email`` / ``no_phone``.
    """
    if survey.status != SurveyStatus.ACTIVE:
        raise SurveyNotAcceptingResponses(survey.status)
    if channel not in InvitationChannel.values:
        raise InputError.single("channel", _("Use email, sms or link."))
    contacts = Contact.objects.filter(organization_id=survey.organization_id)
    unknown: tuple[str, ...] = ()
    if external_ids:
        wanted = list(dict.fromkeys(external_ids))
        contacts = contacts.filter(external_id__in=wanted)
        found = set(contacts.values_list("external_id", flat=True))
        unknown = tuple(e for e in wanted if e not in found)
    elif segment:
        for name, values in segment.items():
            if not is_attribute_name(name):
                raise InputError.single(f"segment.{name}", _("Unknown attribute name."))
            contacts = contacts.filter(**{f"attributes__{name}__in": list(values)})
    else:
        raise InputError.single("contacts", _("Name the contacts or a segment to invite."))
    queued: list[Invitation] = []
    skipped: list[tuple[Contact, str]] = []
    for contact in contacts.order_by("pk").iterator(chunk_size=500):
        if channel == InvitationChannel.EMAIL and not contact.email:
            skipped.append((contact, "no_email"))
            continue
        if channel == InvitationChannel.SMS and not contact.phone:
            skipped.append((contact, "no_phone"))
            continue
        invitation, _created = invitation_create(
            survey=survey,
            contact=contact,
            channel=channel,
            batch_key=batch_key,
            attributes=attributes,
            now=now,
            send_at=send_at,
        )
        if invitation.status == InvitationStatus.SKIPPED:
            skipped.append((contact, invitation.reason))
        else:
            queued.append(invitation)
    # Later ones are the scheduler's (cxloop scheduler, or the one inside cxloop worker).
    from cxloop.distribution.tasks import enqueue_sends_on_commit

    sending_now = timezone.now()
    enqueue_sends_on_commit(
        [i.pk for i in queued if i.channel in SENT_CHANNELS and i.scheduled_at <= sending_now]
    )
    return InvitationBatch(tuple(queued), tuple(skipped), unknown)
