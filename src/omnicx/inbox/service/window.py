"""The customer service window of channels that have one. WhatsApp lets a business send free text only within
24 hours of the customer's last message; outside it, only an approved template. Messenger and Instagram allow
24 hours too, then 7 more days for a reply written by a person, sent with Meta's `HUMAN_AGENT` tag; after that
nothing until the customer writes again. A reply the channel would refuse is refused before it is stored, and
the composer says when the window closes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import MessageKind, MessagingChannel
from omnicx.inbox.errors import OutsideWindow
from omnicx.inbox.models import Conversation, Message, message_contact_id
from omnicx.inbox.schemas import TemplateMessage

STANDARD = timedelta(hours=24)
WINDOWS = {
    MessagingChannel.WHATSAPP: STANDARD,
    MessagingChannel.MESSENGER: STANDARD,
    MessagingChannel.INSTAGRAM: STANDARD,
}
# How long after the customer's last message a person may still answer, with the human agent tag.
HUMAN_AGENT_WINDOWS = {
    MessagingChannel.MESSENGER: timedelta(days=7),
    MessagingChannel.INSTAGRAM: timedelta(days=7),
}
HUMAN_AGENT_TAG = "HUMAN_AGENT"
TEMPLATE_CHANNELS = frozenset({MessagingChannel.WHATSAPP})


@dataclass(frozen=True)
class ReplyWindow:
    """When the window of a conversation's customer closes (None: they never wrote on this inbox), when a
    person's reply is still allowed with the human agent tag (channels that have one), and whether approved
    templates are the way to write outside it."""

    closes_at: datetime | None
    now: datetime
    agent_closes_at: datetime | None = None
    templates: bool = False

    @property
    def open(self) -> bool:
        return self.closes_at is not None and self.now < self.closes_at

    @property
    def human_agent(self) -> bool:
        """Closed to ordinary replies, still open to a person's reply sent with the human agent tag."""
        return not self.open and self.agent_closes_at is not None and self.now < self.agent_closes_at


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
            message_contact_id() == contact_id,
        )
    )
    agent = HUMAN_AGENT_WINDOWS.get(channel)
    return ReplyWindow(
        closes_at=last + length if last is not None else None,
        now=now,
        agent_closes_at=last + agent if last is not None and agent is not None else None,
        templates=channel in TEMPLATE_CHANNELS,
    )


def check_reply(
    session: Session, *, inbox_id: uuid.UUID, contact_id: uuid.UUID, channel: MessagingChannel,
    template: TemplateMessage | None, now: datetime,
) -> str | None:  # fmt: skip
    """Refuse a reply to `contact_id` on the inbox that its channel would refuse (free text outside the window, a
    template where none exist); return the message tag it must be sent with (`HUMAN_AGENT` in Messenger's
    extended window), if any."""
    if template is not None and channel not in TEMPLATE_CHANNELS:
        raise OutsideWindow(f"templates are for WhatsApp conversations, not {channel.value}")
    window = reply_window(session, channel=channel, inbox_id=inbox_id, contact_id=contact_id, now=now)
    if window is None or window.open or template is not None:
        return None
    if window.human_agent:
        return HUMAN_AGENT_TAG
    since = (
        f" (they last wrote on {window.closes_at - WINDOWS[channel]:%Y-%m-%d %H:%M} UTC)"
        if window.closes_at
        else ""
    )
    if channel in HUMAN_AGENT_WINDOWS:
        raise OutsideWindow(
            f"{channel.value} lets a business answer within 24 hours of the customer's last message, and a person "
            f"within 7 days{since}: the customer has to write again first"
        )
    raise OutsideWindow(
        f"{channel.value} lets a business answer in free text only within 24 hours of the customer's last "
        f"message{since}: send an approved template instead"
    )


def template_text(template: TemplateMessage) -> str:
    """How a template reply reads in the conversation."""
    values = " · ".join(template.parameters)
    return f"[{template.name} ({template.language})]" + (f" {values}" if values else "")
