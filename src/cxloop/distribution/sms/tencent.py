"""Tencent Cloud SMS (API 3.0, ``SendSms`` version 2021-01-11) signed with TC3-HMAC-SHA256.

The signature (Tencent Cloud "Signature v3"):

1. CanonicalRequest = method, "/", the query string ("" for POST), the canonical headers
   (``name:value\\n`` lowercased and sorted), the signed header names joined with ";",
   and the hex SHA-256 of the body, one per line;
2. StringToSign = "TC3-HMAC-SHA256", the X-TC-Timestamp, the credential scope
   ``<UTC date>/sms/tc3_request`` and the hex SHA-256 of the CanonicalRequest;
3. the key is derived as HMAC-SHA256 chains: "TC3" + SecretKey → date → service →
   "tc3_request", and the signature is the hex HMAC-SHA256 of StringToSign under it;
4. ``Authorization: TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, SignedHeaders=…,
   Signature=…``.
"""

import hashlib
import hmac
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from cxloop.distribution.sms.base import (
    DEFAULT_TIMEOUT_SECONDS,
    SmsError,
    SmsMessage,
    SmsReceipt,
    http_post,
    is_server_error,
    json_answer,
    template_for,
    transient_or_permanent,
)

DEFAULT_ENDPOINT = "https://sms.tencentcloudapi.com/"
DEFAULT_REGION = "ap-guangzhou"
SERVICE = "sms"
ACTION = "SendSms"
API_VERSION = "2021-01-11"
ALGORITHM = "TC3-HMAC-SHA256"
CONTENT_TYPE = "application/json; charset=utf-8"
SUCCESS_CODE = "Ok"

# Documented codes after which a later try may succeed: request and per-number frequency
# limits and Tencent's internal failures. The exceptions are limits no wait will lift and
# a clock that is off (which a retry repeats).
TRANSIENT_PREFIXES = ("RequestLimitExceeded", "LimitExceeded.", "InternalError")
PERMANENT_EXCEPTIONS = frozenset(
    {
        "LimitExceeded.PhoneNumberCountLimit",
        "InternalError.RequestTimeException",
    }
)
TRANSIENT_CODES = frozenset({"ServiceUnavailable"})


def is_transient_code(code: str) -> bool:
    if code in PERMANENT_EXCEPTIONS:
        return False
    return code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES)


def _sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac_sha256(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


@dataclass(frozen=True, slots=True)
class Tc3Signature:
    canonical_request: str
    string_to_sign: str
    signature: str
    authorization: str


def tc3_sign(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Sequence[tuple[str, str]],
    payload: bytes,
    method: str = "POST",
    canonical_query: str = "",
) -> Tc3Signature:
    """Sign a request whose ``headers`` are the ones to sign (at least content-type and host)."""
    canonical = sorted((name.strip().lower(), value.strip().lower()) for name, value in headers)
    canonical_headers = "".join(f"{name}:{value}\n" for name, value in canonical)
    signed_headers = ";".join(name for name, _value in canonical)
    canonical_request = "\n".join(
        [method, "/", canonical_query, canonical_headers, signed_headers, _sha256_hex(payload)]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [ALGORITHM, str(timestamp), scope, _sha256_hex(canonical_request.encode())]
    )
    secret_date = _hmac_sha256(f"TC3{secret_key}".encode(), date)
    secret_signing = _hmac_sha256(_hmac_sha256(secret_date, service), "tc3_request")
    signature = hmac.new(secret_signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"{ALGORITHM} Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )
    return Tc3Signature(canonical_request, string_to_sign, signature, authorization)


class TencentSmsProvider:
    name = "tencent"

    def __init__(
        self,
        *,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        templates: Mapping[str, str],
        region: str = DEFAULT_REGION,
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret_id = secret_id
        self.secret_key = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.region = region or DEFAULT_REGION
        self.endpoint = endpoint or DEFAULT_ENDPOINT
        self.timeout = timeout
        self._clock = clock

    def request_body(self, message: SmsMessage) -> bytes:
        body: dict[str, object] = {
            "PhoneNumberSet": [message.to],
            "SmsSdkAppId": self.sdk_app_id,
            "TemplateId": template_for(self.templates, message.language),
            "TemplateParamSet": [str(value) for value in message.template_params.values()],
        }
        if self.sign_name:  # required for Mainland China numbers only
            body["SignName"] = self.sign_name
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()

    def request_headers(self, payload: bytes) -> dict[str, str]:
        timestamp = int(self._clock())
        host = urlsplit(self.endpoint).netloc
        signed = tc3_sign(
            secret_id=self.secret_id,
            secret_key=self.secret_key,
            service=SERVICE,
            timestamp=timestamp,
            headers=[("Content-Type", CONTENT_TYPE), ("Host", host), ("X-TC-Action", ACTION)],
            payload=payload,
        )
        return {
            "Authorization": signed.authorization,
            "Content-Type": CONTENT_TYPE,
            "Host": host,
            "X-TC-Action": ACTION,
            "X-TC-Version": API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }

    def send(self, message: SmsMessage) -> SmsReceipt:
        payload = self.request_body(message)
        answer = http_post(
            self.endpoint,
            body=payload,
            headers=self.request_headers(payload),
            timeout=self.timeout,
        )
        document = json_answer(answer)
        response = document.get("Response") if isinstance(document, dict) else None
        if not isinstance(response, dict):
            raise self._error(
                code="", message=f"HTTP {answer.status}: unexpected answer", status=answer.status
            )
        error = response.get("Error")
        if isinstance(error, dict):
            raise self._error(
                code=str(error.get("Code", "")),
                message=str(error.get("Message", "")),
                status=answer.status,
            )
        statuses = response.get("SendStatusSet")
        if not isinstance(statuses, list) or not statuses or not isinstance(statuses[0], dict):
            raise self._error(
                code="", message=f"HTTP {answer.status}: no send status", status=answer.status
            )
        # One number per request, so its status is the message's.
        status = statuses[0]
        code = str(status.get("Code", ""))
        if code != SUCCESS_CODE:
            raise self._error(code=code, message=str(status.get("Message", "")), status=200)
        return SmsReceipt(
            provider_message_id=str(status.get("SerialNo", "")), accepted=True, raw_status=code
        )

    @staticmethod
    def _error(*, code: str, message: str, status: int) -> SmsError:
        return transient_or_permanent(
            transient=is_server_error(status) or is_transient_code(code),
            message=message or f"HTTP {status}",
            code=code,
            http_status=status,
        )
