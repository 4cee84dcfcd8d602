import base64
import binascii
import secrets
from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest

from cxloop.distribution.sms.base import SmsMessage, SmsPermanentError, SmsTransientError
from cxloop.distribution.sms.twilio import TwilioSmsProvider
from tests.distribution.sms_server import (
    FakeServer,
    ReceivedRequest,
    Reply,
    running_server,
    silent_server,
)

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "f" * 32
SERVICE_SID = "MG" + "fedcba9876543210" * 2
MESSAGE = SmsMessage(to="+14155550123", text="How was your visit? https://cx.example.com/r/Q1")


def twilio_error(status: int, code: int, message: str) -> Reply:
    return Reply.json(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )


class FakeTwilio:
    """Authenticates and validates a Messages request as api.twilio.com does."""

    def __init__(self) -> None:
        self.tokens = {ACCOUNT_SID: AUTH_TOKEN}
        self.status = "queued"
        self.answer: Reply | None = None  # None: a created message
        self.accepted: list[dict[str, str]] = []

    def _authenticated_sid(self, request: ReceivedRequest) -> str | None:
        scheme, _, encoded = request.header("Authorization").partition(" ")
        if scheme != "Basic":
            return None
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        expected = self.tokens.get(user)
        if expected is None or not secrets.compare_digest(expected, password):
            return None
        return user

    def handle(self, request: ReceivedRequest) -> Reply:
        account = self._authenticated_sid(request)
        if account is None:
            return twilio_error(401, 20003, "Authenticate")
        if request.path != f"/2010-04-01/Accounts/{account}/Messages.json":
            return twilio_error(404, 20404, "The requested resource was not found")
        form = {name: values[0] for name, values in parse_qs(request.body.decode()).items()}
        if "To" not in form:
            return twilio_error(400, 21604, "A 'To' phone number is required.")
        if "From" not in form and "MessagingServiceSid" not in form:
            return twilio_error(400, 21603, "A 'From' phone number is required.")
        if not form.get("Body"):
            return twilio_error(400, 21602, "Message body is required.")
        self.accepted.append(form)
        if self.answer is not None:
            return self.answer
        return Reply.json(
            201,
            {
                "account_sid": account,
                "sid": "SM" + "1" * 32,
                "status": self.status,
                "to": form["To"],
                "body": form["Body"],
                "num_segments": "1",
                "error_code": None,
                "error_message": None,
            },
        )


@pytest.fixture
def twilio() -> FakeTwilio:
    return FakeTwilio()


@pytest.fixture
def server(twilio: FakeTwilio) -> Iterator[FakeServer]:
    with running_server(twilio.handle) as running:
        yield running


def provider(endpoint: str, **overrides: object) -> TwilioSmsProvider:
    settings: dict[str, object] = {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "from_number": "+14155550100",
        "endpoint": endpoint,
        "timeout": 2.0,
    }
    settings.update(overrides)
    return TwilioSmsProvider(**settings)  # type: ignore[arg-type]


def test_send_posts_the_text_and_returns_the_message_sid(
    server: FakeServer, twilio: FakeTwilio
) -> None:
    receipt = provider(server.base_url).send(MESSAGE)

    assert receipt.provider_message_id == "SM" + "1" * 32
    assert receipt.accepted is True
    assert receipt.raw_status == "queued"
    assert twilio.accepted == [{"To": "+14155550123", "From": "+14155550100", "Body": MESSAGE.text}]


def test_a_messaging_service_replaces_the_from_number(
    server: FakeServer, twilio: FakeTwilio
) -> None:
    provider(server.base_url, messaging_service_sid=SERVICE_SID).send(MESSAGE)

    assert twilio.accepted[0]["MessagingServiceSid"] == SERVICE_SID
    assert "From" not in twilio.accepted[0]


def test_without_a_sender_nothing_is_sent(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError):
        provider(server.base_url, from_number="").send(MESSAGE)

    assert server.received == []


def test_a_wrong_auth_token_is_permanent(server: FakeServer) -> None:
    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url, auth_token="0" * 32).send(MESSAGE)

    assert (raised.value.code, raised.value.http_status) == ("20003", 401)


def test_a_message_twilio_already_knows_it_cannot_deliver_is_not_accepted(
    server: FakeServer, twilio: FakeTwilio
) -> None:
    twilio.status = "failed"

    receipt = provider(server.base_url).send(MESSAGE)

    assert (receipt.accepted, receipt.raw_status) == (False, "failed")


@pytest.mark.parametrize(
    "code",
    [
        21211,  # invalid 'To' number
        21614,  # not a mobile number
        21610,  # the recipient replied STOP
        21408,  # sending to this region is not enabled
        21606,  # the 'From' number cannot send
    ],
)
def test_number_and_account_problems_are_permanent(
    server: FakeServer, twilio: FakeTwilio, code: int
) -> None:
    twilio.answer = twilio_error(400, code, "refused")

    with pytest.raises(SmsPermanentError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == str(code)
    assert raised.value.message == "refused"


def test_too_many_requests_is_transient(server: FakeServer, twilio: FakeTwilio) -> None:
    twilio.answer = twilio_error(429, 20429, "Too Many Requests")

    with pytest.raises(SmsTransientError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.code == "20429"


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_transient(server: FakeServer, twilio: FakeTwilio, status: int) -> None:
    twilio.answer = twilio_error(status, 20500, "Internal Server Error")

    with pytest.raises(SmsTransientError) as raised:
        provider(server.base_url).send(MESSAGE)

    assert raised.value.http_status == status


def test_malformed_json_is_transient(server: FakeServer, twilio: FakeTwilio) -> None:
    twilio.answer = Reply(201, b"not json", "text/plain")

    with pytest.raises(SmsTransientError):
        provider(server.base_url).send(MESSAGE)


def test_no_answer_within_the_timeout_is_transient() -> None:
    with silent_server() as url, pytest.raises(SmsTransientError):
        provider(url, timeout=0.3).send(MESSAGE)
