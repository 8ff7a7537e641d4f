"""The adapter interface every channel implements.

Inbound: verify the provider's request and parse it into `InboundMessage`s, each with a dedup key (its
`provider_message_id`) and threading hints. Outbound: deliver one `OutboundMessage` and say what happened.
Status callbacks: parse them into `StatusReport`s, which the inbox applies forward-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import InboundMessage, OutboundMessage, StatusReport
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

    def parse_inbound(self, raw: bytes) -> InboundMessage:
        """Turn one raw inbound payload into a normalised message (raise `ValueError` if it is not one)."""
        ...

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        """Deliver `message`. Raise `DeliveryFailed` for a permanent refusal, any other error to retry later.

        Must be safe to repeat: `message.provider_message_id` is stable across retries."""
        ...

    def parse_status(self, raw: bytes) -> list[StatusReport]:
        """Turn a provider's status callback into reports (channels without callbacks return [])."""
        ...
