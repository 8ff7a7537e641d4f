"""Conversations: the inbox views, one conversation with its thread and history, and the agent's changes
(status, priority, assignment, labels, snooze); plus the jobs' entry points (wake, SLA checks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, nulls_last, select, true
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.customers.schemas import TimelineItem
from omnicx.inbox import lifecycle
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic, MessageKind, Priority
from omnicx.inbox.errors import AssigneeNotFound, InvalidTransition, MessageNotFound
from omnicx.inbox.models import Contact, Conversation, ConversationEvent, Inbox, Message
from omnicx.inbox.schemas import (
    AttachmentPublic,
    ConversationDetail,
    ConversationSummary,
    ConversationUpdate,
    EventPublic,
    InboxView,
)
from omnicx.inbox.service import visibility
from omnicx.inbox.service._common import (
    WAKE_JOB,
    announce,
    labels_of,
    last_preview,
    load_conversation,
    message_public,
    record_event,
    refresh_sla,
    schedule,
    summary,
)
from omnicx.inbox.service.notifications import notify_assignment
from omnicx.inbox.service.search import conditions as search_conditions
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow

_PRIORITY_ORDER = case(
    {Priority.URGENT: 0, Priority.HIGH: 1, Priority.MEDIUM: 2, Priority.LOW: 3, Priority.NONE: 4},
    value=Conversation.priority,
    else_=5,
)


def _membership_id(session: Session, principal: Principal) -> uuid.UUID | None:
    """The caller's membership in their workspace (what `assignee_id` holds)."""
    member = auth_service.member_of(session, principal=principal)
    return member.id if member is not None else None


def list_conversations(
    session: Session, *, principal: Principal, view: InboxView
) -> list[ConversationSummary]:
    """Conversations of one view, most urgent first, then nearest SLA due time, then oldest waiting."""
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
    due = func.coalesce(Conversation.first_response_due_at, Conversation.next_response_due_at)
    stmt = stmt.order_by(_PRIORITY_ORDER, nulls_last(due.asc()), Conversation.created_at)
    rows = session.execute(stmt.limit(view.limit * (5 if view.label else 1))).all()
    if view.label:
        rows = [r for r in rows if view.label in labels_of(r[0])][: view.limit]
    previews = last_preview(session, [r[0].id for r in rows])
    return [summary(c, i, ct, previews.get(c.id, "")) for c, i, ct in rows]


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
    refresh_sla(session, conversation, inbox)
    announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "A quiet conversation was resolved")
    return True


def check_sla(session: Session, *, conversation_id: uuid.UUID, kind: str, stage: str, due: datetime) -> bool:
    """Announce an SLA warning or breach once, if `due` is still the conversation's due time. No commit."""
    conversation = session.scalar(
        select(Conversation).where(Conversation.id == conversation_id).with_for_update()
    )
    if conversation is None:
        return False
    current = {
        "first_response": conversation.first_response_due_at,
        "next_response": conversation.next_response_due_at,
        "resolution": conversation.resolution_due_at,
    }.get(kind)
    if current is None or current != due:
        return False  # answered, resolved, or the clock restarted: this check is stale
    key = f"{kind}:{stage}:{due.isoformat()}"
    notified: dict[str, Any] = dict(conversation.sla_notified or {})
    if key in notified:
        return False
    now = utcnow()
    notified[key] = now.isoformat()
    conversation.sla_notified = notified
    breached = stage == "breach"
    event = ConversationEventKind.SLA_BREACHED if breached else ConversationEventKind.SLA_WARNING
    record_event(
        session, conversation, event, actor_label="omnicx", detail={"target": kind, "due": due.isoformat()}
    )
    words = "breached" if breached else "is close to its"
    announce(
        session,
        conversation,
        InboxTopic.SLA_BREACHED if breached else InboxTopic.SLA_WARNING,
        f"Conversation {words} {kind.replace('_', ' ')} target",
        target=kind,
        due=due.isoformat(),
    )
    return True


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
                title=(conversation.subject or ("Message received" if inbound else "Reply sent"))[:200],
                detail=message.text[:200],
                channel=inbox.channel.value,
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


def get_attachment(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    message_id: uuid.UUID,
    index: int,
    principal: Principal | None = None,
) -> AttachmentPublic:
    """One stored attachment of a message in this workspace (its `path` is under the attachments folder)."""
    message = session.scalar(
        select(Message).where(Message.id == message_id, Message.workspace_id == workspace_id)
    )
    if message is not None and principal is not None:
        visibility.ensure_visible(session, principal, message.conversation_id)
    files = (message.attachments or {}).get("files", []) if message is not None else []
    if message is None or not 0 <= index < len(files):
        raise MessageNotFound(f"attachment {index} of message {message_id} not found")
    return AttachmentPublic.model_validate(files[index])
