"""Aliyun SMS (Dysmsapi 2017-05-25 ``SendSms``) with the RPC signature, version 1.0.

The signature (Aliyun's "RPC signature mechanism"): sort every parameter but ``Signature``
by name, percent-encode names and values (RFC 3986: only A–Z a–z 0–9 - _ . ~ stay as they
are, a space is %20), join them as ``name=value`` with ``&``; the string to sign is
``METHOD&%2F&`` + the percent-encoded result, signed with HMAC-SHA1 under the key
``AccessKeySecret + "&"`` and base64-encoded.
"""

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

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

DEFAULT_ENDPOINT = "https://dysmsapi.aliyuncs.com/"
API_VERSION = "2017-05-25"
SUCCESS_CODE = "OK"

# Documented SendSms codes after which a later try may succeed: flow control and the
# provider's own failures. Every other code needs a person (see base.py).
TRANSIENT_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.BUSINESS_LIMIT_HOUR",
        "isv.BUSINESS_LIMIT_DAY",
        "BUSINESS_LIMIT_CONTROL_MINUTE",
        "BUSINESS_LIMIT_CONTROL_PHONE",
        "isv.DATA_NOT_EXIST",  # "please try again later"
        "isp.SYSTEM_ERROR",
        "isp.GATEWAY_ERROR",
        "isp.UNKNOWN",
        "InternalError",
        "ServiceUnavailable",
        "SignatureNonceUsed",  # a new nonce is drawn on every try
    }
)
TRANSIENT_PREFIXES = ("Throttling",)


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~", encoding="utf-8")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(
        f"{percent_encode(name)}={percent_encode(params[name])}"
        for name in sorted(params)
        if name != "Signature"
    )
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"


def rpc_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    digest = hmac.new(
        f"{access_key_secret}&".encode(),
        string_to_sign(method, params).encode(),
        hashlib.sha1,
    ).digest()
    return base64.b64encode(digest).decode()


def is_transient_code(code: str) -> bool:
    return code in TRANSIENT_CODES or code.startswith(TRANSIENT_PREFIXES)


def _utc_timestamp() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class AliyunSmsProvider:
    name = "aliyun"

    def __init__(
        self,
        *,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        endpoint: str = DEFAULT_ENDPOINT,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        region_id: str = "cn-hangzhou",
        nonce: Callable[[], str] = lambda: uuid.uuid4().hex,
        timestamp: Callable[[], str] = _utc_timestamp,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.endpoint = endpoint or DEFAULT_ENDPOINT
        self.timeout = timeout
        self.region_id = region_id
        self._nonce = nonce
        self._timestamp = timestamp

    def signed_params(self, message: SmsMessage) -> dict[str, str]:
        params = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "RegionId": self.region_id,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": self._nonce(),
            "SignatureVersion": "1.0",
            "Timestamp": self._timestamp(),
            "Version": API_VERSION,
            # Mainland numbers may carry 86, other countries need their code, never "+".
            "PhoneNumbers": message.to.removeprefix("+"),
            "SignName": self.sign_name,
            "TemplateCode": template_for(self.templates, message.language),
            "TemplateParam": json.dumps(
                dict(message.template_params), ensure_ascii=False, separators=(",", ":")
            ),
        }
        params["Signature"] = rpc_signature("POST", params, self.access_key_secret)
        return params

    def send(self, message: SmsMessage) -> SmsReceipt:
        body = urlencode(self.signed_params(message), quote_via=quote).encode()
        answer = http_post(
            self.endpoint,
            body=body,
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                "Accept": "application/json",
            },
            timeout=self.timeout,
        )
        payload = json_answer(answer)
        code = str(payload.get("Code", "")) if isinstance(payload, dict) else ""
        if answer.status == 200 and code == SUCCESS_CODE:
            return SmsReceipt(
                provider_message_id=str(payload.get("BizId", "")),
                accepted=True,
                raw_status=code,
            )
        message_text = (
            str(payload.get("Message", "")) if isinstance(payload, dict) else ""
        ) or f"HTTP {answer.status}"
        raise self._error(code=code, message=message_text, http_status=answer.status)

    @staticmethod
    def _error(*, code: str, message: str, http_status: int) -> SmsError:
        return transient_or_permanent(
            transient=is_server_error(http_status) or is_transient_code(code),
            message=message,
            code=code,
            http_status=http_status,
        )
