"""What every channel does, on the way in and on the way out.

Inbound: verify the provider's request and turn it into the inbox's `InboundMessage` (addressed to the inbox by
channel and address, with its sender, its dedup key `provider_message_id` and threading hints), then hand it to
the inbox's one way in, `inbox.service.ingest`. Outbound: a `ChannelAdapter` delivers one `OutboundMessage`
and says what happened.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import OutboundMessage
from omnicx.kernel.settings import Settings


class DeliveryFailed(Exception):
    """The provider refused the message for good (no retry helps): recorded as `failed` with its error."""


@dataclass(frozen=True)
class SendResult:
    """What the provider said about one delivery: its own id (if it gives one) and the status reached."""

    status: DeliveryStatus = DeliveryStatus.SENT
    provider_message_id: str | None = None


class ChannelAdapter(Protocol):
    kind: MessagingChannel

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        """Deliver `message`. Raise `DeliveryFailed` for a permanent refusal, any other error to retry later.

        Must be safe to repeat: `message.provider_message_id` is stable across retries."""
        ...
