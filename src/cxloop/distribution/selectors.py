"""Reads of the distribution app. SMS configuration: functions prefixed ``sms_``."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from cxloop.distribution.models import Invitation, SmsConfiguration
from cxloop.distribution.sms.credentials import CredentialsUnreadable, decrypt_credentials
from cxloop.distribution.sms.providers import PROVIDERS, Storage
from cxloop.organizations.models import Organization


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
