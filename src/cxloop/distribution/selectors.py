"""Reads of the distribution app. SMS configuration: functions prefixed ``sms_``; e-mail
templates: ``email_template_``."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from cxloop.common.errors import FieldError, InputError
from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, SURVEY_LANGUAGES
from cxloop.common.text import has_nul
from cxloop.distribution.email_defaults import DEFAULT_EMAIL_TEXTS, EMAIL_KINDS
from cxloop.distribution.fatigue import ContactRules, FatigueRules
from cxloop.distribution.models import (
    ContactPolicy,
    EmailKind,
    EmailTemplate,
    Invitation,
    InvitationChannel,
    InvitationStatus,
    SmsConfiguration,
)
from cxloop.distribution.sms.credentials import CredentialsUnreadable, decrypt_credentials
from cxloop.distribution.sms.providers import PROVIDERS, Storage
from cxloop.organizations.models import Organization
from cxloop.surveys.models import Survey


@dataclass(frozen=True, slots=True)
class SmsSettingsSummary:
    """What the settings page may show of a configuration: never the secrets themselves."""

    provider: str
    provider_label: str
    enabled: bool
    # Every non-secret value by field key: key ids, sender, options.
    shown_values: Mapping[str, str]
    secrets_set: frozenset[str]  # keys of the secrets that are stored
    credentials_unreadable: bool
    templates: Mapping[str, str]
    endpoint: str
    updated_at: datetime
    updated_by_email: str


def sms_configuration_get(*, organization: Organization) -> SmsConfiguration | None:
    return SmsConfiguration.objects.filter(organization=organization).first()


def sms_settings_summary(*, organization: Organization) -> SmsSettingsSummary | None:
    configuration = (
        SmsConfiguration.objects.select_related("updated_by")
        .filter(organization=organization)
        .first()
    )
    if configuration is None:
        return None
    spec = PROVIDERS[configuration.provider]
    try:
        credentials = decrypt_credentials(configuration.encrypted_credentials)
        unreadable = False
    except CredentialsUnreadable:
        credentials, unreadable = {}, True
    shown: dict[str, str] = {}
    secrets_set: set[str] = set()
    for setting in spec.fields:
        if setting.storage == Storage.SECRET:
            if credentials.get(setting.key):
                secrets_set.add(setting.key)
        elif setting.storage == Storage.CREDENTIAL:
            shown[setting.key] = credentials.get(setting.key, "")
        elif setting.storage == Storage.OPTION:
            shown[setting.key] = str(configuration.options.get(setting.key, ""))
        else:
            shown[setting.key] = configuration.sender
    return SmsSettingsSummary(
        provider=configuration.provider,
        provider_label=str(spec.label),
        enabled=configuration.enabled,
        shown_values=shown,
        secrets_set=frozenset(secrets_set),
        credentials_unreadable=unreadable,
        templates={str(key): str(value) for key, value in configuration.templates.items()},
        endpoint=configuration.endpoint,
        updated_at=configuration.updated_at,
        updated_by_email=configuration.updated_by.email if configuration.updated_by else "",
    )


def invitation_by_short_code(code: str) -> Invitation | None:
    if not code.isalnum() or len(code) > 12:
        return None
    return Invitation.objects.filter(short_code=code).first()


@dataclass(frozen=True, slots=True)
class SurveyContactRules:
    survey_id: int
    survey_name: str
    rules: ContactRules


@dataclass(frozen=True, slots=True)
class ContactRulesOverview:
    default: ContactRules
    default_is_stored: bool  # False: the product defaults apply
    overrides: tuple[SurveyContactRules, ...]


def _rules_of(policy: ContactPolicy) -> ContactRules:
    return ContactRules(
        min_days_between=policy.min_days_between,
        max_per_year=policy.max_per_year,
        quiet_start=policy.quiet_start,
        quiet_end=policy.quiet_end,
        link_valid_days=policy.link_valid_days,
        reminder_after_days=policy.reminder_after_days,
        max_reminders=policy.max_reminders,
    )


def product_default_contact_rules() -> ContactRules:
    rules = FatigueRules()
    defaults = ContactPolicy()
    return ContactRules(
        min_days_between=rules.min_days_between,
        max_per_year=rules.max_per_year,
        quiet_start=rules.quiet_start,
        quiet_end=rules.quiet_end,
        link_valid_days=defaults.link_valid_days,
        reminder_after_days=defaults.reminder_after_days,
        max_reminders=defaults.max_reminders,
    )


def contact_rules_overview(*, organization: Organization) -> ContactRulesOverview:
    """The organization's contact-frequency rules and every survey that overrides them."""
    policies = list(
        ContactPolicy.objects.filter(organization=organization)
        .select_related("survey")
        .order_by("survey__name", "survey_id")
    )
    default = next((p for p in policies if p.survey_id is None), None)
    return ContactRulesOverview(
        default=_rules_of(default) if default else product_default_contact_rules(),
        default_is_stored=default is not None,
        overrides=tuple(
            SurveyContactRules(p.survey.pk, p.survey.name, _rules_of(p))
            for p in policies
            if p.survey is not None
        ),
    )


def contact_policy_in_force(*, organization_id: int, survey_id: int) -> ContactPolicy | None:
    """The stored policy a survey's invitations follow: its override, else the
    organization's; None when neither exists (the product defaults apply)."""
    policies = {
        p.survey_id: p
        for p in ContactPolicy.objects.filter(organization_id=organization_id).filter(
            Q(survey__isnull=True) | Q(survey_id=survey_id)
        )
    }
    return policies.get(survey_id) or policies.get(None)


def survey_contact_rules(*, organization: Organization, survey_id: int) -> ContactRules | None:
    """The survey's own override, or None when it follows the organization's rules."""
    policy = ContactPolicy.objects.filter(organization=organization, survey_id=survey_id).first()
    return _rules_of(policy) if policy else None


@dataclass(frozen=True, slots=True)
class InvitationFilters:
    status: str = ""
    channel: str = ""
    reason: str = ""


def invitation_filters(query: Mapping[str, str]) -> InvitationFilters:
    """Filters from a query string; InputError naming the parameter for unknown values."""
    errors: list[FieldError] = []
    status = (query.get("status") or "").strip()
    channel = (query.get("channel") or "").strip()
    reason = (query.get("reason") or "").strip()
    if status and status not in InvitationStatus.values:
        errors.append(
            FieldError(
                "status",
                _("Unknown status; use one of: %(values)s.")
                % {"values": ", ".join(InvitationStatus.values)},
            )
        )
    if channel and channel not in InvitationChannel.values:
        errors.append(
            FieldError(
                "channel",
                _("Unknown channel; use one of: %(values)s.")
                % {"values": ", ".join(InvitationChannel.values)},
            )
        )
    if len(reason) > 32 or has_nul(reason):
        errors.append(FieldError("reason", _("Unknown reason.")))
    if errors:
        raise InputError(errors)
    return InvitationFilters(status=status, channel=channel, reason=reason)


def survey_invitations(
    *, organization: Organization, survey: Survey, filters: InvitationFilters
) -> QuerySet[Invitation]:
    """A survey's invitations, newest first, with their contact (one query per page)."""
    invitations = Invitation.objects.filter(organization=organization, survey=survey)
    if filters.status:
        invitations = invitations.filter(status=filters.status)
    if filters.channel:
        invitations = invitations.filter(channel=filters.channel)
    if filters.reason:
        invitations = invitations.filter(reason=filters.reason)
    return invitations.select_related("contact").order_by("-created_at", "-id")


def survey_invitation_counts(*, organization: Organization, survey: Survey) -> dict[str, int]:
    """How many of the survey's invitations are in each status (every status present)."""
    counts = dict.fromkeys(InvitationStatus.values, 0)
    rows = (
        Invitation.objects.filter(organization=organization, survey=survey)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for status, n in rows:
        counts[status] = n
    return counts


def survey_skip_reasons(*, organization: Organization, survey: Survey) -> list[tuple[str, int]]:
    """Why invitations were skipped or deferred, most frequent first."""
    rows = (
        Invitation.objects.filter(organization=organization, survey=survey)
        .exclude(reason="")
        .values_list("reason")
        .annotate(n=Count("id"))
        .order_by("-n", "reason")
    )
    return [(reason, n) for reason, n in rows]


# --- E-mail templates ----------------------------------------------------------------------

SOURCE_SURVEY = "survey"  # the survey's own override
SOURCE_ORGANIZATION = "organization"  # the organization's default
SOURCE_BUILT_IN = "built_in"  # cxloop's text (email_defaults)


@dataclass(frozen=True, slots=True)
class ChosenEmailText:
    language: str
    kind: str
    subject: str
    body: str
    source: str
    updated_at: datetime | None = None
    updated_by_email: str = ""


def _chosen(
    language: str, kind: str, rows: Sequence[EmailTemplate], survey: Survey | None
) -> ChosenEmailText:
    by_scope = {row.survey_id: row for row in rows if row.language == language and row.kind == kind}
    row = by_scope.get(survey.pk) if survey is not None else None
    source = SOURCE_SURVEY
    if row is None:
        row, source = by_scope.get(None), SOURCE_ORGANIZATION
    if row is None:
        default = DEFAULT_EMAIL_TEXTS[(language, kind)]
        return ChosenEmailText(language, kind, default.subject, default.body, SOURCE_BUILT_IN)
    return ChosenEmailText(
        language,
        kind,
        row.subject,
        row.body,
        source,
        row.updated_at,
        row.updated_by.email if row.updated_by_id and row.updated_by else "",
    )


def _template_rows(
    organization: Organization, survey: Survey | None, **filters: str
) -> list[EmailTemplate]:
    scope = Q(survey__isnull=True) | Q(survey=survey) if survey is not None else Q(survey=None)
    return list(
        EmailTemplate.objects.select_related("updated_by")
        .filter(scope, organization=organization, **filters)
        .order_by("pk")
    )


def email_template_choose(
    *, organization: Organization, survey: Survey | None, language: str, kind: str
) -> ChosenEmailText:
    """The text an e-mail uses: the survey's override, else the organization's default,
    else the built-in text. ``language`` must be a survey language and ``kind`` one of
    EMAIL_KINDS (KeyError otherwise)."""
    if (language, kind) not in DEFAULT_EMAIL_TEXTS:
        raise KeyError((language, kind))
    rows = _template_rows(organization, survey, language=language, kind=kind)
    return _chosen(language, kind, rows, survey)


@dataclass(frozen=True, slots=True)
class EmailTemplateRow:
    language: str
    language_name: str
    kind: str
    kind_label: str
    text: ChosenEmailText


def email_template_overview(
    *, organization: Organization, survey: Survey | None = None
) -> list[EmailTemplateRow]:
    """Every (language, kind) of the organization (all languages) or of a survey (its
    languages), with the text in use and where it comes from. One query."""
    rows = _template_rows(organization, survey)
    languages = [lang for lang in SURVEY_LANGUAGES if survey is None or lang in survey.languages]
    return [
        EmailTemplateRow(
            language=language,
            language_name=SURVEY_LANGUAGE_NAMES[language],
            kind=kind,
            kind_label=str(EmailKind(kind).label),
            text=_chosen(language, kind, rows, survey),
        )
        for language in languages
        for kind in EMAIL_KINDS
    ]
