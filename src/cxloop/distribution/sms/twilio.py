"""Twilio Programmable Messaging: free text, ``POST /2010-04-01/Accounts/{sid}/Messages.json``.

Requests authenticate with HTTP Basic (Account SID as the user, Auth Token as the password)
and send a form: ``To``, ``Body`` and either ``From`` (a number or an alphanumeric sender
id) or ``MessagingServiceSid``. Errors come as JSON ``{"code": 21211, "message": …,
"more_info": …, "status": 400}``.
"""

import base64
from urllib.parse import quote, urlencode

from cxloop.distribution.sms.base import (
    DEFAULT_TIMEOUT_SECONDS,
    SmsError,
    SmsMessage,
    SmsPermanentError,
    SmsReceipt,
    http_post,
    is_server_error,
    json_answer,
    transient_or_permanent,
)

DEFAULT_ENDPOINT = "https://api.twilio.com"
TOO_MANY_REQUESTS = 429
# Documented error codes a later try may get past: rate limits and Twilio's own failures.
TRANSIENT_CODES = frozenset({20429, 20500, 20503})
# A message Twilio took but already knows it will not deliver.
REFUSED_STATUSES = frozenset({"failed", "undelivered", "canceled"})


def is_transient(*, code: int | None, http_status: int) -> bool:
    return (
        is_server_error(http_status)
        or http_status == TOO_MANY_REQUESTS
        or (code is not None and code in TRANSIENT_CODES)
    )


class TwilioSmsProvider:
    name = "twilio"

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        from_number: str = "",
        messaging_service_sid: str = "",
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.messaging_service_sid = messaging_service_sid
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/")
        self.timeout = timeout

    @property
    def messages_url(self) -> str:
        account = quote(self.account_sid, safe="")
        return f"{self.endpoint}/2010-04-01/Accounts/{account}/Messages.json"

    def form(self, message: SmsMessage) -> dict[str, str]:
        if not message.text.strip():
            raise SmsPermanentError("The message has no text.", code="empty_body")
        form = {"To": message.to, "Body": message.text}
        # A Messaging Service picks the sender itself and takes precedence when both are set.
        if self.messaging_service_sid:
            form["MessagingServiceSid"] = self.messaging_service_sid
        elif self.from_number:
            form["From"] = self.from_number
        else:
            raise SmsPermanentError("Neither a From number nor a Messaging Service is set.")
        return form

    def send(self, message: SmsMessage) -> SmsReceipt:
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        answer = http_post(
            self.messages_url,
            body=urlencode(self.form(message)).encode(),
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            timeout=self.timeout,
        )
        payload = json_answer(answer)
        if not isinstance(payload, dict):
            raise self._error(code=None, message="", http_status=answer.status)
        if 200 <= answer.status < 300 and payload.get("sid"):
            status = str(payload.get("status", ""))
            return SmsReceipt(
                provider_message_id=str(payload["sid"]),
                accepted=status not in REFUSED_STATUSES,
                raw_status=status,
            )
        raw_code = payload.get("code")
        code = raw_code if isinstance(raw_code, int) else None
        raise self._error(
            code=code, message=str(payload.get("message", "")), http_status=answer.status
        )

    @staticmethod
    def _error(*, code: int | None, message: str, http_status: int) -> SmsError:
        return transient_or_permanent(
            transient=is_transient(code=code, http_status=http_status),
            message=message or f"HTTP {http_status}",
            code=str(code) if code is not None else "",
            http_status=http_status,
        )
