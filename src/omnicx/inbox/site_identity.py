"""Signed site identities (pure): how a website proves to its chat inbox who its signed-in visitor is.

The site's back end computes `user_hash = HMAC-SHA256(inbox identity secret, user id)` (hex), or of the email
when it has no user id, and hands it to the widget with that value, as Intercom's identity verification and
Chatwoot's `identifier_hash` do. The secret never leaves the site's server and omnicx; a visitor who types an
email, or sends another user's id, cannot produce the hash.

Only the signed value is proven: an email sent along with a signed user id stays a claim.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

SECRET_BYTES = 32


def new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def signed_value(user_id: str | None, email: str | None) -> str | None:
    """What the site signs: the user id when it passes one, else the email (None: nothing to verify)."""
    return (user_id or "").strip() or (email or "").strip() or None


def sign(secret: str, value: str) -> str:
    return hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, value: str, user_hash: str) -> bool:
    """Whether `user_hash` is the site's signature of `value` (constant-time comparison)."""
    return hmac.compare_digest(sign(secret, value).encode(), user_hash.strip().lower().encode())
