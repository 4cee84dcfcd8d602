"""Provider credentials encrypted at rest (Fernet, with a key derived from SECRET_KEY).

The key is HKDF-SHA256 of the Django secret key under a purpose label, so it is never the
secret key itself and serves nothing else. Values encrypted under a key listed in
SECRET_KEY_FALLBACKS stay readable after a key rotation; they are re-encrypted under the
new key the next time the configuration is saved.
"""

import base64
import json
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

_PURPOSE = b"cxloop.distribution.sms.credentials.v1"


class CredentialsUnreadable(Exception):
    """The stored credentials were encrypted under a key this installation no longer has."""


def _fernet_for(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_PURPOSE).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(key))


def _cipher() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def encrypt_credentials(credentials: Mapping[str, str]) -> str:
    return _cipher().encrypt(json.dumps(dict(credentials), sort_keys=True).encode()).decode()


def decrypt_credentials(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        data = json.loads(_cipher().decrypt(token.encode()))
    except InvalidToken as error:
        raise CredentialsUnreadable from error
    return {str(key): str(value) for key, value in data.items()}
