"""What every provider's webhook does once the provider's signature holds: find the inbox it names, record a
keyword opt-out or opt-in for every sender, apply delivery statuses. The routes of each provider
(`sms/routes.py`, `whatsapp/routes.py`, `meta/routes.py`...) verify, parse, and call these."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool

from omnicx.channels.keywords import consent_word
from omnicx.channels.meta.adapter import Watermark
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import ConsentChange, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.errors import MessageNotFound
from omnicx.inbox.schemas import InboundMessage, StatusReport
from omnicx.inbox.service import ProviderInbox
from omnicx.kernel.errors import NotFound, Unauthorized
from omnicx.kernel.runtime import Runtime


async def provider_inbox(runtime: Runtime, channel: MessagingChannel, inbox_id: uuid.UUID) -> ProviderInbox:
    """The `channel` inbox the webhook's URL names, with its credentials; NotFound otherwise."""

    def find() -> ProviderInbox | None:
        with runtime.sessions() as session:
            return inbox_service.provider_inbox(
                session, channel=channel, inbox_id=inbox_id, secret_key=runtime.settings.resolved_secret_key
            )

    found = await run_in_threadpool(find)
    if found is None:
        raise NotFound(f"no {channel.value} inbox here")
    return found


async def refused(runtime: Runtime, inbox: ProviderInbox, reason: str) -> Unauthorized:
    """Count a webhook call the inbox refuses (channel health shows them) and return the 401 to raise."""

    def record() -> None:
        with runtime.sessions() as session:
            inbox_service.record_rejection(
                session, workspace_id=inbox.workspace_id, inbox_id=inbox.id, reason=reason
            )

    await run_in_threadpool(record)
    return Unauthorized(reason)


async def receive(runtime: Runtime, inbox: ProviderInbox, message: InboundMessage) -> None:
    """Store the message (durable before the provider is answered); when it is only an opt-out or opt-in word
    (STOP, ARRÊT, START...), record the sender's consent for every sender of the workspace. Afterwards: a
    redelivery stores nothing twice and records the same word again."""
    await inbox_service.ingest(runtime, message=message)
    word = consent_word(message.text)
    phone = message.phone
    if word is None or not phone:
        return
    change = ConsentChange(
        kind=IdentifierKind.PHONE,
        value=phone,
        channel=inbox.channel.value,
        opted_out=word.opted_out,
        keyword=word.keyword[:40],
    )

    def record() -> None:
        with runtime.sessions() as session:
            identity_service.record_consent(
                session,
                workspace_id=inbox.workspace_id,
                change=change,
                source="keyword",
                changed_by=message.phone or "",
            )

    await run_in_threadpool(record)


async def apply_statuses(runtime: Runtime, inbox: ProviderInbox, reports: list[StatusReport]) -> None:
    """Move replies' delivery statuses forward; a status for a message omnicx did not send is ignored."""

    def apply() -> None:
        with runtime.sessions() as session:
            for report in reports:
                try:
                    inbox_service.apply_status(session, inbox_id=inbox.id, report=report)
                except MessageNotFound:
                    session.rollback()

    if reports:
        await run_in_threadpool(apply)


async def apply_watermarks(runtime: Runtime, inbox: ProviderInbox, watermarks: Sequence[Watermark]) -> None:
    """Move every reply to a customer sent up to a watermark's time forward (Messenger's delivery and read
    events name a time, not messages)."""

    def apply() -> None:
        with runtime.sessions() as session:
            for mark in watermarks:
                inbox_service.advance_until(
                    session, inbox_id=inbox.id, source_id=mark.source_id, until=mark.until, status=mark.status
                )

    if watermarks:
        await run_in_threadpool(apply)
