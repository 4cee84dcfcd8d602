import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, quote_plus

import pytest

from cxloop.distribution.sms.aliyun import AliyunSmsProvider, rpc_signature, string_to_sign
from cxloop.distribution.sms.base import (
    SmsMessage,
    SmsPermanentError,
    SmsTransientError,
)
from tests.distribution.sms_server import (
    FakeServer,
    ReceivedRequest,
    Reply,
    closed_port_url,
    running_server,
    silent_server,
)

ACCESS_KEY_ID = "LTAI5tTestKeyId0001"
ACCESS_KEY_SECRET = "testSecretValue0001"
SIGN_NAME = "阿里云短信测试"
TEMPLATES = {"zh-Hans": "SMS_100001", "en": "SMS_100002"}
MESSAGE = SmsMessage(
    to="+8613800138000",
    text="unused by Aliyun",
    template_params={"name": "王芳", "link": "https://cx.example.com/r/Ab3x"},
    language="zh-Hans",
)
OK_ANSWER = {
    "Message": "OK",
    "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
    "BizId": "900619746936498440^0",
    "Code": "OK",
}


def aliyun_percent_encode(value: str) -> str:
    # The documentation's recipe: UTF-8 URL-encoding, then "+" → "%20", "*" → "%2A" and
    # "%7E" → "~" (written independently of the adapter's encoder on purpose).
    return (
        quote_plus(value, encoding="utf-8")
        .replace("+", "%20")
        .replace("*", "%2A")
        .replace("%7E", "~")
    )


def expected_signature(params: dict[str, str], secret: str, method: str) -> str:
    pairs = sorted((name, value) for name, value in params.items() if name != "Signature")
    canonical = "&".join(
        f"{aliyun_percent_encode(name)}={aliyun_percent_encode(value)}" for name, value in pairs
    )
    to_sign = f"{method}&{aliyun_percent_encode('/')}&{aliyun_percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def aliyun_error(status: int, code: str, message: str) -> Reply:
    return Reply.json(
        status,
        {
            "RequestId": str(uuid.uuid4()).upper(),
            "HostId": "dysmsapi.aliyuncs.com",
            "Code": code,
            "Message": message,
        },
    )


class FakeDysmsapi:
    """Checks a SendSms request as Dysmsapi does, then gives the answer the test chose."""

    def __init__(self) -> None:
        self.secrets = {ACCESS_KEY_ID: ACCESS_KEY_SECRET}
        self.answer = Reply.json(200, OK_ANSWER)
        self.seen_nonces: set[str] = set()
        self.accepted: list[dict[str, str]] = []

    def handle(self, request: ReceivedRequest) -> Reply:
        params = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
        secret = self.secrets.get(params.get("AccessKeyId", ""))
        if secret is None:
            return aliyun_error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        if params.get("Signature") != expected_signature(params, secret, request.method):
            return aliyun_error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation.",
            )
        sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        if abs(datetime.now(UTC) - sent_at) > timedelta(minutes=15):
            return aliyun_error(
                400, "InvalidTimeStamp.Expired", "Specified time stamp or date value is expired."
            )
        if params["SignatureNonce"] in self.seen_nonces:
            return aliyun_error(
                400, "SignatureNonceUsed", "Specified signature nonce was used already."
            )
        self.seen_nonces.add(params["SignatureNonce"])
        self.accepted.append(params)
        return self.answer


@pytest.fixture
def dysmsapi() -> FakeDysmsapi:
    return FakeDysmsapi()


@pytest.fixture
def server(dysmsapi: FakeDysmsapi) -> Iterator[FakeServer]:
    with running_server(dysmsapi.handle) as running:
        yield running


def provider(endpoint: str, **overrides: object) -> AliyunSmsProvider:
    settings: dict[str, object] = {
        "access_key_id": ACCESS_KEY_ID,
        "access_key_secret": ACCESS_KEY_SECRET,
        "sign_name": SIGN_NAME,
        "templates": TEMPLATES,
        "endpoint": endpoint + "/",
        "timeout": 2.0,
    }
    settings.update(overrides)
    return AliyunSmsProvider(**settings)  # type: ignore[arg-type]


# --- the documentation's worked examples ----------------------------------------------------


def test_signature_reproduces_the_rpc_signature_documentation_example() -> None:
    # Aliyun "RPC signature mechanism": DescribeRegions, AccessKeySecret "testsecret".
    params = {
        "Timestamp": "2016-02-23T12:46:24Z",
        "Format": "XML",
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Version": "2014-05-26",
        "SignatureVersion": "1.0",
    }

    assert string_to_sign("GET", params) == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
        "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"
        "%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z"
        "%26Version%3D2014-05-26"
    )
    assert rpc_signature("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_signature_reproduces_the_sms_documentation_example_with_a_chinese_sign_name() -> None:
    # Dysmsapi "HTTP protocol and signature": SendSms, AccessKeySecret "testSecret".
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }

    assert string_to_sign("GET", params).startswith(
        "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
        "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
    )
    assert rpc_signature("GET", params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


# --- against the local Dysmsapi -------------------------------------------------------------


def test_send_is_signed_and_returns_the_biz_id(server: FakeServer, dysmsapi: FakeDysmsapi) -> None:
    receipt = provider(server.base_url).send(MESSAGE)

    assert receipt.provider_message_id == OK_ANSWER["BizId"]
    assert receipt.accepted is True
    assert receipt.raw_status == "OK"
    [params] = dysmsapi.accepted
    assert params["Action"] == "SendSms"
    assert params["Version"] == "2017-05-25"
    assert params["PhoneNumbers"] == "8613800138000"
    assert params["SignName"] == SIGN_NAME
    assert params["TemplateCode"] == "SMS_100001"
    assert json.loads(params["TemplateParam"]) == dict(MESSAGE.template_params)
    assert server.received[0].header("Content-Type").startswith("application/x-www-form-urlencoded")


def test_every_request_has_a_new_nonce(server: FakeServer, dysmsapi: FakeDysmsapi) -> None:
    sender = provider(server.base_url)

    sender.send(MESSAGE)
    sender.send(MESSAGE)

    assert len({params["SignatureNonce"] for params in dysmsapi.accepted}) == 2


@pytest.mark.parametrize(
    ("language", "template"), [("en", "SMS_100002"), ("zh-Hant", "SMS_100001")]
)
def test_template_follows_the_language_and_falls_back(
    server: FakeServer, dysmsapi: FakeDysmsapi, language: str, template: str
) -> None:
    provider(server.base_url).send(
        SmsMessage(to=MESSAGE.to, text="", template_params={"link": "x"}, language=language)
    )

    assert dysmsapi.accepted[0]["TemplateCode"] == template


def test_without_templates_nothing_is_sent(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError):
        provider(server.base_url, templates={}).send(MESSAGE)

    assert server.received == []


def test_a_wrong_secret_fails_the_signature_check_permanently(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, access_key_secret="not-the-secret").send(MESSAGE)

    assert raised.value.code == "SignatureDoesNotMatch"
    assert raised.value.http_status == 400


def test_an_unknown_access_key_is_permanent(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, access_key_id="LTAIunknown").send(MESSAGE)

    assert raised.value.code == "InvalidAccessKeyId.NotFound"


def test_a_wrong_clock_is_refused_permanently(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, timestamp=lambda: "2019-01-01T00:00:00Z").send(MESSAGE)

    assert raised.value.code == "InvalidTimeStamp.Expired"


@pytest.mark.parametrize(
    "code",
    [
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "Throttling.User",
    ],
)
def test_flow_control_and_provider_failures_are_transient(
    server: FakeServer, dysmsapi: FakeDysmsapi, code: str
) -> None:
    dysmsapi.answer = aliyun_error(200, code, "触发流控")

    with pytest.raises(SmsTransientError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == code
    assert raised.value.message == "触发流控"


@pytest.mark.parametrize(
    "code",
    [
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isp.RAM_PERMISSION_DENY",
        "isv.SOMETHING_NEW",  # unknown codes need a person, not endless retries
    ],
)
def test_number_credential_template_and_balance_problems_are_permanent(
    server: FakeServer, dysmsapi: FakeDysmsapi, code: str
) -> None:
    dysmsapi.answer = aliyun_error(200, code, "refused")

    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == code


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_transient(
    server: FakeServer, dysmsapi: FakeDysmsapi, status: int
) -> None:
    dysmsapi.answer = aliyun_error(status, "ServiceUnavailable.Unknown", "The request has failed.")

    with pytest.raises(SmsTransientError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.http_status == status


def test_an_answer_that_is_not_json_is_transient(
    server: FakeServer, dysmsapi: FakeDysmsapi
) -> None:
    dysmsapi.answer = Reply(200, b"<html>502 Bad Gateway</html>", "text/html")

    with pytest.raises(SmsTransientError):
        provider(server.base_url).send(MESSAGE)


def test_no_answer_within_the_timeout_is_transient() -> None:
    with silent_server() as url, pytest.raises(SmsTransientError) as raised:
        provider(url, timeout=0.3).send(MESSAGE)

    assert "0.3" in raised.value.message


def test_a_refused_connection_is_transient() -> None:
    with pytest.raises(SmsTransientError):
        provider(closed_port_url()).send(MESSAGE)
