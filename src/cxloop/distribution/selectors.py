"""Reads of the distribution app. SMS configuration: functions prefixed ``sms_``; e-mail
templates: ``email_template_``."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from cxloop.common.languages import SURVEY_LANGUAGE_NAMES, SURVEY_LANGUAGES
from cxloop.distribution.email_defaults import DEFAULT_EMAIL_TEXTS, EMAIL_KINDS
from cxloop.distribution.models import EmailKind, EmailTemplate, Invitation, SmsConfiguration
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
