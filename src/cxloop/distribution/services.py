"""Writes of the distribution app: SMS configuration (``sms_…``), invitations
(``invitation_…``), contact-frequency rules (``contact_policy_…``) and e-mail templates
(``email_template_…``)."""

import logging
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
from django.utils import timezone
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGES, current_survey_language
from cxloop.common.text import has_nul, is_attribute_name
from cxloop.contacts.models import Channel, Contact
from cxloop.distribution import email_cache, email_placeholders
from cxloop.distribution.email_defaults import (
    EMAIL_KINDS,
    MAX_BODY_LENGTH,
    MAX_SUBJECT_LENGTH,
)
from cxloop.distribution.fatigue import QUIET_HOURS, ContactRules, FatigueRules, fatigue_decision
from cxloop.distribution.models import (
    INVITATION_PROGRESS,
    ContactPolicy,
    EmailTemplate,
    Invitation,
    InvitationChannel,
    InvitationStatus,
    SmsConfiguration,
)
from cxloop.distribution.selectors import contact_policy_in_force
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
    policy = contact_policy_in_force(organization_id=organization.pk, survey_id=survey.pk)
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


def _channel_rules(rules: FatigueRules, channel: str) -> FatigueRules:
    # A widget asks a visitor who is on the site at that moment: nothing arrives at night,
    # so quiet hours do not apply; the gap and the yearly cap do.
    if channel == InvitationChannel.WIDGET:
        return replace(rules, quiet_start=None, quiet_end=None)
    return rules


def _opted_out(contact: Contact, channel: str) -> bool:
    if channel == InvitationChannel.LINK:
        return False
    if channel == InvitationChannel.WIDGET:
        # The website has no opt-out of its own: someone who asked to hear no more from us
        # by e-mail or SMS is not asked on the website either.
        return any(contact.opted_out(name) for name in Channel.values)
    return contact.opted_out(channel)


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
            rules=_channel_rules(rules, channel),
            opted_out=_opted_out(locked, channel),
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


# --- Contact-frequency rules ---------------------------------------------------------------

MAX_DAYS_BETWEEN = 3650
MAX_PER_YEAR_LIMIT = 365
MAX_LINK_VALID_DAYS = 365
MAX_REMINDERS = 3


def _check_range(errors: list[FieldError], field: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        errors.append(
            FieldError(
                field,
                _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
            )
        )


def _clean_contact_rules(rules: ContactRules) -> None:
    errors: list[FieldError] = []
    _check_range(errors, "min_days_between", rules.min_days_between, 0, MAX_DAYS_BETWEEN)
    _check_range(errors, "max_per_year", rules.max_per_year, 1, MAX_PER_YEAR_LIMIT)
    _check_range(errors, "link_valid_days", rules.link_valid_days, 1, MAX_LINK_VALID_DAYS)
    _check_range(errors, "reminder_after_days", rules.reminder_after_days, 1, 60)
    _check_range(errors, "max_reminders", rules.max_reminders, 0, MAX_REMINDERS)
    link_days_valid = 1 <= rules.link_valid_days <= MAX_LINK_VALID_DAYS
    if (
        link_days_valid
        and rules.max_reminders
        and rules.reminder_after_days >= rules.link_valid_days
    ):
        errors.append(
            FieldError(
                "reminder_after_days",
                _("Remind before the personal link expires (after %(days)d days).")
                % {"days": rules.link_valid_days},
            )
        )
    if (rules.quiet_start is None) != (rules.quiet_end is None):
        field = "quiet_end" if rules.quiet_end is None else "quiet_start"
        errors.append(FieldError(field, _("Give both the start and the end of quiet hours.")))
    elif rules.quiet_start is not None and rules.quiet_start == rules.quiet_end:
        errors.append(
            FieldError("quiet_end", _("Quiet hours must end at another time than they start."))
        )
    if errors:
        raise InputError(errors)


def contact_policy_set(
    *, organization: Organization, rules: ContactRules, survey: Survey | None = None
) -> ContactPolicy:
    """Set the organization's contact-frequency rules, or one survey's override of them.

    Invitations already created keep their schedule; the rules apply to the next ones.
    """
    _clean_contact_rules(rules)
    if survey is not None and survey.organization_id != organization.pk:
        raise InputError.single("survey", _("This survey belongs to another organization."))
    values = {
        "min_days_between": rules.min_days_between,
        "max_per_year": rules.max_per_year,
        "quiet_start": rules.quiet_start,
        "quiet_end": rules.quiet_end,
        "link_valid_days": rules.link_valid_days,
        "reminder_after_days": rules.reminder_after_days,
        "max_reminders": rules.max_reminders,
    }
    with transaction.atomic():
        if survey is None:
            # The conditional unique constraint (one default per organization) settles races.
            policy, _created = ContactPolicy.objects.select_for_update().update_or_create(
                organization=organization, survey=None, defaults=values
            )
        else:
            policy, _created = ContactPolicy.objects.select_for_update().update_or_create(
                survey=survey, defaults={**values, "organization": organization}
            )
    return policy


def contact_policy_remove_override(*, organization: Organization, survey: Survey) -> bool:
    """Let the survey follow the organization's rules again; whether there was an override."""
    deleted, _details = ContactPolicy.objects.filter(
        organization=organization, survey=survey
    ).delete()
    return deleted > 0


# --- E-mail templates ----------------------------------------------------------------------


def _placeholder_message(problem: email_placeholders.PlaceholderProblem) -> str:
    where = {"position": problem.position + 1}
    if problem.kind == email_placeholders.UNKNOWN:
        return _(
            "Unknown placeholder {%(name)s} at character %(position)d. Use one of: %(allowed)s."
        ) % {
            **where,
            "name": problem.name,
            "allowed": ", ".join(f"{{{name}}}" for name in email_placeholders.PLACEHOLDERS),
        }
    if problem.kind == email_placeholders.EMPTY:
        return (
            _(
                "Empty braces {} at character %(position)d: "
                "put a placeholder name inside, e.g. {link}."
            )
            % where
        )
    if problem.kind == email_placeholders.UNCLOSED:
        return (
            _(
                "The “{” at character %(position)d is not closed by “}”. "
                "To write a brace itself, type it twice: {{."
            )
            % where
        )
    return (
        _(
            "The “}” at character %(position)d has no opening “{”. "
            "To write a brace itself, type it twice: }}."
        )
        % where
    )


def email_template_errors(*, subject: str, body: str) -> list[FieldError]:
    """What is wrong with a subject and body, by field; empty when they can be saved."""
    errors: list[FieldError] = []
    for field, text, limit in (
        ("subject", subject, MAX_SUBJECT_LENGTH),
        ("body", body, MAX_BODY_LENGTH),
    ):
        if not text.strip():
            errors.append(FieldError(field, _("This field is required.")))
            continue
        if len(text) > limit:
            errors.append(
                FieldError(field, _("Use at most %(limit)d characters.") % {"limit": limit})
            )
            continue
        if has_nul(text):
            errors.append(
                FieldError(field, _("The value contains a character that is not allowed."))
            )
            continue
        errors.extend(
            FieldError(field, _placeholder_message(problem))
            for problem in email_placeholders.problems_of(text)
        )
    if subject and any(char in subject for char in "\r\n"):
        # A line break in a subject would let the text add mail headers.
        errors.append(FieldError("subject", _("The subject must fit on one line.")))
    return errors


def _check_scope(
    *, organization: Organization, survey: Survey | None, language: str, kind: str
) -> None:
    errors: list[FieldError] = []
    if kind not in EMAIL_KINDS:
        errors.append(FieldError("kind", _("Choose invitation or reminder.")))
    if survey is not None and survey.organization_id != organization.pk:
        # Callers look surveys up within the organization; this is the last line of defence.
        errors.append(FieldError("survey", _("This survey belongs to another organization.")))
    elif language not in SURVEY_LANGUAGES:
        errors.append(
            FieldError(
                "language",
                _("Unknown language: %(languages)s.") % {"languages": language[:16]},
            )
        )
    elif survey is not None and language not in survey.languages:
        errors.append(FieldError("language", _("The survey is not offered in this language.")))
    if errors:
        raise InputError(errors)


def _forget_cached_email_parts() -> None:
    # Now for this process, and again once committed so a render that read the old row
    # in between does not keep it.
    email_cache.survey_email_parts.clear()
    transaction.on_commit(email_cache.survey_email_parts.clear)


def email_template_set(
    *,
    organization: Organization,
    language: str,
    kind: str,
    subject: str,
    body: str,
    survey: Survey | None = None,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> EmailTemplate:
    """Save the organization's (or, with ``survey``, that survey's) e-mail text.

    Raises InputError naming ``subject`` / ``body`` (unknown placeholders, unbalanced
    braces, too long, empty), ``language``, ``kind`` or ``survey``.
    """
    _check_scope(organization=organization, survey=survey, language=language, kind=kind)
    subject = subject.strip()
    body = body.strip().replace("\r\n", "\n")
    errors = email_template_errors(subject=subject, body=body)
    if errors:
        raise InputError(errors)
    _forget_cached_email_parts()
    template, _created = EmailTemplate.objects.update_or_create(
        organization=organization,
        survey=survey,
        language=language,
        kind=kind,
        defaults={
            "subject": subject,
            "body": body,
            "updated_by": by if by is not None and by.is_authenticated else None,
        },
    )
    return template


def email_template_reset(
    *, organization: Organization, language: str, kind: str, survey: Survey | None = None
) -> bool:
    """Go back to the built-in text (organization) or the organization's text (survey);
    whether there was anything to remove."""
    _check_scope(organization=organization, survey=survey, language=language, kind=kind)
    _forget_cached_email_parts()
    deleted, _rows = EmailTemplate.objects.filter(
        organization=organization, survey=survey, language=language, kind=kind
    ).delete()
    return deleted > 0
