"""What a chat visitor may see: their own conversations' customer-visible messages (never private notes)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import MessageKind
from omnicx.inbox.models import Contact, Conversation, Message
from omnicx.inbox.schemas import ContactPublic, MessagePublic
from omnicx.inbox.service.contracts import message_public

MAX_HISTORY = 200


def find_contact(session: Session, *, inbox_id: uuid.UUID, source_id: str) -> ContactPublic | None:
    contact = session.scalar(
        select(Contact).where(
            Contact.inbox_id == inbox_id, Contact.source_id == source_id, Contact.claimed.is_(False)
        )
    )
    return ContactPublic.model_validate(contact) if contact else None


def contact_messages(
    session: Session, *, inbox_id: uuid.UUID, source_id: str, limit: int = MAX_HISTORY
) -> list[MessagePublic]:
    """The contact's incoming and outgoing messages on this inbox, oldest first (the newest `limit`)."""
    conversations = (
        select(Conversation.id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Contact.inbox_id == inbox_id, Contact.source_id == source_id, Contact.claimed.is_(False))
    )
    rows = session.scalars(
        select(Message)
        .where(Message.conversation_id.in_(conversations), Message.kind != MessageKind.NOTE)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(min(limit, MAX_HISTORY))
    )
    return [message_public(m) for m in reversed(list(rows))]
