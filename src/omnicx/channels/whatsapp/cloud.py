"""Meta's WhatsApp Cloud API as omnicx speaks it: the webhook signature, the notification payload, its statuses
and errors, and the calls omnicx makes (whose number is this phone number id; send a message).

Notifications are signed with `X-Hub-Signature-256: sha256=<hex>`, HMAC-SHA256 of the raw body under the
Meta app's secret; it is checked before the body is parsed. The verification handshake (`hub.mode=subscribe`,
`hub.verify_token`, `hub.challenge`) answers the challenge only to the inbox's own verify token.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import httpx

from omnicx.channels.provider_api import TIMEOUT_SECONDS, ApiClient, ApiError, ProviderError, json_body
from omnicx.inbox.enums import DeliveryStatus

API_BASE = "https://graph.facebook.com"
API_VERSION = "v21.0"
SIGNATURE_HEADER = "X-Hub-Signature-256"
# A message outside the customer service window (the customer wrote more than 24 hours ago).
RE_ENGAGEMENT_ERROR = 131047

STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def signature(app_secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(app_secret: str, body: bytes, given: str | None) -> bool:
    """Whether `given` is Meta's signature of `body`, compared in constant time."""
    if not given:
        return False
    return hmac.compare_digest(signature(app_secret, body).encode(), given.strip().lower().encode())


def token_matches(expected: str, given: str | None) -> bool:
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


# Meta's throttling codes: worth retrying later, like HTTP 429.
THROTTLED = frozenset({4, 80007, 130429, 131048, 131056})


def api_error(response: httpx.Response) -> ApiError:
    found = json_body(response).get("error")
    error: dict[str, Any] = found if isinstance(found, dict) else {}
    code = error.get("code")
    message = str(error.get("message") or response.reason_phrase or "no reason given")
    code = code if isinstance(code, int) else None
    return ApiError("WhatsApp", response.status_code, code, message, transient_codes=THROTTLED)


class GraphApi(ApiClient):
    """The calls omnicx makes for one WhatsApp business number (`api_base` replaceable for a simulator)."""

    def __init__(self, phone_number_id: str, access_token: str, *, api_base: str = API_BASE) -> None:
        self.phone_number_id = phone_number_id
        super().__init__(
            httpx.Client(
                base_url=f"{api_base.rstrip('/')}/{API_VERSION}",
                headers={"Authorization": f"Bearer {access_token}"},
                timeout=TIMEOUT_SECONDS,
            )
        )

    def display_number(self) -> str:
        """The number the phone number id belongs to, as WhatsApp shows it (`+33 1 99 00 12 34`)."""
        response = self._client.get(f"/{self.phone_number_id}", params={"fields": "display_phone_number"})
        if response.status_code != 200:
            raise ProviderError(api_error(response))
        return str(response.json().get("display_phone_number") or "")

    def send(self, message: dict[str, Any]) -> str:
        """Send one message (text or template); returns its `wamid`, which statuses name."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        response = self._client.post(f"/{self.phone_number_id}/messages", json=body)
        if response.status_code != 200:
            raise ProviderError(api_error(response))
        return str(response.json()["messages"][0]["id"])
