"""Telegram's webhook for Telegram inboxes, public (Telegram calls it) and verified:

- `POST /channels/telegram/{inbox_id}/webhook`: the bot's updates, each carrying the secret token omnicx
  registered with `setWebhook` in `X-Telegram-Bot-Api-Secret-Token`, checked before the body is read: a missing
  or wrong token is a 401 and nothing is stored. A private message is stored (durable) before Telegram gets its
  200, a file it carries pending (fetched by a job afterwards); its `update_id` deduplicates a redelivery.
  Anything else (an edit, a group chat) is answered 200 and dropped, so Telegram does not redeliver it.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnicx.channels.telegram import botapi
from omnicx.channels.telegram.adapter import PREFIX, inbound
from omnicx.channels.webhooks import provider_inbox, receive, refused
from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime

router = APIRouter(prefix=PREFIX, tags=["channels"])
SECRET: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong `X-Telegram-Bot-Api-Secret-Token`: nothing stored."},
    404: {"description": "No Telegram inbox with this id."},
}


@router.post("/{inbox_id}/webhook", responses=SECRET, summary="Telegram: an update")
async def update(inbox_id: uuid.UUID, request: Request) -> Response:
    """Store the customer's private message of the update (once per `update_id`)."""
    runtime: Runtime = request.app.state.runtime
    inbox = await provider_inbox(runtime, MessagingChannel.TELEGRAM, inbox_id)
    expected = inbox.credentials.get("secret_token")
    if not expected or not botapi.token_matches(expected, request.headers.get(botapi.SECRET_HEADER)):
        raise await refused(runtime, inbox, "the X-Telegram-Bot-Api-Secret-Token does not match")
    try:
        found = orjson.loads(await request.body())
    except orjson.JSONDecodeError as error:
        raise Invalid("the update is not JSON") from error
    if not isinstance(found, dict):
        raise Invalid("the update is not a JSON object")
    message = inbound(found, inbox_address=inbox.address, max_bytes=runtime.settings.channel_media_max_bytes)
    if message is not None:
        await receive(runtime, inbox, message)
    return Response(status_code=200)
