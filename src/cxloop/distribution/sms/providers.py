"""The providers an organization can choose: the values each needs, and how to build it.

The settings service validates against these descriptions and the settings page draws its
form from them, so a new provider is one entry here plus its adapter.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from cxloop.distribution.sms import aliyun, tencent, twilio
from cxloop.distribution.sms.base import DEFAULT_TIMEOUT_SECONDS, SmsProvider

Text = str | Promise


class Storage(StrEnum):
    CREDENTIAL = "credential"  # encrypted, shown back on the settings page (key ids)
    SECRET = "secret"  # noqa: S105 (a storage kind) encrypted, never shown back
    OPTION = "option"  # plain (SmsConfiguration.options)
    SENDER = "sender"  # plain (SmsConfiguration.sender)


@dataclass(frozen=True, slots=True)
class SettingField:
    key: str
    label: Text
    storage: Storage
    required: bool = True
    pattern: str | None = None  # the whole value must match
    pattern_message: Text = ""
    help_text: Text = ""
    default: str = ""
    max_length: int = 100


@dataclass(frozen=True, slots=True)
class ProviderSettings:
    """A configuration as an adapter needs it, credentials decrypted."""

    credentials: Mapping[str, str]
    sender: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    templates: Mapping[str, str] = field(default_factory=dict)
    endpoint: str = ""
    timeout: float = DEFAULT_TIMEOUT_SECONDS


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    key: str
    label: Text
    fields: tuple[SettingField, ...]
    build: Callable[[ProviderSettings], SmsProvider]
    default_endpoint: str
    # Providers that send only pre-approved templates: the id format, None for free text.
    template_pattern: str | None = None
    template_help: Text = ""

    @property
    def uses_templates(self) -> bool:
        return self.template_pattern is not None

    def field(self, key: str) -> SettingField:
        return next(setting for setting in self.fields if setting.key == key)


def _build_aliyun(settings: ProviderSettings) -> SmsProvider:
    return aliyun.AliyunSmsProvider(
        access_key_id=settings.credentials["access_key_id"],
        access_key_secret=settings.credentials["access_key_secret"],
        sign_name=settings.sender,
        templates=settings.templates,
        endpoint=settings.endpoint or aliyun.DEFAULT_ENDPOINT,
        timeout=settings.timeout,
    )


def _build_tencent(settings: ProviderSettings) -> SmsProvider:
    return tencent.TencentSmsProvider(
        secret_id=settings.credentials["secret_id"],
        secret_key=settings.credentials["secret_key"],
        sdk_app_id=settings.options.get("sdk_app_id", ""),
        sign_name=settings.sender,
        templates=settings.templates,
        region=settings.options.get("region") or tencent.DEFAULT_REGION,
        endpoint=settings.endpoint or tencent.DEFAULT_ENDPOINT,
        timeout=settings.timeout,
    )


def _build_twilio(settings: ProviderSettings) -> SmsProvider:
    return twilio.TwilioSmsProvider(
        account_sid=settings.credentials["account_sid"],
        auth_token=settings.credentials["auth_token"],
        from_number=settings.sender,
        messaging_service_sid=settings.options.get("messaging_service_sid", ""),
        endpoint=settings.endpoint or twilio.DEFAULT_ENDPOINT,
        timeout=settings.timeout,
    )


_NO_SPACES = r"\S+"
_NO_SPACES_MESSAGE = _("Enter the value without spaces.")

ALIYUN = ProviderSpec(
    key="aliyun",
    label=_("Aliyun SMS"),
    fields=(
        SettingField(
            "access_key_id",
            _("AccessKey ID"),
            Storage.CREDENTIAL,
            pattern=_NO_SPACES,
            pattern_message=_NO_SPACES_MESSAGE,
        ),
        SettingField("access_key_secret", _("AccessKey secret"), Storage.SECRET),
        SettingField(
            "sender",
            _("Sign name"),
            Storage.SENDER,
            help_text=_("The approved signature (签名) shown at the start of every message."),
            max_length=50,
        ),
    ),
    build=_build_aliyun,
    default_endpoint=aliyun.DEFAULT_ENDPOINT,
    template_pattern=r"SMS_\d+",
    template_help=_(
        "Approved template codes such as SMS_123456789. Templates receive the variables "
        "${name} and ${link}."
    ),
)

TENCENT = ProviderSpec(
    key="tencent",
    label=_("Tencent Cloud SMS"),
    fields=(
        SettingField(
            "secret_id",
            _("SecretId"),
            Storage.CREDENTIAL,
            pattern=_NO_SPACES,
            pattern_message=_NO_SPACES_MESSAGE,
        ),
        SettingField("secret_key", _("SecretKey"), Storage.SECRET),
        SettingField(
            "sdk_app_id",
            _("SMS SdkAppId"),
            Storage.OPTION,
            pattern=r"\d+",
            pattern_message=_("The SdkAppId is a number, e.g. 1400006666."),
            max_length=20,
        ),
        SettingField(
            "sender",
            _("Sign name"),
            Storage.SENDER,
            required=False,
            help_text=_("The approved signature (签名); required for numbers in Mainland China."),
            max_length=50,
        ),
        SettingField(
            "region",
            _("Region"),
            Storage.OPTION,
            pattern=r"[a-z]{2,4}-[a-z]+(-[a-z0-9]+)*",
            pattern_message=_("Enter a region such as ap-guangzhou."),
            default=tencent.DEFAULT_REGION,
            max_length=40,
        ),
    ),
    build=_build_tencent,
    default_endpoint=tencent.DEFAULT_ENDPOINT,
    template_pattern=r"\d+",
    template_help=_(
        "Approved template ids (numbers). Templates receive {1} = the name and {2} = the link."
    ),
)

TWILIO = ProviderSpec(
    key="twilio",
    label=_("Twilio"),
    fields=(
        SettingField(
            "account_sid",
            _("Account SID"),
            Storage.CREDENTIAL,
            pattern=r"AC[0-9a-fA-F]{32}",
            pattern_message=_("An Account SID is AC followed by 32 hexadecimal digits."),
            max_length=34,
        ),
        SettingField("auth_token", _("Auth token"), Storage.SECRET),
        SettingField(
            "sender",
            _("From"),
            Storage.SENDER,
            required=False,
            pattern=r"\+[1-9]\d{6,14}|[A-Za-z0-9 ]{1,11}",
            pattern_message=_(
                "Enter a number in international format (+14155550100) or a sender id of at "
                "most 11 letters and digits."
            ),
            help_text=_("A Twilio number or an alphanumeric sender id."),
            max_length=16,
        ),
        SettingField(
            "messaging_service_sid",
            _("Messaging Service SID"),
            Storage.OPTION,
            required=False,
            pattern=r"MG[0-9a-fA-F]{32}",
            pattern_message=_("A Messaging Service SID is MG followed by 32 hexadecimal digits."),
            help_text=_("Instead of a From number; used when both are set."),
            max_length=34,
        ),
    ),
    build=_build_twilio,
    default_endpoint=twilio.DEFAULT_ENDPOINT,
)

PROVIDERS: Mapping[str, ProviderSpec] = {spec.key: spec for spec in (ALIYUN, TENCENT, TWILIO)}


def provider_spec(key: str) -> ProviderSpec | None:
    return PROVIDERS.get(key)


def build_provider(key: str, settings: ProviderSettings) -> SmsProvider:
    return PROVIDERS[key].build(settings)
