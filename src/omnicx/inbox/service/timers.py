"""Timed changes of a conversation: a snoozed one wakes when its time comes, a quiet one resolves itself after
its inbox's auto-resolve delay. Each is a job scheduled when the change that sets its time happens; its handler
checks again when it runs, so a job made stale by what happened since does nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox import lifecycle
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic
from omnicx.inbox.models import Conversation, Inbox
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.resolutions import tell_resolved
from omnicx.inbox.service.sla_clocks import refresh_sla
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service

WAKE_JOB = "inbox.wake"
AUTO_RESOLVE_JOB = "inbox.auto_resolve"


def schedule(session: Session, conversation: Conversation, *, kind: str, at: datetime, key: str) -> None:
    """Enqueue a timed job about one conversation (wake, auto-resolve), once per `key`; its handler re-checks
    the conversation when it runs, so a job made stale by what happened since does nothing."""
    jobs_service.enqueue(
        session,
        kind=kind,
        payload={"conversation_id": str(conversation.id)},
        workspace_id=conversation.workspace_id,
        idempotency_key=f"{conversation.id}:{key}",
        run_at=at,
    )


def wake_due(session: Session, *, conversation_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Open a snoozed conversation whose time has come (the wake job); False if nothing was due. No commit."""
    now = now or utcnow()
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None or not lifecycle.should_wake(
        conversation.status, conversation.snoozed_until, now=now
    ):
        return False
    record_event(
        session, conversation, ConversationEventKind.WOKEN, actor_label="omnicx", detail={"by": "timer"}
    )
    conversation.status = ConversationStatus.OPEN
    conversation.snoozed_until = None
    conversation.updated_at = now
    announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "A snoozed conversation woke up")
    return True


def auto_resolve_due(session: Session, *, conversation_id: uuid.UUID, now: datetime | None = None) -> bool:
    """Resolve a conversation its inbox's auto-resolve delay has caught (the auto-resolve job); False if it
    is not due (the customer answered, someone wrote since, it changed status, or the inbox stopped
    auto-resolving). No commit."""
    now = now or utcnow()
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    inbox = session.get(Inbox, conversation.inbox_id) if conversation is not None else None
    if conversation is None or inbox is None or inbox.auto_resolve_hours is None:
        return False
    if not lifecycle.should_auto_resolve(
        conversation.status,
        waiting_since=conversation.waiting_since,
        last_message_at=conversation.last_message_at,
        after=timedelta(hours=inbox.auto_resolve_hours),
        now=now,
    ):
        return False
    record_event(
        session,
        conversation,
        ConversationEventKind.STATUS_CHANGED,
        actor_label="omnicx",
        detail={"from": conversation.status.value, "to": "resolved", "by": "inactivity"},
    )
    conversation.status = ConversationStatus.RESOLVED
    conversation.resolved_at = now
    conversation.open_contact_id = None
    conversation.updated_at = now
    tell_resolved(session, conversation, inbox, at=now, by_inactivity=True)
    refresh_sla(session, conversation, inbox)
    announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "A quiet conversation was resolved")
    return True
