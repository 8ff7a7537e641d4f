"""A local stand-in for the WhatsApp Cloud API, served over real HTTP (tests and the demo): it checks the bearer
token of its business numbers, says which number a phone number id is, keeps every message sent (the exact
JSON body the Graph API received), refuses chosen recipients for good and fails everything during an outage.
It holds customers' media (`hold_media`): `GET /{version}/{media-id}` answers its URL, type, size and sha256 to
the owning number's token, and that URL answers the bytes to the same token, as the Cloud API does (the URL is on
the stand-in's own host, where Meta's is on its media host).
It lists a business account's message templates (`templates`, Graph's objects, to the account's token in
`business_accounts`) and refuses to send a template its number's account did not have approved (error 132001).
`message_notification` and `status_notification` build the notifications Meta posts to a webhook.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnicx.channels.whatsapp.cloud import API_VERSION


@dataclass
class GraphRequest:
    phone_number_id: str
    body: dict[str, Any]
    wamid: str


@dataclass(frozen=True)
class WhatsAppMedia:
    """A customer's file, held for the business number that received it."""

    phone_number_id: str
    data: bytes
    mime_type: str


@dataclass
class WhatsAppSimulator:
    """`numbers`: phone number id -> (access token, display number). `refused`: recipients (wa_id) not on
    WhatsApp (error 131026). `outage`: every call answers 500 while true. `business_accounts`: WhatsApp Business
    Account id -> access token (its numbers are those with the same token); `templates`: account id -> its
    templates as the Graph API lists them (`name`, `language`, `status`, `category`, `components`)."""

    numbers: dict[str, tuple[str, str]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    outage: bool = False
    sent: list[GraphRequest] = field(default_factory=list)
    calls: int = 0
    media: dict[str, WhatsAppMedia] = field(default_factory=dict)  # media id -> file
    media_served: int = 0  # files handed out
    gone: set[str] = field(default_factory=set)  # media ids deleted (Meta keeps media 30 days): 404
    media_base: str | None = None  # where media URLs point (Meta's media host); default the stand-in itself
    business_accounts: dict[str, str] = field(default_factory=dict)
    templates: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> list[Route]:
        prefix = f"/{API_VERSION}/{{phone_number_id}}"
        return [
            Route(prefix, self._object, methods=["GET"]),
            Route(f"{prefix}/messages", self._send, methods=["POST"]),
            Route(f"{prefix}/message_templates", self._templates, methods=["GET"]),
            Route("/whatsapp_business/attachments/", self._download, methods=["GET"]),
        ]

    def hold_media(self, phone_number_id: str, data: bytes, mime_type: str) -> dict[str, str]:
        """Keep a file a customer sent to the number; returns the media object a notification carries (`id`,
        `mime_type`, `sha256`)."""
        media_id = str(10**15 + secrets.randbelow(10**15))
        with self._lock:
            self.media[media_id] = WhatsAppMedia(phone_number_id, data, mime_type)
        return {"id": media_id, "mime_type": mime_type, "sha256": hashlib.sha256(data).hexdigest()}

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def _refusal(self, request: Request, phone_number_id: str | None = None) -> JSONResponse | None:
        with self._lock:
            self.calls += 1
        if self.outage:
            return _error(500, 2, "Service temporarily unavailable")
        held = self.numbers.get(phone_number_id or request.path_params["phone_number_id"])
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if held is None or not secrets.compare_digest(token, held[0]):
            return _error(401, 190, "Invalid OAuth access token")
        return None

    async def _object(self, request: Request) -> JSONResponse:
        """`GET /{version}/{id}`: a media's URL when the id is a media id, else the business number."""
        media_id = request.path_params["phone_number_id"]
        if media_id in self.gone:
            return _error(404, 100, f"Unsupported get request. Object with ID '{media_id}' does not exist")
        if media_id not in self.media:
            return await self._number(request)
        held = self.media[media_id]
        failed = self._refusal(request, held.phone_number_id)
        if failed is not None:
            return failed
        asked = request.query_params.get("phone_number_id")
        if asked and asked != held.phone_number_id:
            return _error(400, 100, "The media does not belong to this phone number")
        base = self.media_base or str(request.base_url)
        url = f"{base.rstrip('/')}/whatsapp_business/attachments/?mid={media_id}"
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "url": url,
                "mime_type": held.mime_type,
                "sha256": hashlib.sha256(held.data).hexdigest(),
                "file_size": len(held.data),
                "id": media_id,
            }
        )

    async def _download(self, request: Request) -> Response:
        """The bytes at a media URL, to the owning number's token."""
        held = self.media.get(request.query_params.get("mid", ""))
        if held is None:
            return _error(404, 100, "Media not found")
        failed = self._refusal(request, held.phone_number_id)
        if failed is not None:
            return failed
        with self._lock:
            self.media_served += 1
        return Response(held.data, media_type=held.mime_type)

    async def _number(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        phone_number_id = request.path_params["phone_number_id"]
        return JSONResponse({"display_phone_number": self.numbers[phone_number_id][1], "id": phone_number_id})

    async def _templates(self, request: Request) -> JSONResponse:
        """`GET /{version}/{waba-id}/message_templates`: the account's templates, `limit` a page, the next page
        after the `after` cursor."""
        with self._lock:
            self.calls += 1
        if self.outage:
            return _error(500, 2, "Service temporarily unavailable")
        account = request.path_params["phone_number_id"]
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        held = self.business_accounts.get(account)
        if held is None or not secrets.compare_digest(token, held):
            return _error(401, 190, "Invalid OAuth access token")
        found = self.templates.get(account, [])
        start = int(request.query_params.get("after") or 0)
        limit = int(request.query_params.get("limit") or 25)
        paging: dict[str, Any] = {"cursors": {"before": str(start), "after": str(start + limit)}}
        if start + limit < len(found):
            paging["next"] = f"{request.url.remove_query_params('after')}&after={start + limit}"
        return JSONResponse({"data": found[start : start + limit], "paging": paging})

    def _approved(self, phone_number_id: str) -> set[tuple[str, str]] | None:
        """The (name, language) of the templates the number's accounts had approved; None when the stand-in was
        given no templates (any name then goes)."""
        if not self.templates:
            return None
        token = self.numbers[phone_number_id][0]
        return {
            (str(t.get("name")), str(t.get("language")))
            for account, held in self.business_accounts.items()
            if held == token
            for t in self.templates.get(account, [])
            if t.get("status") == "APPROVED"
        }

    async def _send(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        body = await request.json()
        if body.get("messaging_product") != "whatsapp" or body.get("type") not in ("text", "template"):
            return _error(400, 100, "Invalid parameter")
        to = str(body.get("to") or "")
        if to in self.refused:
            return _error(400, 131026, "Message undeliverable")
        approved = self._approved(request.path_params["phone_number_id"])
        template = body.get("template") or {}
        asked = (str(template.get("name")), str((template.get("language") or {}).get("code")))
        if body["type"] == "template" and approved is not None and asked not in approved:
            return _error(400, 132001, "Template name does not exist in the translation")
        wamid = f"wamid.{secrets.token_hex(16)}"
        with self._lock:
            self.sent.append(GraphRequest(request.path_params["phone_number_id"], body, wamid))
        return JSONResponse(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": to, "wa_id": to}],
                "messages": [{"id": wamid}],
            }
        )


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": secrets.token_hex(8),
        }
    }
    return JSONResponse(body, status_code=status)


def _notification(phone_number_id: str, display: str, value: dict[str, Any]) -> dict[str, Any]:
    metadata = {
        "display_phone_number": display.lstrip("+").replace(" ", ""),
        "phone_number_id": phone_number_id,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "102290129340398",
                "changes": [
                    {
                        "field": "messages",
                        "value": {"messaging_product": "whatsapp", "metadata": metadata, **value},
                    }
                ],
            }
        ],
    }


def message_notification(
    phone_number_id: str,
    display: str,
    *,
    wa_id: str,
    name: str,
    wamid: str,
    text: str,
    at: float | None = None,
    media: tuple[str, dict[str, str]] | None = None,
) -> dict[str, Any]:
    """What Meta posts when a customer writes to the business number: a text, or with `media` (its type, such
    as `image` or `document`, and the media object `hold_media` gave, with a `filename` for a document) a media
    message whose caption is `text`."""
    message: dict[str, Any] = {"from": wa_id, "id": wamid, "timestamp": str(int(at or time.time()))}
    if media is None:
        message |= {"type": "text", "text": {"body": text}}
    else:
        kind, part = media
        message |= {"type": kind, kind: {**part, **({"caption": text} if text else {})}}
    value = {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [message]}
    return _notification(phone_number_id, display, value)


def status_notification(
    phone_number_id: str, display: str, *, wamid: str, status: str, recipient: str, callback_data: str | None = None,
    error: tuple[int, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """What Meta posts when a sent message changes status (sent, delivered, read, failed)."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(int(time.time())),
        "recipient_id": recipient,
    }
    if callback_data:
        entry["biz_opaque_callback_data"] = callback_data
    if error:
        entry["errors"] = [{"code": error[0], "title": error[1]}]
    return _notification(phone_number_id, display, {"statuses": [entry]})
