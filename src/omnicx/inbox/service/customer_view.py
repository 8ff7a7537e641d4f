"""The inbox's part of the customer 360: a customer's conversations and messages on their timeline, and the
conversations listed beside one of them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select, true
from sqlalchemy.orm import Session

from omnicx.customers.schemas import TimelineItem
from omnicx.inbox.enums import MessageKind
from omnicx.inbox.labels import CHANNEL_LABELS
from omnicx.inbox.models import Contact, Conversation, Inbox, Message
from omnicx.inbox.schemas import ConversationSummary
from omnicx.inbox.service import visibility
from omnicx.inbox.service.contracts import summary
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.i18n import gettext


def timeline_items(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Conversations and their customer-visible messages on the customer 360 (inbound = the customer spoke)."""
    if not customer_ids:
        return []
    rows = session.execute(
        select(Message, Conversation, Inbox)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.customer_id.in_(list(customer_ids)),
            Message.kind != MessageKind.NOTE,
        )
        .order_by(Message.created_at.desc())
        .limit(limit)
    ).all()
    items: list[TimelineItem] = []
    for message, conversation, inbox in rows:
        inbound = message.kind is MessageKind.INCOMING
        items.append(
            TimelineItem(
                at=message.created_at,
                kind="message",
                title=(
                    conversation.subject
                    or (gettext("Message received") if inbound else gettext("Reply sent"))
                )[:200],
                detail=message.text[:200],
                channel=inbox.channel.value,
                channel_label=gettext(CHANNEL_LABELS[inbox.channel]),
                direction="inbound" if inbound else "outbound",
                url=f"/inbox/conversations/{conversation.id}",
                source="inbox",
            )
        )
    return items


def customer_conversations(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_ids: Sequence[uuid.UUID],
    limit: int = 20,
    principal: Principal | None = None,
) -> list[ConversationSummary]:
    """A customer's conversations, newest first (the sidebar's "previous conversations"); with `principal`,
    only those they may see."""
    scope = visibility.condition(session, principal) if principal is not None else true()
    rows = session.execute(
        select(Conversation, Inbox, Contact)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.customer_id.in_(list(customer_ids)),
            scope,
        )
        .order_by(Conversation.created_at.desc())
        .limit(limit)
    ).all()
    return [summary(c, i, ct) for c, i, ct in rows]
