"""Chat visitors' credentials: the server picks a random visitor id and signs it for one inbox.

A visitor proves who they are with `(visitor_id, signature)`, kept by the widget in the browser's storage;
nobody can read another visitor's conversation without that pair. The tracking anonymous id, when the site
has one, is only an identifier for identity resolution, never a credential.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_visitor_id() -> str:
    return f"v_{secrets.token_urlsafe(18)}"


def sign(secret: str, inbox_address: str, visitor_id: str) -> str:
    return hmac.new(
        secret.encode(), f"chat:{inbox_address}:{visitor_id}".encode(), hashlib.sha256
    ).hexdigest()


def verify(secret: str, inbox_address: str, visitor_id: str, signature: str | None) -> bool:
    if not signature or not visitor_id.startswith("v_"):
        return False
    return hmac.compare_digest(sign(secret, inbox_address, visitor_id), signature)
