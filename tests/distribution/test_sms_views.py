from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cxloop.distribution.models import SmsConfiguration
from cxloop.distribution.services import sms_configuration_set, sms_provider_for
from cxloop.distribution.sms.aliyun import AliyunSmsProvider
from cxloop.organizations.models import Membership, Organization, Role
from tests.distribution.sms_server import FakeServer, ReceivedRequest, Reply, running_server
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

SECRET = "aliyun-secret-that-must-never-be-shown"


@pytest.fixture(autouse=True)
def _english_interface(settings: Any) -> None:
    settings.LANGUAGE_CODE = "en"


def logged_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def settings_url(organization: Organization, query: str = "") -> str:
    return reverse("distribution:sms_settings", args=[organization.slug]) + query


def sms_test_url(organization: Organization) -> str:
    return reverse("distribution:sms_test", args=[organization.slug])


def aliyun_form(**overrides: str) -> dict[str, str]:
    form = {
        "provider": "aliyun",
        "access_key_id": "LTAI5tKeyId",
        "access_key_secret": SECRET,
        "sender": "cxloop",
        "templates.zh-Hans": "SMS_1001",
        "templates.zh-Hant": "",
        "templates.en": "SMS_1002",
        "endpoint": "",
        "enabled": "on",
    }
    form.update(overrides)
    return form


def configure_aliyun(organization: Organization, endpoint: str = "") -> SmsConfiguration:
    return sms_configuration_set(
        organization=organization,
        provider="aliyun",
        values={"access_key_id": "LTAI5tKeyId", "access_key_secret": SECRET, "sender": "cxloop"},
        templates={"zh-Hans": "SMS_1001"},
        endpoint=endpoint,
    )


@pytest.fixture
def provider_server() -> Iterator[FakeServer]:
    answers = {
        "8613800138000": Reply.json(200, {"Code": "OK", "Message": "OK", "BizId": "778^0"}),
        "8613900139000": Reply.json(
            200, {"Code": "isv.AMOUNT_NOT_ENOUGH", "Message": "账户余额不足"}
        ),
    }

    def handle(request: ReceivedRequest) -> Reply:
        number = request.body.decode().split("PhoneNumbers=")[1].split("&")[0]
        return answers.get(number, Reply(503, b"busy", "text/plain"))

    with running_server(handle) as server:
        yield server


# --- the settings form ----------------------------------------------------------------------


def test_the_page_offers_each_providers_own_fields(membership: Membership) -> None:
    client = logged_in(membership)

    aliyun_page = client.get(settings_url(membership.organization)).content.decode()
    tencent_page = client.get(settings_url(membership.organization, "?provider=tencent"))
    twilio_page = client.get(settings_url(membership.organization, "?provider=twilio"))

    assert 'name="access_key_secret"' in aliyun_page
    assert 'name="sdk_app_id"' not in aliyun_page
    assert 'name="sdk_app_id"' in tencent_page.content.decode()
    assert 'name="region"' in tencent_page.content.decode()
    assert 'name="messaging_service_sid"' in twilio_page.content.decode()
    assert 'name="templates.en"' not in twilio_page.content.decode()


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN])
def test_owners_and_admins_save_the_settings(membership: Membership, role: str) -> None:
    editor = MembershipFactory(organization=membership.organization, role=role)

    response = logged_in(editor).post(settings_url(membership.organization), aliyun_form())

    assert response.status_code == 302
    provider = sms_provider_for(organization=membership.organization)
    assert isinstance(provider, AliyunSmsProvider)
    assert provider.access_key_secret == SECRET
    assert provider.templates == {"zh-Hans": "SMS_1001", "en": "SMS_1002"}
    assert SmsConfiguration.objects.get().updated_by == editor.user


def test_a_stored_secret_is_never_rendered_and_kept_when_left_empty(
    membership: Membership,
) -> None:
    client = logged_in(membership)
    client.post(settings_url(membership.organization), aliyun_form())

    page = client.get(settings_url(membership.organization)).content.decode()
    client.post(
        settings_url(membership.organization),
        aliyun_form(access_key_secret="", sender="new sign"),
    )

    assert SECRET not in page
    assert "•••• set" in page
    assert 'value="LTAI5tKeyId"' in page  # key ids are not secret and are shown back
    provider = sms_provider_for(organization=membership.organization)
    assert isinstance(provider, AliyunSmsProvider)
    assert (provider.access_key_secret, provider.sign_name) == (SECRET, "new sign")


def test_invalid_settings_are_explained_on_the_form(membership: Membership) -> None:
    response = logged_in(membership).post(
        settings_url(membership.organization),
        aliyun_form(
            **{"access_key_secret": "", "templates.zh-Hans": "12345", "endpoint": "ftp://x"}
        ),
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the AccessKey secret." in page
    assert "“12345” is not a template id of Aliyun SMS." in page
    assert "Enter a full http:// or https:// address, or leave empty." in page
    assert SECRET not in page
    assert not SmsConfiguration.objects.exists()


def test_an_unknown_provider_is_a_form_error_not_a_crash(membership: Membership) -> None:
    response = logged_in(membership).post(
        settings_url(membership.organization), aliyun_form(provider="fax")
    )

    assert response.status_code == 400
    assert "Choose one of the SMS providers." in response.content.decode()
    assert not SmsConfiguration.objects.exists()


@pytest.mark.parametrize("role", [Role.ANALYST, Role.VIEWER])
def test_analysts_and_viewers_are_refused(membership: Membership, role: str) -> None:
    reader = MembershipFactory(organization=membership.organization, role=role)
    client = logged_in(reader)

    assert client.get(settings_url(membership.organization)).status_code == 403
    assert client.post(settings_url(membership.organization), aliyun_form()).status_code == 403
    assert (
        client.post(sms_test_url(membership.organization), {"to": "+8613800138000"}).status_code
        == 403
    )
    assert not SmsConfiguration.objects.exists()


def test_another_organizations_member_gets_404_and_changes_nothing(
    membership: Membership, other_membership: Membership, provider_server: FakeServer
) -> None:
    organization = membership.organization
    configure_aliyun(organization, endpoint=provider_server.base_url + "/")
    before = SmsConfiguration.objects.values().get()
    outsider = logged_in(other_membership)

    responses = [
        outsider.get(settings_url(organization)),
        outsider.post(settings_url(organization), aliyun_form(access_key_secret="stolen")),
        outsider.post(sms_test_url(organization), {"to": "+8613800138000"}),
    ]

    assert [response.status_code for response in responses] == [404, 404, 404]
    assert SmsConfiguration.objects.values().get() == before
    assert provider_server.received == []
    assert not SmsConfiguration.objects.filter(organization=other_membership.organization).exists()


def test_anonymous_visitors_are_sent_to_log_in(organization: Organization) -> None:
    response = Client().get(settings_url(organization))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


# --- test messages --------------------------------------------------------------------------


def test_a_test_message_shows_the_providers_answer(
    membership: Membership, provider_server: FakeServer
) -> None:
    configure_aliyun(membership.organization, endpoint=provider_server.base_url + "/")

    response = logged_in(membership).post(
        sms_test_url(membership.organization), {"to": "+86 138 0013 8000"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The provider accepted the message." in page
    assert "778^0" in page
    assert len(provider_server.received) == 1


def test_a_refused_test_message_shows_the_providers_error(
    membership: Membership, provider_server: FakeServer
) -> None:
    configure_aliyun(membership.organization, endpoint=provider_server.base_url + "/")

    response = logged_in(membership).post(
        sms_test_url(membership.organization), {"to": "+8613900139000"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "The message was not sent" in page
    assert "账户余额不足" in page
    assert "isv.AMOUNT_NOT_ENOUGH" in page
    assert "Check the number, the credentials" in page


def test_a_temporary_failure_says_to_try_again(
    membership: Membership, provider_server: FakeServer
) -> None:
    configure_aliyun(membership.organization, endpoint=provider_server.base_url + "/")

    response = logged_in(membership).post(
        sms_test_url(membership.organization), {"to": "+8613700137000"}
    )

    assert "try again in a moment" in response.content.decode()


def test_an_invalid_test_number_is_a_form_error_and_sends_nothing(
    membership: Membership, provider_server: FakeServer
) -> None:
    configure_aliyun(membership.organization, endpoint=provider_server.base_url + "/")

    response = logged_in(membership).post(sms_test_url(membership.organization), {"to": "12345"})

    assert response.status_code == 400
    assert "Enter a valid mobile number in international format" in response.content.decode()
    assert provider_server.received == []


def test_a_test_message_without_settings_explains_why(membership: Membership) -> None:
    response = logged_in(membership).post(
        sms_test_url(membership.organization), {"to": "+8613800138000"}
    )

    assert response.status_code == 200
    assert "SMS is not set up for this organization." in response.content.decode()


def test_the_test_form_only_takes_posts(membership: Membership) -> None:
    assert logged_in(membership).get(sms_test_url(membership.organization)).status_code == 405
