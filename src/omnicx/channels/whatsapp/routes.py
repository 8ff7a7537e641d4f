"""Meta's webhook for WhatsApp inboxes, public (Meta calls it) and verified:

- `GET /channels/whatsapp/{inbox_id}/webhook`: the verification handshake; the challenge is echoed only to the
  inbox's own verify token;
- `POST /channels/whatsapp/{inbox_id}/webhook`: notifications of messages and statuses, checked against
  `X-Hub-Signature-256` (HMAC-SHA256 of the raw body under the app secret) before the body is parsed: a
  missing or wrong signature is a 401 and nothing is stored. Each message is stored (durable) before Meta gets
  its 200; its `wamid` deduplicates a redelivery; statuses only move forward.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from omnicx.channels.meta import graph
from omnicx.channels.webhooks import apply_statuses, provider_inbox, receive, refused
from omnicx.channels.whatsapp import cloud
from omnicx.channels.whatsapp.adapter import PREFIX, inbound, status_reports
from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime

router = APIRouter(prefix=PREFIX, tags=["channels"])
SIGNED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong `X-Hub-Signature-256`: nothing stored."},
    404: {"description": "No WhatsApp inbox with this id."},
}


@router.get("/{inbox_id}/webhook", response_class=PlainTextResponse, summary="WhatsApp: verify the webhook")
async def verify_webhook(
    inbox_id: uuid.UUID,
    request: Request,
    mode: Annotated[str, Query(alias="hub.mode", max_length=40)] = "",
    token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
    challenge: Annotated[str, Query(alias="hub.challenge", max_length=500)] = "",
) -> PlainTextResponse:
    """Meta's subscription handshake: the challenge back when the verify token is the inbox's, else 403."""
    inbox = await provider_inbox(request.app.state.runtime, MessagingChannel.WHATSAPP, inbox_id)
    answer = graph.challenge_answer(
        inbox.credentials["verify_token"], mode=mode, token=token, challenge=challenge
    )
    return PlainTextResponse(answer)


@router.post("/{inbox_id}/webhook", responses=SIGNED, summary="WhatsApp: messages and statuses")
async def notify(inbox_id: uuid.UUID, request: Request) -> Response:
    """Store each customer message of the notification (once per `wamid`) and apply each status."""
    runtime: Runtime = request.app.state.runtime
    inbox = await provider_inbox(runtime, MessagingChannel.WHATSAPP, inbox_id)
    body = await request.body()
    if not cloud.signature_valid(
        inbox.credentials["app_secret"], body, request.headers.get(cloud.SIGNATURE_HEADER)
    ):
        raise await refused(runtime, inbox, "the X-Hub-Signature-256 signature does not match")
    try:
        notification = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise Invalid("the notification is not JSON") from error
    if not isinstance(notification, dict) or notification.get("object") != "whatsapp_business_account":
        raise Invalid("not a WhatsApp Business Account notification")
    for value in _values(notification):
        metadata = value.get("metadata") or {}
        if str(metadata.get("phone_number_id") or "") != inbox.credentials["phone_number_id"]:
            continue  # another number of the same business account: not this inbox's
        for message in inbound(value, inbox_address=inbox.address):
            await receive(runtime, inbox, message)
        await apply_statuses(runtime, inbox, status_reports(value))
    return Response(status_code=200)


def _values(notification: dict[str, Any]) -> list[dict[str, Any]]:
    """The `value` of every `messages` change of every entry."""
    return [
        change["value"]
        for entry in notification.get("entry") or []
        if isinstance(entry, dict)
        for change in entry.get("changes") or []
        if isinstance(change, dict)
        and change.get("field") == "messages"
        and isinstance(change.get("value"), dict)
    ]
