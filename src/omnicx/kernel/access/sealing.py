"""Secrets omnicx must read back (an inbox's identity secret), stored sealed: encrypted and authenticated with
Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the server's secret key with HKDF-SHA256, one key
per purpose. A copy of the database alone does not reveal them; changing the server's secret key makes them
unreadable (`unseal` answers None), so they must then be generated again.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


@functools.lru_cache(maxsize=8)
def _fernet(secret_key: str, purpose: str) -> Fernet:
    derived = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=f"omnicx sealing: {purpose}".encode()
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(secret_key: str, plaintext: str, *, purpose: str) -> str:
    """`plaintext` encrypted under the key of `purpose` (a token of ASCII characters, safe to store)."""
    return _fernet(secret_key, purpose).encrypt(plaintext.encode()).decode("ascii")


def unseal(secret_key: str, sealed: str, *, purpose: str) -> str | None:
    """What `seal` sealed, or None when it cannot be read (another secret key or purpose, altered data)."""
    try:
        return _fernet(secret_key, purpose).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        return None
