"""The chat channel's adapter: visitors post JSON; replies reach them through their live stream."""

from __future__ import annotations

import json

from omnicx.channels.base import SendResult
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import InboundMessage, OutboundMessage, StatusReport
from omnicx.kernel.settings import Settings


class ChatAdapter:
    kind = MessagingChannel.CHAT

    def parse_inbound(self, raw: bytes) -> InboundMessage:
        return InboundMessage.model_validate(json.loads(raw))

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        # The reply is already committed and announced; the visitor's stream and history read it from there.
        return SendResult(status=DeliveryStatus.DELIVERED, provider_message_id=message.provider_message_id)

    def parse_status(self, raw: bytes) -> list[StatusReport]:
        return []
