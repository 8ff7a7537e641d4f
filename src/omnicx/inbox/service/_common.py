"""Helpers shared by the inbox service modules: loading in scope, contracts, events, realtime, SLA refresh."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import sla
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic, MessageKind
from omnicx.inbox.errors import ConversationNotFound, InboxNotFound
from omnicx.inbox.models import Contact, Conversation, ConversationEvent, Inbox, Message, SlaPolicy
from omnicx.inbox.schemas import (
    AttachmentPublic,
    ContactPublic,
    ConversationSummary,
    MessagePublic,
)
from omnicx.inbox.service import visibility
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import AUDIENCE_KEY, publish

SLA_CHECK_JOB = "inbox.sla_check"
WAKE_JOB = "inbox.wake"
AUTO_RESOLVE_JOB = "inbox.auto_resolve"
DELIVER_JOB = "inbox.deliver"
DELIVER_ATTEMPTS = (
    10  # with the worker's backoff (capped at an hour) a reply keeps trying for about half a day
)
PREVIEW_CHARS = 140


def load_inbox(session: Session, *, workspace_id: uuid.UUID, inbox_id: uuid.UUID) -> Inbox:
    inbox = session.scalar(select(Inbox).where(Inbox.id == inbox_id, Inbox.workspace_id == workspace_id))
    if inbox is None:
        raise InboxNotFound(f"inbox {inbox_id} not found")
    return inbox


def load_conversation(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    lock: bool = False,
    principal: Principal | None = None,
) -> Conversation:
    """The conversation, in its workspace and, when `principal` is given, only if they may see it (agents are
    limited to their inboxes and the workspace's agent scope: `visibility`)."""
    stmt = select(Conversation).where(
        Conversation.id == conversation_id, Conversation.workspace_id == workspace_id
    )
    if lock:
        stmt = stmt.with_for_update()
    conversation = session.scalar(stmt)
    if conversation is None:
        raise ConversationNotFound(f"conversation {conversation_id} not found")
    if principal is not None:
        visibility.ensure_visible(session, principal, conversation.id)
    return conversation


def labels_of(conversation: Conversation) -> list[str]:
    value = (conversation.labels or {}).get("labels", [])
    return [str(v) for v in value] if isinstance(value, list) else []


def nearest_due(conversation: Conversation) -> datetime | None:
    dues = [
        d
        for d in (
            conversation.first_response_due_at,
            conversation.next_response_due_at,
            conversation.resolution_due_at,
        )
        if d is not None
    ]
    return min(dues) if dues else None


def message_public(message: Message) -> MessagePublic:
    files = (message.attachments or {}).get("files", [])
    return MessagePublic(
        id=message.id,
        conversation_id=message.conversation_id,
        kind=message.kind,
        author_label=message.author_label,
        subject=message.subject,
        text=message.text,
        html=message.html,
        attachments=[AttachmentPublic.model_validate(f) for f in files],
        provider_message_id=message.provider_message_id,
        delivery_status=message.delivery_status,
        delivery_error=message.delivery_error,
        created_at=message.created_at,
    )


def summary(
    conversation: Conversation, inbox: Inbox, contact: Contact, preview: str = ""
) -> ConversationSummary:
    return ConversationSummary(
        id=conversation.id,
        inbox_id=inbox.id,
        channel=inbox.channel,
        inbox_name=inbox.name,
        contact=ContactPublic.model_validate(contact),
        customer_id=conversation.customer_id,
        subject=conversation.subject,
        status=conversation.status,
        priority=conversation.priority,
        assignee_id=conversation.assignee_id,
        team_id=conversation.team_id,
        labels=labels_of(conversation),
        snoozed_until=conversation.snoozed_until,
        waiting_since=conversation.waiting_since,
        first_reply_at=conversation.first_reply_at,
        last_message_at=conversation.last_message_at,
        first_response_due_at=conversation.first_response_due_at,
        next_response_due_at=conversation.next_response_due_at,
        resolution_due_at=conversation.resolution_due_at,
        sla_due_at=nearest_due(conversation),
        preview=preview[:PREVIEW_CHARS],
        created_at=conversation.created_at,
        intent=conversation.intent,
        merged_into_id=conversation.merged_into_id,
    )


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


def record_event(
    session: Session,
    conversation: Conversation,
    kind: ConversationEventKind,
    *,
    principal: Principal | None = None,
    actor_label: str = "",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Write one conversation event (who, what, when) in the caller's transaction."""
    session.add(
        ConversationEvent(
            workspace_id=conversation.workspace_id,
            conversation_id=conversation.id,
            kind=kind,
            actor_user_id=principal.user_id if principal else None,
            actor_label=principal.label if principal else actor_label,
            detail=detail or {},
            at=at or utcnow(),
        )
    )


def announce(
    session: Session, conversation: Conversation, topic: InboxTopic, summary_text: str, **data: Any
) -> None:
    """Tell the workspace's screens (after commit) that `conversation` changed."""
    publish(
        session,
        RealtimeEvent(
            workspace_id=conversation.workspace_id,
            topic=topic,
            data={
                "conversation_id": str(conversation.id),
                "status": conversation.status.value,
                "assignee_id": str(conversation.assignee_id) if conversation.assignee_id else None,
                "contact_id": str(conversation.contact_id),
                "summary": summary_text,
                "url": f"/inbox/conversations/{conversation.id}",
                AUDIENCE_KEY: visibility.audience(session, conversation),
                **data,
            },
            action=Action.INBOX_READ.value,
        ),
    )


def _policy_for(session: Session, inbox: Inbox) -> SlaPolicy | None:
    if inbox.sla_policy_id is not None:
        return session.get(SlaPolicy, inbox.sla_policy_id)
    return None


def refresh_sla(session: Session, conversation: Conversation, inbox: Inbox) -> None:
    """Recompute the conversation's due times and schedule one warning and one breach check per due time."""
    policy = _policy_for(session, inbox)
    workspace = auth_service.get_workspace(session, workspace_id=conversation.workspace_id)
    if policy is None:
        targets = sla.Targets()
        hours = sla.BusinessHours(timezone=workspace.timezone)
    else:
        targets = sla.Targets(
            first_response=policy.first_response_minutes,
            next_response=policy.next_response_minutes,
            resolution=policy.resolution_minutes,
        )
        hours = sla.BusinessHours.from_config(
            workspace.timezone, policy.business_hours or {}, (policy.holidays or {}).get("dates", [])
        )
    due = sla.due_times(
        created_at=conversation.created_at,
        waiting_since=conversation.waiting_since,
        first_reply_at=conversation.first_reply_at,
        resolved=conversation.status is ConversationStatus.RESOLVED,
        targets=targets,
        hours=hours,
    )
    conversation.first_response_due_at = due.first_response
    conversation.next_response_due_at = due.next_response
    conversation.resolution_due_at = due.resolution
    for kind, at, minutes in (
        ("first_response", due.first_response, targets.first_response),
        ("next_response", due.next_response, targets.next_response),
        ("resolution", due.resolution, targets.resolution),
    ):
        if at is None or minutes is None:
            continue
        for stage, run_at in (("warning", sla.warning_at(at, minutes)), ("breach", at)):
            jobs_service.enqueue(
                session,
                kind=SLA_CHECK_JOB,
                payload={
                    "conversation_id": str(conversation.id),
                    "kind": kind,
                    "stage": stage,
                    "due": at.isoformat(),
                },
                workspace_id=conversation.workspace_id,
                idempotency_key=f"{conversation.id}:{kind}:{stage}:{at.isoformat()}",
                run_at=run_at,
            )


def reopen_window(inbox: Inbox) -> timedelta:
    return timedelta(hours=inbox.reopen_window_hours)


def last_preview(session: Session, conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The newest customer-visible message text of each conversation (one query)."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        select(Message.conversation_id, Message.text)
        .where(Message.conversation_id.in_(conversation_ids), Message.kind != MessageKind.NOTE)
        .order_by(Message.created_at)
    )
    return {row[0]: row[1] for row in rows}
