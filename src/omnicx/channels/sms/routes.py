"""Twilio's webhooks for SMS inboxes, public (Twilio calls them) and verified on every request:

- `POST /channels/sms/{inbox_id}/messages`: a message to the inbox's number ("A message comes in");
- `POST /channels/sms/{inbox_id}/status`: a reply's status callback (sent, delivered, read, failed).

Each request's `X-Twilio-Signature` is checked against the inbox's auth token on the raw body's parameters and
the URL Twilio called (the server's public `base_url` + path + query) before anything else: a missing or
wrong signature is a 401 and nothing is stored. A message is stored (durable) before Twilio gets its 200, and
Twilio's `MessageSid` deduplicates a redelivery. A message that is only an opt-out or opt-in keyword (STOP,
ARRÊT, BERHENTI, PROU, START...: `channels/keywords.py`) also records the number's consent for every sender.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from omnicx.channels.sms import twilio
from omnicx.channels.sms.adapter import PREFIX, inbound, status_report
from omnicx.channels.webhooks import apply_statuses, provider_inbox, receive, refused
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.service import ProviderInbox
from omnicx.kernel.errors import Invalid
from omnicx.kernel.runtime import Runtime

router = APIRouter(prefix=PREFIX, tags=["channels"])
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
SIGNED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Missing or wrong `X-Twilio-Signature`: nothing stored."},
    404: {"description": "No SMS inbox with this id."},
}


async def _verified(request: Request, inbox_id: uuid.UUID) -> tuple[ProviderInbox, dict[str, str]]:
    """The inbox and the request's parameters, once Twilio's signature over the raw body holds."""
    runtime: Runtime = request.app.state.runtime
    inbox = await provider_inbox(runtime, MessagingChannel.SMS, inbox_id)
    body = await request.body()
    try:
        params = twilio.form(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise await refused(runtime, inbox, "the request is not a signed Twilio form") from error
    query = request.scope.get("query_string", b"").decode("latin-1")
    url = runtime.settings.base_url.rstrip("/") + request.url.path + (f"?{query}" if query else "")
    given = request.headers.get(twilio.SIGNATURE_HEADER)
    if not twilio.signature_valid(inbox.credentials["auth_token"], url, params, given):
        raise await refused(runtime, inbox, "the Twilio signature does not match")
    fields = dict(params)
    if fields.get("AccountSid") != inbox.credentials["account_sid"]:
        raise await refused(runtime, inbox, "the request is from another Twilio account")
    return inbox, fields


@router.post("/{inbox_id}/messages", responses=SIGNED, summary="Twilio: a message to the inbox's number")
async def receive_sms(inbox_id: uuid.UUID, request: Request) -> Response:
    """Store the message (once per `MessageSid`) in the inbox's conversation with the sender; answers an
    empty TwiML response: replies go out from the inbox, not in the webhook's answer."""
    runtime: Runtime = request.app.state.runtime
    inbox, params = await _verified(request, inbox_id)
    if params.get("To") and params["To"] != inbox.address:
        raise Invalid(f"this inbox receives at {inbox.address}, not {params['To']}")
    try:
        message = inbound(params, inbox_address=inbox.address)
    except ValidationError as error:
        raise Invalid("the message names no sender") from error
    await receive(runtime, inbox, message)
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("/{inbox_id}/status", status_code=204, responses=SIGNED, summary="Twilio: a reply's status")
async def sms_status(
    inbox_id: uuid.UUID,
    request: Request,
    message: Annotated[
        uuid.UUID | None, Query(description="omnicx's id of the reply (set when sending).")
    ] = None,
) -> Response:
    """Move the reply's delivery status forward (a late `sent` after `delivered` changes nothing). A status
    for a message omnicx did not send (say, from Twilio's console) is acknowledged and ignored."""
    runtime: Runtime = request.app.state.runtime
    inbox, params = await _verified(request, inbox_id)
    report = status_report(params, message_id=message)
    await apply_statuses(runtime, inbox, [report] if report is not None else [])
    return Response(status_code=204)
