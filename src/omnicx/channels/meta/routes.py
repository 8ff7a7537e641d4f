"""Meta's webhooks for Messenger and Instagram inboxes, public (Meta calls them) and verified, one pair per
channel:

- `GET /channels/{messenger|instagram}/{inbox_id}/webhook`: the subscription handshake; the challenge is echoed
  only to the inbox's own verify token;
- `POST` on the same path: messages, deliveries and reads, checked against `X-Hub-Signature-256` (HMAC-SHA256
  of the raw body under the app secret) before the body is parsed: a missing or wrong signature is a 401 and
  nothing is stored. Each message is stored (durable) before Meta gets its 200; its `mid` deduplicates a
  redelivery; echoes are ignored; statuses only move forward.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response

from omnicx.channels.meta import graph
from omnicx.channels.meta.adapter import INSTAGRAM, MESSENGER, MetaChannel, events
from omnicx.channels.webhooks import apply_statuses, apply_watermarks, provider_inbox, receive, refused
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime


def webhook_router(meta: MetaChannel) -> APIRouter:
    """The handshake and the event endpoint of one Meta channel's inboxes."""
    router = APIRouter(prefix=meta.prefix, tags=["channels"])
    signed: dict[int | str, dict[str, Any]] = {
        401: {"description": "Missing or wrong `X-Hub-Signature-256`: nothing stored."},
        404: {"description": f"No {meta.name} inbox with this id."},
    }

    @router.get(
        "/{inbox_id}/webhook",
        response_class=PlainTextResponse,
        summary=f"{meta.name}: verify the webhook",
        operation_id=f"{meta.channel.value}_verify_webhook",
    )
    async def verify_webhook(
        inbox_id: uuid.UUID,
        request: Request,
        mode: Annotated[str, Query(alias="hub.mode", max_length=40)] = "",
        token: Annotated[str, Query(alias="hub.verify_token", max_length=500)] = "",
        challenge: Annotated[str, Query(alias="hub.challenge", max_length=500)] = "",
    ) -> PlainTextResponse:
        """Meta's subscription handshake: the challenge back when the verify token is the inbox's, else 403."""
        inbox = await provider_inbox(request.app.state.runtime, meta.channel, inbox_id)
        answer = graph.challenge_answer(
            inbox.credentials["verify_token"], mode=mode, token=token, challenge=challenge
        )
        return PlainTextResponse(answer)

    @router.post(
        "/{inbox_id}/webhook",
        responses=signed,
        summary=f"{meta.name}: messages, deliveries and reads",
        operation_id=f"{meta.channel.value}_notify",
    )
    async def notify(inbox_id: uuid.UUID, request: Request) -> Response:
        """Store each customer message (once per `mid`) and apply each delivery and read."""
        runtime: Runtime = request.app.state.runtime
        inbox = await provider_inbox(runtime, meta.channel, inbox_id)
        body = await request.body()
        given = request.headers.get(graph.SIGNATURE_HEADER)
        if not graph.signature_valid(inbox.credentials["app_secret"], body, given):
            raise await refused(runtime, inbox, "the X-Hub-Signature-256 signature does not match")
        try:
            notification = orjson.loads(body)
        except orjson.JSONDecodeError as error:
            raise Invalid("the notification is not JSON") from error
        if not isinstance(notification, dict) or notification.get("object") != meta.webhook_object:
            raise Invalid(f"not a {meta.name} notification")
        found = events(
            meta, notification, account_id=inbox.credentials[meta.id_key], inbox_address=inbox.address
        )
        for message in found.messages:
            await receive(runtime, inbox, message)
        await apply_statuses(runtime, inbox, found.reports)
        await apply_watermarks(runtime, inbox, found.watermarks)
        return Response(status_code=200)

    return router


messenger_router = webhook_router(MESSENGER)
instagram_router = webhook_router(INSTAGRAM)
