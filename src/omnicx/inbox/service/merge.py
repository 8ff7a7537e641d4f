"""Merging two conversations of one customer (say an email and a chat about the same order).

The source's messages and events move to the target (the thread shows them in time order), the source is
resolved with a pointer to the target (`merged_into_id`), and both record a conversation event. Conversations
of another workspace are not found; conversations of different customers are refused: merging strangers would
show one customer's messages to another's agent thread.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicx.analytics.service import Stream
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic
from omnicx.inbox.errors import MergeRefused
from omnicx.inbox.models import Conversation, ConversationEvent, Inbox, Message
from omnicx.inbox.schemas import MergeResult
from omnicx.inbox.service.conversations import load_conversation
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.search import add_text
from omnicx.inbox.service.sla_clocks import refresh_sla
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs.feed import record_changes


def _earliest(*values: datetime | None) -> datetime | None:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _check(target: Conversation, source: Conversation) -> None:
    if target.id == source.id:
        raise MergeRefused("a conversation cannot be merged into itself")
    if source.merged_into_id is not None or target.merged_into_id is not None:
        raise MergeRefused("one of these conversations was already merged into another")
    same_contact = target.contact_id == source.contact_id
    same_customer = target.customer_id is not None and target.customer_id == source.customer_id
    if not (same_contact or same_customer):
        raise MergeRefused("these conversations belong to different customers")


def merge_conversations(
    session: Session, *, principal: Principal, target_id: uuid.UUID, source_id: uuid.UUID
) -> MergeResult:
    """Move `source_id`'s messages and events into `target_id`, close the source with a pointer; commits."""
    target = load_conversation(
        session,
        workspace_id=principal.workspace_id,
        conversation_id=target_id,
        lock=True,
        principal=principal,
    )
    source = load_conversation(
        session,
        workspace_id=principal.workspace_id,
        conversation_id=source_id,
        lock=True,
        principal=principal,
    )
    _check(target, source)
    now = utcnow()
    moved = session.scalars(select(Message.id).where(Message.conversation_id == source.id)).all()
    record_changes(session, workspace_id=source.workspace_id, stream=Stream.MESSAGES.value, upserted=moved)
    moved_messages = session.execute(
        update(Message).where(Message.conversation_id == source.id).values(conversation_id=target.id)
    )
    moved_events = session.execute(
        update(ConversationEvent)
        .where(ConversationEvent.conversation_id == source.id)
        .values(conversation_id=target.id)
    )
    target.first_reply_at = _earliest(target.first_reply_at, source.first_reply_at)
    target.waiting_since = _earliest(target.waiting_since, source.waiting_since)
    target.last_message_at = max(
        (v for v in (target.last_message_at, source.last_message_at) if v is not None), default=None
    )
    add_text(target, source.search_text)
    target.updated_at = now
    previous = source.status
    source.status = ConversationStatus.RESOLVED
    source.resolved_at = now
    source.open_contact_id = None
    source.snoozed_until = None
    source.waiting_since = None
    source.merged_into_id = target.id
    source.updated_at = now
    counts = {
        "moved_messages": int(getattr(moved_messages, "rowcount", 0) or 0),
        "moved_events": int(getattr(moved_events, "rowcount", 0) or 0),
    }
    record_event(
        session,
        target,
        ConversationEventKind.MERGED,
        principal=principal,
        detail={"source_id": str(source.id), **counts},
    )
    record_event(
        session,
        source,
        ConversationEventKind.MERGED_INTO,
        principal=principal,
        detail={"target_id": str(target.id), "from": previous.value},
    )
    for conversation in (target, source):
        inbox = session.get(Inbox, conversation.inbox_id)
        assert inbox is not None
        refresh_sla(session, conversation, inbox)
        announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "Conversations merged")
    result = MergeResult(target_id=target.id, source_id=source.id, **counts)
    session.commit()
    return result
