import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from cxloop.distribution.sms.base import SmsMessage, SmsPermanentError, SmsTransientError
from cxloop.distribution.sms.tencent import TencentSmsProvider, tc3_sign
from tests.distribution.sms_server import (
    FakeServer,
    ReceivedRequest,
    Reply,
    running_server,
    silent_server,
)

SECRET_ID = "AKIDtestSecretId00000000000000000001"
SECRET_KEY = "testSecretKey000000000000000001"
SDK_APP_ID = "1400006666"
MESSAGE = SmsMessage(
    to="+8613711112222",
    text="unused by Tencent Cloud",
    template_params={"name": "李雷", "link": "https://cx.example.com/r/Zz9"},
    language="zh-Hans",
)
SERIAL_NO = "5000:1045710669157053657849499619"

AUTHORIZATION = re.compile(
    r"TC3-HMAC-SHA256 Credential=(?P<secret_id>[^/]+)/(?P<date>\d{4}-\d{2}-\d{2})/"
    r"(?P<service>[a-z]+)/tc3_request, SignedHeaders=(?P<signed>[a-z0-9;-]+), "
    r"Signature=(?P<signature>[0-9a-f]{64})"
)


def tencent_error(code: str, message: str) -> Reply:
    # API 3.0 answers errors with HTTP 200 and Response.Error.
    return Reply.json(
        200,
        {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": str(uuid.uuid4())}},
    )


def send_status(code: str = "Ok", message: str = "send success") -> Reply:
    return Reply.json(
        200,
        {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": SERIAL_NO,
                        "PhoneNumber": MESSAGE.to,
                        "Fee": 1,
                        "SessionContext": "",
                        "Code": code,
                        "Message": message,
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        },
    )


def expected_tc3_signature(
    request: ReceivedRequest, *, secret_key: str, signed_headers: str, date: str, timestamp: str
) -> str:
    """TC3-HMAC-SHA256 as the documentation describes it, step by step."""
    canonical_headers = "".join(
        f"{name}:{request.header(name).strip().lower()}\n" for name in signed_headers.split(";")
    )
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            signed_headers,
            hashlib.sha256(request.body).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            timestamp,
            f"{date}/sms/tc3_request",
            hashlib.sha256(canonical_request.encode()).hexdigest(),
        ]
    )

    def step(key: bytes, message: str) -> bytes:
        return hmac.new(key, message.encode(), hashlib.sha256).digest()

    signing_key = step(step(step(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class FakeTencentSms:
    """Checks a request as sms.tencentcloudapi.com does, then gives the chosen answer."""

    def __init__(self) -> None:
        self.secrets = {SECRET_ID: SECRET_KEY}
        self.answer = send_status()
        self.accepted: list[tuple[ReceivedRequest, dict[str, object]]] = []

    def handle(self, request: ReceivedRequest) -> Reply:
        if (
            request.header("X-TC-Action") != "SendSms"
            or request.header("X-TC-Version") != "2021-01-11"
        ):
            return tencent_error("InvalidAction", "The action or version is wrong.")
        match = AUTHORIZATION.fullmatch(request.header("Authorization"))
        if match is None:
            return tencent_error("AuthFailure.InvalidAuthorization", "Authorization is malformed.")
        secret_key = self.secrets.get(match["secret_id"])
        if secret_key is None:
            return tencent_error("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
        signed = match["signed"]
        if not {"content-type", "host"} <= set(signed.split(";")):
            return tencent_error(
                "AuthFailure.SignatureFailure", "content-type and host must be signed."
            )
        timestamp = request.header("X-TC-Timestamp")
        if abs(time.time() - int(timestamp)) > 300:
            return tencent_error("AuthFailure.SignatureExpire", "The signature expired.")
        if match["date"] != datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d"):
            return tencent_error("AuthFailure.SignatureFailure", "The credential date is wrong.")
        expected = expected_tc3_signature(
            request,
            secret_key=secret_key,
            signed_headers=signed,
            date=match["date"],
            timestamp=timestamp,
        )
        if match["service"] != "sms" or not hmac.compare_digest(expected, match["signature"]):
            return tencent_error(
                "AuthFailure.SignatureFailure",
                "The provided credentials could not be validated. Please check your signature is correct.",
            )
        self.accepted.append((request, json.loads(request.body)))
        return self.answer


@pytest.fixture
def tencent() -> FakeTencentSms:
    return FakeTencentSms()


@pytest.fixture
def server(tencent: FakeTencentSms) -> Iterator[FakeServer]:
    with running_server(tencent.handle) as running:
        yield running


def provider(endpoint: str, **overrides: object) -> TencentSmsProvider:
    settings: dict[str, object] = {
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
        "sdk_app_id": SDK_APP_ID,
        "sign_name": "腾讯云",
        "templates": {"zh-Hans": "449739", "en": "449740"},
        "region": "ap-beijing",
        "endpoint": endpoint + "/",
        "timeout": 2.0,
    }
    settings.update(overrides)
    return TencentSmsProvider(**settings)  # type: ignore[arg-type]


# --- the documentation's worked example -----------------------------------------------------


def test_signature_reproduces_the_tc3_documentation_example() -> None:
    # "Signature v3": CVM DescribeInstances at 1551113065, SecretKey
    # Gu5t9xGARNpq86cd98joQYCN3EXAMPLE, content-type and host signed.
    payload = (
        b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
    )

    signed = tc3_sign(
        secret_id="AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
        secret_key="Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        service="cvm",
        timestamp=1551113065,
        headers=[
            ("Content-Type", "application/json; charset=utf-8"),
            ("Host", "cvm.tencentcloudapi.com"),
        ],
        payload=payload,
    )

    assert signed.canonical_request == (
        "POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
        "host:cvm.tencentcloudapi.com\n\ncontent-type;host\n"
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    assert signed.string_to_sign == (
        "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n"
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    assert signed.authorization == (
        "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/"
        "tc3_request, SignedHeaders=content-type;host, "
        "Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    )


# --- against the local SMS API --------------------------------------------------------------


def test_send_is_signed_and_returns_the_serial_number(
    server: FakeServer, tencent: FakeTencentSms
) -> None:
    receipt = provider(server.base_url).send(MESSAGE)

    assert receipt.provider_message_id == SERIAL_NO
    assert receipt.accepted is True
    assert receipt.raw_status == "Ok"
    [(request, body)] = tencent.accepted
    assert body == {
        "PhoneNumberSet": ["+8613711112222"],
        "SmsSdkAppId": SDK_APP_ID,
        "SignName": "腾讯云",
        "TemplateId": "449739",
        # Positional template: the values in the message's order, {1} name and {2} link.
        "TemplateParamSet": ["李雷", "https://cx.example.com/r/Zz9"],
    }
    assert request.header("X-TC-Region") == "ap-beijing"
    assert request.header("Content-Type") == "application/json; charset=utf-8"


def test_without_a_sign_name_none_is_sent(server: FakeServer, tencent: FakeTencentSms) -> None:
    provider(server.base_url, sign_name="").send(MESSAGE)

    assert "SignName" not in tencent.accepted[0][1]


def test_a_wrong_secret_key_fails_the_signature_check_permanently(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, secret_key="not-the-key").send(MESSAGE)

    assert raised.value.code == "AuthFailure.SignatureFailure"


def test_an_unknown_secret_id_is_permanent(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, secret_id="AKIDunknown").send(MESSAGE)

    assert raised.value.code == "AuthFailure.SecretIdNotFound"


def test_a_clock_off_by_an_hour_is_refused_permanently(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, clock=lambda: time.time() - 3600).send(MESSAGE)

    assert raised.value.code == "AuthFailure.SignatureExpire"


@pytest.mark.parametrize(
    "code",
    [
        "LimitExceeded.PhoneNumberThirtySecondLimit",
        "LimitExceeded.PhoneNumberDailyLimit",
        "LimitExceeded.DeliveryFrequencyLimit",
    ],
)
def test_per_number_frequency_limits_are_transient(
    server: FakeServer, tencent: FakeTencentSms, code: str
) -> None:
    tencent.answer = send_status(code, "frequency limit")

    with pytest.raises(SmsTransientError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == code


@pytest.mark.parametrize(
    "code",
    [
        "InvalidParameterValue.IncorrectPhoneNumber",
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "FailedOperation.TemplateIncorrectOrUnapproved",
        "FailedOperation.SignatureIncorrectOrUnapproved",
        "FailedOperation.PhoneNumberInBlacklist",
        "InvalidParameterValue.TemplateParameterFormatError",
    ],
)
def test_per_number_number_template_sign_and_balance_problems_are_permanent(
    server: FakeServer, tencent: FakeTencentSms, code: str
) -> None:
    tencent.answer = send_status(code, "refused")

    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == code


@pytest.mark.parametrize(
    ("code", "transient"),
    [
        ("RequestLimitExceeded", True),
        ("InternalError.Timeout", True),
        ("InternalError", True),
        ("ServiceUnavailable", True),
        ("InternalError.RequestTimeException", False),
        ("UnauthorizedOperation.SmsSdkAppIdVerifyFail", False),
        ("LimitExceeded.PhoneNumberCountLimit", False),
        ("InvalidParameter", False),
    ],
)
def test_request_errors_map_to_transient_or_permanent(
    server: FakeServer, tencent: FakeTencentSms, code: str, transient: bool
) -> None:
    tencent.answer = tencent_error(code, "error")

    with pytest.raises(SmsTransientError if transient else SmsPermanentError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == code


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(
    server: FakeServer, tencent: FakeTencentSms, status: int
) -> None:
    tencent.answer = Reply(status, b"<html>Service Unavailable</html>", "text/html")

    with pytest.raises(SmsTransientError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.http_status == status


def test_malformed_json_is_transient(server: FakeServer, tencent: FakeTencentSms) -> None:
    tencent.answer = Reply(200, b'{"Response": {"SendStatusSet": [', "application/json")

    with pytest.raises(SmsTransientError):
        provider(server.base_url).send(MESSAGE)


def test_no_answer_within_the_timeout_is_transient() -> None:
    with silent_server() as url, pytest.raises(SmsTransientError):
        provider(url, timeout=0.3).send(MESSAGE)
