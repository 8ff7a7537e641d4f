"""Meta's Graph API and webhooks as omnicx speaks them, shared by WhatsApp, Messenger and Instagram: the
webhook signature, the subscription handshake's token, and the Graph API's error body.

Meta signs every notification with `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body under the
app's secret; it is checked before the body is parsed. The subscription handshake (`hub.mode=subscribe`,
`hub.verify_token`, `hub.challenge`) answers the challenge only to the inbox's own verify token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from omnicx.channels.provider_api import TIMEOUT_SECONDS, ApiError, json_body
from omnicx.kernel.errors import Forbidden

API_BASE = "https://graph.facebook.com"
API_VERSION = "v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# Meta's throttling and temporary failure codes: worth retrying later, like HTTP 429.
THROTTLED = frozenset({1, 2, 4, 17, 32, 613, 80006, 80007, 130429, 131048, 131056})


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(app_secret: str, body: bytes, given: str | None) -> bool:
    """Whether `given` is Meta's signature of `body`, compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(signature(app_secret, body).encode(), given.strip().lower().encode())


def token_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def api_error(provider: str, response: httpx.Response) -> ApiError:
    """The Graph API's refusal: `{"error": {"code", "error_subcode", "message"}}`; the subcode is kept in the
    message (Messenger's window refusal is code 10, subcode 2018278)."""
    found = json_body(response).get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    code = error.get("code")
    message = str(error.get("message") or response.reason_phrase or "no reason given")
    subcode = error.get("error_subcode")
    if isinstance(subcode, int):
        message = f"{message} (subcode {subcode})"
    return ApiError(
        provider,
        response.status_code,
        code if isinstance(code, int) else None,
        message,
        transient_codes=THROTTLED,
    )


def client(access_token: str, api_base: str) -> httpx.Client:
    """An HTTP client for the Graph API's version omnicx speaks, with a bearer access token."""
    return httpx.Client(
        base_url=f"{api_base.rstrip('/')}/{API_VERSION}",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=TIMEOUT_SECONDS,
    )


def challenge_answer(verify_token: str, *, mode: str, token: str, challenge: str) -> str:
    """The subscription handshake: the challenge back when the verify token is the inbox's, else Forbidden."""
    if mode != "subscribe" or not token_matches(verify_token, token):
        raise Forbidden("the verify token does not match this inbox")
    return challenge
