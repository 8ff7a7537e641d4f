"""The chat channel's adapter: what a visitor posts becomes the inbox's inbound message; replies reach them
through their live stream."""

from __future__ import annotations

from pydantic import BaseModel, Field

from omnicx.channels.base import SendResult
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import InboundMessage, OutboundMessage
from omnicx.kernel.settings import Settings
from omnicx.kernel.text import PlainText


class VisitorMessage(BaseModel):
    """What the widget posts when the visitor writes (`POST /chat/{token}/messages`)."""

    visitor_id: str = Field(max_length=64)
    signature: str = Field(max_length=128)
    text: PlainText = Field(min_length=1, max_length=5000)
    client_id: str | None = Field(default=None, max_length=64, description="Dedup key of a retried send.")
    anonymous_id: str | None = Field(default=None, max_length=200)
    name: PlainText = Field(default="", max_length=200)
    email: str | None = Field(default=None, max_length=320)
    user_id: str | None = Field(
        default=None, max_length=200, description="The site's id of a signed-in user."
    )
    user_hash: str | None = Field(
        default=None, max_length=128, description="The site's HMAC-SHA256 of `user_id` (or of `email`)."
    )


def inbound(posted: VisitorMessage, *, token: str) -> InboundMessage:
    """A visitor's message to the chat of widget `token`, as the inbox receives it: the visitor is the sender,
    and the widget's id for this send (per visitor) deduplicates a retried post. What the visitor typed is a
    claim (`sender_verified` stays false); a signed site identity (`user_hash`) is checked by the inbox,
    which holds the inbox's identity secret."""
    return InboundMessage(
        channel=MessagingChannel.CHAT,
        inbox_address=token,
        source_id=posted.visitor_id,
        name=posted.name,
        email=posted.email or None,
        user_id=posted.user_id or None,
        user_hash=posted.user_hash or None,
        anonymous_id=posted.anonymous_id,
        provider_message_id=f"{posted.visitor_id}:{posted.client_id}" if posted.client_id else None,
        text=posted.text,
    )


class ChatAdapter:
    kind = MessagingChannel.CHAT

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        # The reply is already committed and announced; the visitor's stream and history read it from there.
        return SendResult(status=DeliveryStatus.DELIVERED)
