"""Channel credentials encrypted at rest with Fernet, keyed apart from Django's secret key.

`SIARAN_CREDENTIALS_KEY` may list several keys separated by commas: the first encrypts,
all decrypt, so a key is rotated by putting the new one first and re-saving accounts.
"""

from __future__ import annotations

import functools
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class CredentialsUnreadable(Exception):
    """The stored credentials were encrypted with a key this deployment does not have."""


@functools.cache
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def encrypt(credentials: dict[str, str]) -> str:
    if not credentials:
        return ""
    data = json.dumps(credentials, sort_keys=True).encode()
    return _fernet(settings.SIARAN_CREDENTIALS_KEY).encrypt(data).decode()


def decrypt(token: str) -> dict[str, str]:
    if not token:
        return {}
    try:
        data = _fernet(settings.SIARAN_CREDENTIALS_KEY).decrypt(token.encode())
    except InvalidToken as error:
        raise CredentialsUnreadable from error
    return json.loads(data)
