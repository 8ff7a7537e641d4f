"""The customer service window of channels that have one: WhatsApp lets a business send free text only within
24 hours of the customer's last message; outside it, only an approved template. The reply is refused before it
is stored, and the composer says when the window closes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import MessageKind, MessagingChannel
from omnicx.inbox.errors import OutsideWindow
from omnicx.inbox.models import Conversation, Message
from omnicx.inbox.schemas import TemplateMessage

WINDOWS = {MessagingChannel.WHATSAPP: timedelta(hours=24)}
TEMPLATE_CHANNELS = frozenset({MessagingChannel.WHATSAPP})


@dataclass(frozen=True)
class ReplyWindow:
    """When the window of a conversation's customer closes (None: they never wrote on this inbox)."""

    closes_at: datetime | None
    now: datetime

    @property
    def open(self) -> bool:
        return self.closes_at is not None and self.now < self.closes_at


def reply_window(
    session: Session, *, channel: MessagingChannel, inbox_id: uuid.UUID, contact_id: uuid.UUID, now: datetime
) -> ReplyWindow | None:
    """The window of `contact_id` on the inbox, or None when its channel has none."""
    length = WINDOWS.get(channel)
    if length is None:
        return None
    last = session.scalar(
        select(func.max(Message.created_at))
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.inbox_id == inbox_id,
            Message.kind == MessageKind.INCOMING,
            Conversation.contact_id == contact_id,
        )
    )
    return ReplyWindow(closes_at=last + length if last is not None else None, now=now)


def check_reply(
    session: Session, *, conversation: Conversation, channel: MessagingChannel, template: TemplateMessage | None,
    now: datetime,
) -> None:  # fmt: skip
    """Refuse a reply its channel would refuse: free text outside the window, a template where none exist."""
    if template is not None and channel not in TEMPLATE_CHANNELS:
        raise OutsideWindow(f"templates are for WhatsApp conversations, not {channel.value}")
    window = reply_window(
        session, channel=channel, inbox_id=conversation.inbox_id, contact_id=conversation.contact_id, now=now
    )
    if window is None or window.open or template is not None:
        return
    since = (
        f" (they last wrote on {window.closes_at - WINDOWS[channel]:%Y-%m-%d %H:%M} UTC)"
        if window.closes_at
        else ""
    )
    raise OutsideWindow(
        f"{channel.value} lets a business answer in free text only within 24 hours of the customer's last "
        f"message{since}: send an approved template instead"
    )


def template_text(template: TemplateMessage) -> str:
    """How a template reply reads in the conversation."""
    values = " · ".join(template.parameters)
    return f"[{template.name} ({template.language})]" + (f" {values}" if values else "")
