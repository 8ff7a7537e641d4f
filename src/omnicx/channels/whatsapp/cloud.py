"""Meta's WhatsApp Cloud API as omnicx speaks it: the notification's statuses and errors, and the calls omnicx
makes (whose number is this phone number id; send a message; where a customer's media is; which templates the
business account had approved). The webhook's
signature and handshake are Meta's for every channel (`channels/meta/graph.py`).

A media message names a media id: `GET /{version}/{media-id}` (bearer token) answers a short-lived `url`, and a
GET of that URL with the same token answers the bytes. The URL is on Meta's media host (`lookaside.fbsbx.com`),
not on the Graph API's: the token is sent there and to the configured API's own host, nowhere else.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import httpx

from omnicx.channels.meta import graph
from omnicx.channels.meta.graph import API_BASE, API_VERSION, SIGNATURE_HEADER, signature_valid, token_matches
from omnicx.channels.provider_api import ApiClient, ApiError, ProviderError, json_body
from omnicx.inbox.enums import DeliveryStatus

__all__ = [
    "API_BASE",
    "API_VERSION",
    "RE_ENGAGEMENT_ERROR",
    "SIGNATURE_HEADER",
    "STATUSES",
    "GraphApi",
    "api_error",
    "media_hosts",
    "signature_valid",
    "token_matches",
]

# How many pages of templates are read (100 a page): a business account rarely has more.
TEMPLATE_PAGES = 5
TEMPLATE_FIELDS = "name,language,status,category,components"
_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")

# A message outside the customer service window (the customer wrote more than 24 hours ago).
RE_ENGAGEMENT_ERROR = 131047
# Where the Graph API's media URLs point: the host Meta serves WhatsApp media from.
MEDIA_HOST = "lookaside.fbsbx.com"

STATUSES = {
    "sent": DeliveryStatus.SENT,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED,
}


def api_error(response: httpx.Response) -> ApiError:
    return graph.api_error("WhatsApp", response)


def media_hosts(api_base: str) -> frozenset[str]:
    """The hosts a media URL may name for an inbox on `api_base`: the API's own, and Meta's media host when
    the API is Meta's (a local stand-in serves its media itself)."""
    host = (urlsplit(api_base).hostname or "").lower()
    return frozenset({host, MEDIA_HOST}) if host == urlsplit(API_BASE).hostname else frozenset({host})


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

    def media(self, media_id: str) -> dict[str, Any]:
        """Where a customer's media is (`url`, `mime_type`, `sha256`, `file_size`), asked for this number."""
        response = self._client.get(f"/{media_id}", params={"phone_number_id": self.phone_number_id})
        if response.status_code != 200:
            raise ProviderError(api_error(response))
        return json_body(response)

    def send(self, message: dict[str, Any]) -> str:
        """Send one message (text or template); returns its `wamid`, which statuses name."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **message}
        response = self._client.post(f"/{self.phone_number_id}/messages", json=body)
        if response.status_code != 200:
            raise ProviderError(api_error(response))
        return str(response.json()["messages"][0]["id"])

    def templates(self, business_account_id: str) -> list[dict[str, Any]]:
        """The templates the business account had approved (`name`, `language`, `category`, `body` with its
        {{1}} placeholders, `parameters`), over a few pages at most; refused, pending or paused ones are
        left out: sending them fails."""
        found: list[dict[str, Any]] = []
        params = {"fields": TEMPLATE_FIELDS, "limit": "100"}
        for _ in range(TEMPLATE_PAGES):
            response = self._client.get(f"/{business_account_id}/message_templates", params=params)
            if response.status_code != 200:
                raise ProviderError(api_error(response))
            page = json_body(response)
            found += [_template(t) for t in page.get("data") or [] if isinstance(t, dict)]
            # The next page by its cursor, not by the `next` URL: the token goes to the API's host only.
            paging = page.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
            params = {**params, "after": str(after)}
        return [t for t in found if t.pop("status") == "APPROVED"]


def _template(template: dict[str, Any]) -> dict[str, Any]:
    """One template as omnicx offers it: its body's text and how many parameters that text numbers."""
    components = template.get("components") or []
    body = next((c for c in components if isinstance(c, dict) and c.get("type") == "BODY"), {})
    text = str(body.get("text") or "")
    return {
        "name": str(template.get("name") or ""),
        "language": str(template.get("language") or ""),
        "status": str(template.get("status") or ""),
        "category": str(template.get("category") or ""),
        "body": text,
        "parameters": max((int(n) for n in _PLACEHOLDER.findall(text)), default=0),
    }
