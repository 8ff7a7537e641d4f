"""Round-robin assignment with capacity: a new conversation goes to the agent with the fewest active
conversations (below the inbox's capacity); on ties, to the one whose latest conversation is oldest."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox.enums import Availability, ConversationEventKind, ConversationStatus
from omnicx.inbox.models import Conversation, Inbox
from omnicx.inbox.service.availability import availability_of
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.notifications import notify_assignment
from omnicx.kernel.access.permissions import Action, allows

ROUND_ROBIN = "omnicx (round robin)"
_NEVER = datetime.min.replace(tzinfo=UTC)


def candidates(session: Session, inbox: Inbox) -> list[uuid.UUID]:
    """Memberships that may answer `inbox`: members who can reply, of the inbox's team if it has one."""
    members = [
        m
        for m in auth_service.list_members(session, workspace_id=inbox.workspace_id)
        if allows(m.role, Action.INBOX_REPLY)
    ]
    if inbox.team_id is not None:
        team = auth_service.get_team(session, workspace_id=inbox.workspace_id, team_id=inbox.team_id)
        members = [m for m in members if m.id in set(team.member_ids)]
    return [m.id for m in members]


def anyone_online(session: Session, *, inbox_id: uuid.UUID) -> bool:
    """Whether someone who may answer the inbox is online now (else the chat widget asks for an email)."""
    inbox = session.get(Inbox, inbox_id)
    if inbox is None:
        return False
    status = availability_of(session, workspace_id=inbox.workspace_id)
    return any(status.get(m) is Availability.ONLINE for m in candidates(session, inbox))


def pick_assignee(session: Session, inbox: Inbox) -> uuid.UUID | None:
    """The membership that should take the next conversation of `inbox`, or None if everyone is full or
    nobody is online (busy and offline agents get no new conversations)."""
    status = availability_of(session, workspace_id=inbox.workspace_id)
    ids = [m for m in candidates(session, inbox) if status.get(m) is Availability.ONLINE]
    if not ids:
        return None
    mine = (Conversation.workspace_id == inbox.workspace_id) & Conversation.assignee_id.in_(ids)
    active: dict[uuid.UUID | None, int] = {
        row[0]: row[1]
        for row in session.execute(
            select(Conversation.assignee_id, func.count())
            .where(mine, Conversation.status != ConversationStatus.RESOLVED)
            .group_by(Conversation.assignee_id)
        )
    }
    latest: dict[uuid.UUID | None, datetime] = {
        row[0]: row[1]
        for row in session.execute(
            select(Conversation.assignee_id, func.max(Conversation.created_at))
            .where(mine)
            .group_by(Conversation.assignee_id)
        )
    }
    capacity = inbox.assignment_capacity
    eligible = [i for i in ids if capacity <= 0 or active.get(i, 0) < capacity]
    if not eligible:
        return None
    return min(eligible, key=lambda i: (active.get(i, 0), _aware(latest.get(i)), str(i)))


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return _NEVER
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def auto_assign(session: Session, conversation: Conversation, inbox: Inbox) -> None:
    """Assign a new conversation by round robin when its inbox asks for it (in the caller's transaction)."""
    if not inbox.auto_assign or conversation.assignee_id is not None:
        return
    assignee = pick_assignee(session, inbox)
    if assignee is None:
        return
    conversation.assignee_id = assignee
    record_event(
        session,
        conversation,
        ConversationEventKind.ASSIGNED,
        actor_label=ROUND_ROBIN,
        detail={"from": None, "to": str(assignee)},
    )
    notify_assignment(session, conversation=conversation, membership_id=assignee, actor=None)
