"""The built-in inbound SMTP server (aiosmtpd): mail to an email inbox's address becomes a conversation.

The server acknowledges a message (250) only after it is committed; a recipient no inbox receives at is
refused (550) at RCPT time, and a failure while storing answers 451 so the sending server retries later.
The message is parsed and its sender authenticated (`authentication.authenticate`: DMARC-aligned DKIM or SPF,
or a trusted relay's verdict) once, in a thread, then handed to the inbox (`inbox.service.ingest`) once per
recipient inbox, with `sender_verified` saying whether the From address was proven, and the verdict kept beside
the stored message for agents to see.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from omnicx.channels.email.authentication import Envelope as SmtpEnvelope
from omnicx.channels.email.authentication import authenticate
from omnicx.channels.email.parser import parse_email
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.errors import InboxNotFound
from omnicx.inbox.schemas import InboundMessage, SenderAuthentication
from omnicx.kernel.runtime import Runtime

log = logging.getLogger("omnicx.channels.email")


class InboundHandler:
    """aiosmtpd handler routing each recipient to its inbox."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    def _inbox_id(self, address: str) -> Any:
        with self.runtime.sessions() as session:
            inbox = inbox_service.find_inbox(session, channel=MessagingChannel.EMAIL, address=address)
            return inbox.id if inbox else None

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if await asyncio.to_thread(self._inbox_id, address) is None:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _read(self, raw: bytes, smtp: SmtpEnvelope) -> tuple[InboundMessage, SenderAuthentication]:
        message = parse_email(raw)
        from_address, verdict = authenticate(
            raw,
            envelope=smtp,
            resolver=self.runtime.resolver,
            trusted_relays=self.runtime.settings.mail_trusted_relays,
        )
        if verdict.verified and from_address != message.email:
            # Verified only if the address proven is the one the inbox will show as the sender.
            verdict = verdict.model_copy(
                update={"verified": False, "method": None, "reason": "the From address could not be read"}
            )
        return message.model_copy(update={"sender_verified": verdict.verified}), verdict

    def _record(self, message_id: Any, verdict: SenderAuthentication) -> None:
        with self.runtime.sessions() as session:
            inbox_service.record_sender_authentication(session, message_id=message_id, authentication=verdict)

    async def _store(self, session: Session, envelope: Envelope) -> None:
        raw = envelope.original_content or (
            envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        )
        smtp = SmtpEnvelope(
            client_ip=str(session.peer[0]) if isinstance(session.peer, tuple) else "",
            helo=session.host_name or "",
            mail_from=envelope.mail_from or "",
        )
        message, verdict = await asyncio.to_thread(self._read, raw, smtp)
        for address in dict.fromkeys(a.lower() for a in envelope.rcpt_tos):
            if await asyncio.to_thread(self._inbox_id, address) is None:
                continue  # no longer received here (inbox gone, address no longer proven) since RCPT
            try:
                addressed = message.model_copy(update={"inbox_address": address})
                stored = await inbox_service.ingest(self.runtime, message=addressed)
            except InboxNotFound:
                continue  # the inbox was deleted since RCPT: nobody receives there any more
            await asyncio.to_thread(self._record, stored.message_id, verdict)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        try:
            await self._store(session, envelope)
        except ValueError as exc:
            return f"550 5.6.0 unreadable message: {exc}"
        except Exception:
            log.exception("inbound email could not be stored")
            return "451 4.3.0 temporary failure, try again later"
        return "250 Message accepted for delivery"


def start_smtp_server(runtime: Runtime, *, host: str, port: int) -> Controller:
    """Start the inbound SMTP server in its own thread; call `.stop()` on the result to end it."""
    controller = Controller(
        InboundHandler(runtime),
        hostname=host,
        port=port,
        data_size_limit=runtime.settings.smtp_max_message_bytes,
    )
    controller.start()
    return controller
