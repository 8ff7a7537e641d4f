"""Secrets at rest: argon2 for passwords, SHA-256 for high-entropy tokens, HMAC for CSRF tokens and signed ids.

Tokens are random 256-bit values, so a fast hash is enough to make a stolen database useless; passwords are
low-entropy, so they get a memory-hard hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
# A real hash to verify against when the user does not exist, so timing does not reveal which emails exist. Made
# at the first verification rather than on import: one hash is about a third of a second, and every command
# (the CLI's help included) imports this module.
_dummy_hash: str | None = None


def use_cheap_password_hashing() -> None:
    """Test runs only: still argon2id, with the cheapest parameters, so fixtures with many users stay fast."""
    global _hasher, _dummy_hash
    _hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
    _dummy_hash = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


TOKEN_PREFIX = "omx_"  # noqa: S105 - a public prefix, not a secret


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def new_token(prefix: str = TOKEN_PREFIX) -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(secret: str, anchor: str) -> str:
    """A CSRF token bound to one session (or pre-session cookie): nothing to store, nothing to leak."""
    return hmac.new(secret.encode(), f"csrf:{anchor}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: str, anchor: str, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, anchor), presented)


def sign_id(secret: str, purpose: bytes, value: uuid.UUID) -> str:
    """`<hex id>.<signature>`: a link's token naming one row, which cannot be made up for another row and needs
    nothing stored to check. Each `purpose` has its own key, so a token made for one kind of link (a rating, a
    survey, a review) never opens another kind."""
    return f"{value.hex}.{_id_signature(secret, purpose, value)}"


def signed_id(secret: str, purpose: bytes, token: str) -> uuid.UUID | None:
    """The id a `sign_id` token names, or None when its signature is wrong (compared in constant time) or it is
    malformed."""
    value_hex, _, signature = token.partition(".")
    try:
        value = uuid.UUID(hex=value_hex)
    except ValueError:
        return None
    if not hmac.compare_digest(signature.encode(), _id_signature(secret, purpose, value).encode()):
        return None
    return value


def _id_signature(secret: str, purpose: bytes, value: uuid.UUID) -> str:
    key = hmac.new(secret.encode(), purpose, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(hmac.new(key, value.bytes, hashlib.sha256).digest()[:18]).decode()
