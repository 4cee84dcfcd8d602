import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl

import pytest
from django.utils import translation

from cxloop.common.errors import InputError
from cxloop.distribution.models import SmsConfiguration, SmsProviderName
from cxloop.distribution.selectors import sms_settings_summary
from cxloop.distribution.services import (
    SmsNotConfiguredError,
    sms_configuration_set,
    sms_normalize_phone,
    sms_provider_for,
    sms_send_test,
)
from cxloop.distribution.sms.aliyun import AliyunSmsProvider
from cxloop.distribution.sms.base import SmsPermanentError
from cxloop.distribution.sms.providers import PROVIDERS
from cxloop.distribution.sms.tencent import TencentSmsProvider
from cxloop.distribution.sms.twilio import TwilioSmsProvider
from cxloop.organizations.models import Membership, Organization
from tests.distribution.sms_server import FakeServer, ReceivedRequest, Reply, running_server

pytestmark = pytest.mark.django_db

ALIYUN_SECRET = "aliyun-secret-value-0001"
TWILIO_SID = "AC" + "ab" * 16
TWILIO_TOKEN = "twilio-token-value-0001"


@pytest.fixture(autouse=True)
def _english(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def set_aliyun(organization: Organization, **overrides: Any) -> SmsConfiguration:
    arguments: dict[str, Any] = {
        "organization": organization,
        "provider": "aliyun",
        "values": {
            "access_key_id": "LTAI5tKeyId",
            "access_key_secret": ALIYUN_SECRET,
            "sender": "cxloop",
        },
        "templates": {"zh-Hans": "SMS_1001", "en": "SMS_1002"},
    }
    arguments.update(overrides)
    return sms_configuration_set(**arguments)


def set_twilio(organization: Organization, endpoint: str = "") -> SmsConfiguration:
    return sms_configuration_set(
        organization=organization,
        provider="twilio",
        values={"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN, "sender": "+14155550100"},
        endpoint=endpoint,
    )


def fields_of(error: InputError) -> set[str]:
    return {field_error.field for field_error in error.errors}


@pytest.fixture
def provider_server() -> Iterator[FakeServer]:
    """Answers like Aliyun and Twilio both do on success; the adapters' tests check the rest."""

    def handle(request: ReceivedRequest) -> Reply:
        if request.path.endswith("/Messages.json"):
            return Reply.json(201, {"sid": "SM" + "2" * 32, "status": "queued"})
        return Reply.json(200, {"Code": "OK", "Message": "OK", "BizId": "123^0"})

    with running_server(handle) as server:
        yield server


# --- storing a configuration ----------------------------------------------------------------


def test_the_registry_offers_every_provider_the_model_knows() -> None:
    assert set(PROVIDERS) == set(SmsProviderName.values)


def test_credentials_are_stored_encrypted(organization: Organization) -> None:
    configuration = set_aliyun(organization)

    stored = SmsConfiguration.objects.get(pk=configuration.pk)
    assert ALIYUN_SECRET not in stored.encrypted_credentials
    assert "LTAI5tKeyId" not in stored.encrypted_credentials
    provider = sms_provider_for(organization=organization)
    assert isinstance(provider, AliyunSmsProvider)
    assert provider.access_key_secret == ALIYUN_SECRET
    assert provider.access_key_id == "LTAI5tKeyId"
    assert provider.templates == {"zh-Hans": "SMS_1001", "en": "SMS_1002"}


def test_the_summary_never_contains_a_secret(organization: Organization) -> None:
    set_aliyun(organization)

    summary = sms_settings_summary(organization=organization)

    assert summary is not None
    assert summary.secrets_set == frozenset({"access_key_secret"})
    assert summary.shown_values == {"access_key_id": "LTAI5tKeyId", "sender": "cxloop"}
    assert ALIYUN_SECRET not in repr(summary)


def test_an_empty_secret_keeps_the_stored_one(organization: Organization) -> None:
    set_aliyun(organization)

    set_aliyun(
        organization,
        values={"access_key_id": "LTAI5tOtherId", "access_key_secret": "", "sender": "new sign"},
    )

    provider = sms_provider_for(organization=organization)
    assert isinstance(provider, AliyunSmsProvider)
    assert (provider.access_key_id, provider.access_key_secret) == ("LTAI5tOtherId", ALIYUN_SECRET)
    assert provider.sign_name == "new sign"
    assert SmsConfiguration.objects.filter(organization=organization).count() == 1


def test_a_new_provider_needs_its_own_secrets(organization: Organization) -> None:
    set_aliyun(organization)

    with pytest.raises(InputError) as raised:
        sms_configuration_set(
            organization=organization,
            provider="twilio",
            values={"account_sid": TWILIO_SID, "sender": "+14155550100"},
        )

    assert fields_of(raised.value) == {"auth_token"}
    assert SmsConfiguration.objects.get(organization=organization).provider == "aliyun"


def test_switching_provider_builds_the_new_one(organization: Organization) -> None:
    set_aliyun(organization)
    set_twilio(organization)

    provider = sms_provider_for(organization=organization)

    assert isinstance(provider, TwilioSmsProvider)
    assert (provider.account_sid, provider.auth_token) == (TWILIO_SID, TWILIO_TOKEN)


def test_tencent_options_and_default_region(organization: Organization) -> None:
    sms_configuration_set(
        organization=organization,
        provider="tencent",
        values={"secret_id": "AKIDx", "secret_key": "k", "sdk_app_id": "1400006666"},
        templates={"zh-Hans": "449739"},
    )

    provider = sms_provider_for(organization=organization)

    assert isinstance(provider, TencentSmsProvider)
    assert (provider.sdk_app_id, provider.region) == ("1400006666", "ap-guangzhou")


def test_every_problem_is_reported_at_once_and_nothing_is_saved(
    organization: Organization,
) -> None:
    with pytest.raises(InputError) as raised:
        sms_configuration_set(
            organization=organization,
            provider="aliyun",
            values={"access_key_id": "has spaces", "access_key_secret": "", "sender": ""},
            templates={"zh-Hans": "123"},
            endpoint="not a url",
        )

    assert fields_of(raised.value) == {
        "access_key_id",
        "access_key_secret",
        "sender",
        "templates.zh-Hans",
        "endpoint",
    }
    assert not SmsConfiguration.objects.exists()


def test_template_providers_need_at_least_one_template(organization: Organization) -> None:
    with pytest.raises(InputError) as raised:
        set_aliyun(organization, templates={"zh-Hans": " "})

    assert fields_of(raised.value) == {"templates"}


def test_a_missing_template_is_reported_with_other_problems(organization: Organization) -> None:
    with pytest.raises(InputError) as raised:
        set_aliyun(organization, values={"access_key_id": "LTAI5tKeyId"}, templates={})

    assert fields_of(raised.value) == {"access_key_secret", "sender", "templates"}


def test_twilio_needs_a_from_number_or_a_messaging_service(organization: Organization) -> None:
    with pytest.raises(InputError) as raised:
        sms_configuration_set(
            organization=organization,
            provider="twilio",
            values={"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN},
        )

    assert fields_of(raised.value) == {"sender"}
    configuration = sms_configuration_set(
        organization=organization,
        provider="twilio",
        values={
            "account_sid": TWILIO_SID,
            "auth_token": TWILIO_TOKEN,
            "messaging_service_sid": "MG" + "cd" * 16,
        },
    )
    assert configuration.options == {"messaging_service_sid": "MG" + "cd" * 16}


def test_an_unknown_provider_is_refused(organization: Organization) -> None:
    with pytest.raises(InputError) as raised:
        sms_configuration_set(organization=organization, provider="carrier-pigeon", values={})

    assert fields_of(raised.value) == {"provider"}


def test_the_editor_is_recorded(membership: Membership) -> None:
    configuration = set_aliyun(membership.organization, by=membership.user)

    assert configuration.updated_by == membership.user


# --- getting a provider ---------------------------------------------------------------------


def test_an_organization_without_sms_gets_a_permanent_not_configured_error(
    organization: Organization, other_membership: Membership
) -> None:
    set_aliyun(other_membership.organization)

    with pytest.raises(SmsNotConfiguredError) as raised:
        sms_provider_for(organization=organization)

    assert isinstance(raised.value, SmsPermanentError)
    assert raised.value.code == "not_configured"


def test_a_switched_off_configuration_sends_nothing(organization: Organization) -> None:
    set_aliyun(organization, enabled=False)

    with pytest.raises(SmsNotConfiguredError) as raised:
        sms_provider_for(organization=organization)

    assert raised.value.code == "disabled"


def test_credentials_from_another_secret_key_are_reported_not_crashed(
    organization: Organization, settings: Any
) -> None:
    set_aliyun(organization)
    settings.SECRET_KEY = "a-completely-different-secret-key-for-this-test"

    with pytest.raises(SmsNotConfiguredError) as raised:
        sms_provider_for(organization=organization)

    assert raised.value.code == "credentials_unreadable"
    summary = sms_settings_summary(organization=organization)
    assert summary is not None and summary.credentials_unreadable


def test_a_rotated_secret_key_listed_as_fallback_still_reads(
    organization: Organization, settings: Any
) -> None:
    set_aliyun(organization)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "the-new-secret-key-after-rotation"

    provider = sms_provider_for(organization=organization)

    assert isinstance(provider, AliyunSmsProvider)
    assert provider.access_key_secret == ALIYUN_SECRET


# --- test messages --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+86 138 0013 8000", "+8613800138000"),
        ("008613800138000", "+8613800138000"),
        ("+1 (415) 555-0123", "+14155550123"),
    ],
)
def test_numbers_are_normalized_to_e164(raw: str, e164: str) -> None:
    assert sms_normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["13800138000", "+86 123", "+999 12345678", "call me", "", "+\x00"])
def test_invalid_numbers_are_an_input_error_on_to(raw: str) -> None:
    with pytest.raises(InputError) as raised:
        sms_normalize_phone(raw)

    assert fields_of(raised.value) == {"to"}


def test_send_test_with_an_invalid_number_sends_nothing(
    organization: Organization, provider_server: FakeServer
) -> None:
    set_twilio(organization, endpoint=provider_server.base_url)

    with pytest.raises(InputError):
        sms_send_test(organization=organization, to="not a number")

    assert provider_server.received == []


def test_send_test_fills_the_template_with_name_and_public_link(
    organization: Organization, provider_server: FakeServer, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://cx.example.com"
    set_aliyun(organization, endpoint=provider_server.base_url + "/")

    with translation.override("en"):
        receipt = sms_send_test(organization=organization, to="+86 138 0013 8000")

    assert receipt.provider_message_id == "123^0"
    params = dict(parse_qsl(provider_server.received[0].body.decode()))
    assert params["PhoneNumbers"] == "8613800138000"
    assert params["TemplateCode"] == "SMS_1002"
    assert json.loads(params["TemplateParam"]) == {
        "name": organization.name,
        "link": "https://cx.example.com/",
    }


def test_send_test_free_text_carries_the_public_link(
    organization: Organization, provider_server: FakeServer, settings: Any
) -> None:
    settings.PUBLIC_URL = "https://cx.example.com"
    set_twilio(organization, endpoint=provider_server.base_url)

    receipt = sms_send_test(organization=organization, to="+14155550123")

    assert receipt.raw_status == "queued"
    form = dict(parse_qsl(provider_server.received[0].body.decode()))
    assert form["To"] == "+14155550123"
    assert "https://cx.example.com/" in form["Body"]
    assert organization.name in form["Body"]


def test_send_test_without_configuration_raises_not_configured(
    organization: Organization,
) -> None:
    with pytest.raises(SmsNotConfiguredError):
        sms_send_test(organization=organization, to="+8613800138000")


def test_custom_endpoints_need_the_operators_permission(
    organization: Organization, settings: Any
) -> None:
    settings.CXLOOP_SMS_ENDPOINT_OVERRIDE = False
    with pytest.raises(InputError) as caught:
        set_twilio(organization, endpoint="http://169.254.169.254/latest")
    assert [e.field for e in caught.value.errors] == ["endpoint"]
    assert not SmsConfiguration.objects.filter(organization=organization).exists()
