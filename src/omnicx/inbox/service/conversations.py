"""Conversations: loading one in its workspace and the caller's scope, the inbox views, one conversation with its
thread and history, and the agent's changes (status, priority, assignment, labels, snooze)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import case, func, nulls_last, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import lifecycle
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic, MessageKind, Priority
from omnicx.inbox.errors import AssigneeNotFound, ConversationNotFound, InvalidTransition
from omnicx.inbox.models import Contact, Conversation, ConversationEvent, Inbox, Message
from omnicx.inbox.schemas import (
    ConversationDetail,
    ConversationSummary,
    ConversationUpdate,
    EventPublic,
    InboxView,
)
from omnicx.inbox.service import visibility
from omnicx.inbox.service.contracts import labels_of, message_public, summary
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.notifications import notify_assignment
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.resolutions import tell_resolved
from omnicx.inbox.service.search import conditions as search_conditions
from omnicx.inbox.service.sla_clocks import refresh_sla
from omnicx.inbox.service.timers import WAKE_JOB, schedule
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow

_PRIORITY_ORDER = case(
    {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3, Priority.NONE: 4},
    value=Conversation.priority,
    else_=5,
)


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


def _membership_id(session: Session, principal: Principal) -> uuid.UUID | None:
    """The caller's membership in their workspace (what `assignee_id` holds)."""
    member = auth_service.member_of(session, principal=principal)
    return member.id if member is not None else None


def list_conversations(
    session: Session, *, principal: Principal, view: InboxView
) -> list[ConversationSummary]:
    """Conversations of one view: most urgent first, then nearest SLA due time, then oldest waiting; or, sorted
    `recent`, the latest message first."""
    stmt = (
        select(Conversation, Inbox, Contact)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Conversation.workspace_id == principal.workspace_id, visibility.condition(session, principal))
    )
    if view.view == "mine":
        stmt = stmt.where(Conversation.assignee_id == _membership_id(session, principal))
    elif view.view == "unassigned":
        stmt = stmt.where(Conversation.assignee_id.is_(None))
    if view.status != "any":
        stmt = stmt.where(Conversation.status == view.status)
    if view.team_id is not None:
        stmt = stmt.where(Conversation.team_id == view.team_id)
    if view.inbox_id is not None:
        stmt = stmt.where(Conversation.inbox_id == view.inbox_id)
    if view.channel is not None:
        stmt = stmt.where(Inbox.channel == view.channel)
    if view.q:
        stmt = stmt.where(*search_conditions(view.q))
    if view.sort == "recent":
        latest = func.coalesce(Conversation.last_message_at, Conversation.created_at)
        stmt = stmt.order_by(latest.desc(), Conversation.id.desc())
    else:
        due = func.coalesce(Conversation.first_response_due_at, Conversation.next_response_due_at)
        stmt = stmt.order_by(_PRIORITY_ORDER, nulls_last(due.asc()), Conversation.created_at)
    rows = session.execute(stmt.limit(view.limit * (5 if view.label else 1))).all()
    if view.label:
        rows = [r for r in rows if view.label in labels_of(r[0])][: view.limit]
    previews = _last_previews(session, [r[0].id for r in rows])
    return [summary(c, i, ct, previews.get(c.id, "")) for c, i, ct in rows]


def _last_previews(session: Session, conversation_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The newest customer-visible message text of each conversation (one query)."""
    if not conversation_ids:
        return {}
    rows = session.execute(
        select(Message.conversation_id, Message.text)
        .where(Message.conversation_id.in_(conversation_ids), Message.kind != MessageKind.NOTE)
        .order_by(Message.created_at)
    )
    return {row[0]: row[1] for row in rows}


def get_conversation(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    principal: Principal | None = None,
) -> ConversationDetail:
    """One conversation with its thread and history; with `principal`, only if they may see it."""
    conversation = load_conversation(
        session, workspace_id=workspace_id, conversation_id=conversation_id, principal=principal
    )
    inbox = session.get(Inbox, conversation.inbox_id)
    contact = session.get(Contact, conversation.contact_id)
    assert inbox is not None and contact is not None
    messages = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(Message.created_at, Message.id)
        )
    )
    events = session.scalars(
        select(ConversationEvent)
        .where(ConversationEvent.conversation_id == conversation.id)
        .order_by(ConversationEvent.at, ConversationEvent.id)
    )
    preview = next((m.text for m in reversed(messages) if m.kind is not MessageKind.NOTE), "")
    base = summary(conversation, inbox, contact, preview)
    return ConversationDetail(
        **base.model_dump(),
        messages=[message_public(m) for m in messages],
        events=[EventPublic.model_validate(e) for e in events],
    )


def update_conversation(
    session: Session,
    *,
    principal: Principal,
    conversation_id: uuid.UUID,
    data: ConversationUpdate,
    now: datetime | None = None,
) -> ConversationSummary:
    """Apply the fields present in `data`, record one event per change, announce, commit.

    `now` records a change made earlier (imports, the demo's history); default the current time.
    """
    conversation = load_conversation(
        session,
        workspace_id=principal.workspace_id,
        conversation_id=conversation_id,
        lock=True,
        principal=principal,
    )
    inbox = session.get(Inbox, conversation.inbox_id)
    contact = session.get(Contact, conversation.contact_id)
    assert inbox is not None and contact is not None
    fields = data.model_fields_set
    now = now or utcnow()
    changes: list[str] = []
    if "assignee_id" in fields and data.assignee_id != conversation.assignee_id:
        if data.assignee_id is not None and data.assignee_id not in {
            m.id for m in auth_service.list_members(session, workspace_id=principal.workspace_id)
        }:
            raise AssigneeNotFound(f"member {data.assignee_id} not found")
        record_event(
            session,
            conversation,
            ConversationEventKind.ASSIGNED,
            principal=principal,
            detail={"from": _str(conversation.assignee_id), "to": _str(data.assignee_id)},
        )
        conversation.assignee_id = data.assignee_id
        changes.append("assignee")
        if data.assignee_id is not None:
            notify_assignment(
                session, conversation=conversation, membership_id=data.assignee_id, actor=principal
            )
    if "team_id" in fields and data.team_id != conversation.team_id:
        if data.team_id is not None:
            auth_service.get_team(session, workspace_id=principal.workspace_id, team_id=data.team_id)
        record_event(
            session,
            conversation,
            ConversationEventKind.TEAM_CHANGED,
            principal=principal,
            detail={"from": _str(conversation.team_id), "to": _str(data.team_id)},
        )
        conversation.team_id = data.team_id
        changes.append("team")
    if data.priority is not None and data.priority is not conversation.priority:
        record_event(
            session,
            conversation,
            ConversationEventKind.PRIORITY_CHANGED,
            principal=principal,
            detail={"from": conversation.priority.value, "to": data.priority.value},
        )
        conversation.priority = data.priority
        changes.append("priority")
    if data.labels is not None:
        labels = sorted({label.strip() for label in data.labels if label.strip()})
        if labels != labels_of(conversation):
            record_event(
                session,
                conversation,
                ConversationEventKind.LABELS_CHANGED,
                principal=principal,
                detail={"from": labels_of(conversation), "to": labels},
            )
            conversation.labels = {"labels": labels}
            changes.append("labels")
    resnooze = data.status is ConversationStatus.SNOOZED and data.snoozed_until != conversation.snoozed_until
    if data.status is not None and (data.status is not conversation.status or resnooze):
        _change_status(session, conversation, contact, data.status, data.snoozed_until, principal, now)
        changes.append("status")
        if data.status is ConversationStatus.RESOLVED:
            tell_resolved(session, conversation, inbox, at=now, by_inactivity=False)
    if changes:
        conversation.updated_at = now
        refresh_sla(session, conversation, inbox)
        announce(
            session,
            conversation,
            InboxTopic.CONVERSATION_UPDATED,
            f"Conversation updated: {', '.join(changes)}",
        )
    result = summary(conversation, inbox, contact)
    session.commit()
    return result


def _str(value: uuid.UUID | None) -> str | None:
    return str(value) if value else None


def _change_status(
    session: Session,
    conversation: Conversation,
    contact: Contact,
    status: ConversationStatus,
    snoozed_until: datetime | None,
    principal: Principal,
    now: datetime,
) -> None:
    if status is ConversationStatus.SNOOZED:
        if snoozed_until is None or snoozed_until <= now:
            raise InvalidTransition("snoozing needs a time in the future")
        schedule(session, conversation, kind=WAKE_JOB, at=snoozed_until, key=snoozed_until.isoformat())
    if lifecycle.is_active(status) and not lifecycle.is_active(conversation.status):
        other = session.scalar(
            select(Conversation.id).where(
                Conversation.open_contact_id == contact.id, Conversation.id != conversation.id
            )
        )
        if other is not None:
            raise InvalidTransition("this contact already has an active conversation; continue that one")
        conversation.open_contact_id = contact.id
        conversation.resolved_at = None
    record_event(
        session,
        conversation,
        ConversationEventKind.STATUS_CHANGED,
        principal=principal,
        detail={
            "from": conversation.status.value,
            "to": status.value,
            **(
                {"until": snoozed_until.isoformat()}
                if snoozed_until and status is ConversationStatus.SNOOZED
                else {}
            ),
        },
    )
    conversation.status = status
    conversation.snoozed_until = snoozed_until if status is ConversationStatus.SNOOZED else None
    if status is ConversationStatus.RESOLVED:
        conversation.resolved_at = now
        conversation.open_contact_id = None
        conversation.waiting_since = None
