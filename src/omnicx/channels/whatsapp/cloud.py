"""Meta's WhatsApp Cloud API as omnicx speaks it: the notification's statuses and errors, and the calls omnicx
makes (whose number is this phone number id; send a message). The webhook's signature and handshake are
Meta's for every channel (`channels/meta/graph.py`).
"""

from __future__ import annotations

from typing import Any

import httpx

from omnicx.channels.meta import graph
from omnicx.channels.meta.graph import API_BASE, API_VERSION, SIGNATURE_HEADER, signature_valid, token_matches
from omnicx.channels.provider_api import ApiClient, ApiError, ProviderError
from omnicx.inbox.enums import DeliveryStatus

__all__ = [
    "API_BASE",
    "API_VERSION",
    "RE_ENGAGEMENT_ERROR",
    "SIGNATURE_HEADER",
    "STATUSES",
    "GraphApi",
    "api_error",
    "signature_valid",
    "token_matches",
]

# A message outside the customer service window (the customer wrote more than 24 hours ago).
RE_ENGAGEMENT_ERROR = 131047

STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def api_error(response: httpx.Response) -> ApiError:
    return graph.api_error("WhatsApp", response)


class GraphApi(ApiClient):
    """The calls omnicx makes for one WhatsApp business number (`api_base` replaceable for a simulator)."""

    def __init__(self, phone_number_id: str, access_token: str, *, api_base: str = API_BASE) -> None:
        self.phone_number_id = phone_number_id
        super().__init__(graph.client(access_token, api_base))

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
