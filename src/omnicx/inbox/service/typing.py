"""Typing indicators: an agent typing shows on the visitor's widget, a visitor typing on the conversation page.

Nothing is stored: each call only publishes an `inbox.typing` event (after the read-only transaction ends).
Clients send at most one call every two seconds while typing; screens hide the indicator a few seconds after
the last event.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import ConversationStatus, InboxTopic
from omnicx.inbox.models import Contact, Conversation
from omnicx.inbox.service.conversations import load_conversation
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish


def _publish(session: Session, conversation: Conversation, who: str, label: str, private: bool) -> None:
    publish(
        session,
        RealtimeEvent(
            workspace_id=conversation.workspace_id,
            topic=InboxTopic.TYPING,
            data={
                "conversation_id": str(conversation.id),
                "contact_id": str(conversation.contact_id),
                "who": who,
                "label": label,
                "private": private,
            },
            action=Action.INBOX_READ.value,
        ),
    )
    session.commit()  # nothing written: this only releases the event


def agent_typing(
    session: Session, *, principal: Principal, conversation_id: uuid.UUID, private: bool
) -> None:
    """Announce that the caller types in a conversation (a private note's typing never reaches the visitor)."""
    conversation = load_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    _publish(session, conversation, "agent", principal.label.split("@")[0], private)


def visitor_typing(session: Session, *, inbox_id: uuid.UUID, source_id: str) -> bool:
    """Announce that a visitor types; False when they have no active conversation yet (nothing to show)."""
    conversation = session.scalar(
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            Contact.inbox_id == inbox_id,
            Contact.source_id == source_id,
            Conversation.status != ConversationStatus.RESOLVED,
        )
        .order_by(Conversation.created_at.desc())
        .limit(1)
    )
    if conversation is None:
        session.rollback()
        return False
    _publish(session, conversation, "visitor", "", False)
    return True
