"""The email channel's adapter: raw RFC 5322 in, SMTP out; email has no status callbacks."""

from __future__ import annotations

from omnicx.channels.base import SendResult
from omnicx.channels.email.parser import parse_email
from omnicx.channels.email.sender import send_email
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import InboundMessage, OutboundMessage, StatusReport
from omnicx.kernel.settings import Settings


class EmailAdapter:
    kind = MessagingChannel.EMAIL

    def parse_inbound(self, raw: bytes) -> InboundMessage:
        return parse_email(raw)

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        send_email(message, settings=settings)
        return SendResult(status=DeliveryStatus.SENT, provider_message_id=message.provider_message_id)

    def parse_status(self, raw: bytes) -> list[StatusReport]:
        return []
