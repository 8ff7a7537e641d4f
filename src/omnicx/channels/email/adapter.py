"""The email channel's adapter: SMTP out (raw RFC 5322 in is `parser.parse_email`, fed by `server`)."""

from __future__ import annotations

from omnicx.channels.base import SendResult
from omnicx.channels.email.sender import send_email
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import OutboundMessage
from omnicx.kernel.settings import Settings


class EmailAdapter:
    kind = MessagingChannel.EMAIL

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        send_email(message, settings=settings)
        return SendResult(status=DeliveryStatus.SENT, provider_message_id=message.provider_message_id)
