"""Agent notifications: a mention in a private note, a conversation assigned to someone.

Each notification is a row for one user, written in the transaction of the change that caused it, and
announced over SSE to that user only (`recipient_user_id`, see realtime.service.visible_to).
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.schemas import MemberPublic
from omnicx.inbox.enums import InboxTopic
from omnicx.inbox.errors import NotificationNotFound
from omnicx.inbox.models import AgentNotification, Conversation
from omnicx.inbox.schemas import NotificationList, NotificationPublic
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import RECIPIENT_KEY, publish

_MENTION = re.compile(r"(?<![\w.@])@([A-Za-z0-9][A-Za-z0-9._+-]*)")
LIST_LIMIT = 200


def _handles(member: MemberPublic) -> set[str]:
    """What a member answers to after `@`: the email's local part, the full email, the name without spaces."""
    local = member.email.partition("@")[0].lower()
    names = {local, member.email.lower()}
    if member.name.strip():
        names.add(re.sub(r"\s+", "", member.name).lower())
        names.add(member.name.split()[0].lower())
    return names


def mentioned_members(session: Session, *, workspace_id: uuid.UUID, text: str) -> list[MemberPublic]:
    """The workspace members (who may read the inbox) named by `@handle` in `text`, each once."""
    wanted = {m.group(1).rstrip(".").lower() for m in _MENTION.finditer(text)}
    if not wanted:
        return []
    members = auth_service.list_members(session, workspace_id=workspace_id)
    return [m for m in members if allows(m.role, Action.INBOX_READ) and _handles(m) & wanted]


def notify(
    session: Session,
    *,
    conversation: Conversation,
    user_id: uuid.UUID,
    kind: str,
    actor: Principal | None,
    text: str,
) -> None:
    """Write one notification for `user_id` and announce it to that user after commit (caller commits).
    Nobody is notified of their own action."""
    if actor is not None and actor.user_id == user_id:
        return
    row = AgentNotification(
        workspace_id=conversation.workspace_id,
        user_id=user_id,
        kind=kind,
        conversation_id=conversation.id,
        actor_label=actor.label if actor else "omnicx",
        text=text[:500],
    )
    session.add(row)
    session.flush()
    publish(
        session,
        RealtimeEvent(
            workspace_id=conversation.workspace_id,
            topic=InboxTopic.NOTIFICATION_CREATED,
            data={
                RECIPIENT_KEY: str(user_id),
                "notification_id": str(row.id),
                "kind": kind,
                "conversation_id": str(conversation.id),
                "summary": f"{row.actor_label}: {row.text}",
                "url": f"/inbox/conversations/{conversation.id}",
            },
            action=Action.INBOX_READ.value,
        ),
    )


def notify_mentions(session: Session, *, conversation: Conversation, actor: Principal, text: str) -> int:
    """Notify every member mentioned in a private note; returns how many were notified."""
    count = 0
    for member in mentioned_members(session, workspace_id=conversation.workspace_id, text=text):
        if member.user_id != actor.user_id:
            notify(
                session,
                conversation=conversation,
                user_id=member.user_id,
                kind="mention",
                actor=actor,
                text=text,
            )
            count += 1
    return count


def notify_assignment(
    session: Session, *, conversation: Conversation, membership_id: uuid.UUID, actor: Principal | None
) -> None:
    """Tell the new assignee (a membership of the conversation's workspace) the conversation is theirs."""
    members = auth_service.list_members(session, workspace_id=conversation.workspace_id)
    member = next((m for m in members if m.id == membership_id), None)
    if member is not None:
        title = conversation.subject or "conversation"
        notify(
            session,
            conversation=conversation,
            user_id=member.user_id,
            kind="assigned",
            actor=actor,
            text=title,
        )


def _mine(principal: Principal) -> ColumnElement[bool]:
    return and_(
        AgentNotification.workspace_id == principal.workspace_id,
        AgentNotification.user_id == principal.user_id,
    )


def list_notifications(
    session: Session, *, principal: Principal, unread_only: bool = False
) -> NotificationList:
    """The caller's notifications: unread first, newest first (at most LIST_LIMIT)."""
    stmt = select(AgentNotification).where(_mine(principal))
    if unread_only:
        stmt = stmt.where(AgentNotification.read_at.is_(None))
    stmt = stmt.order_by(AgentNotification.read_at.is_not(None), AgentNotification.created_at.desc()).limit(
        LIST_LIMIT
    )
    items = [NotificationPublic.model_validate(r) for r in session.scalars(stmt)]
    return NotificationList(unread=unread_count(session, principal=principal), items=items)


def unread_count(session: Session, *, principal: Principal) -> int:
    if principal.user_id is None:
        return 0
    stmt = select(func.count()).where(_mine(principal), AgentNotification.read_at.is_(None))
    return int(session.scalar(stmt) or 0)


def mark_read(
    session: Session,
    *,
    principal: Principal,
    notification_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> int:
    """Mark one notification (or, without an id, all) of the caller read; returns how many changed. Committed."""
    stmt = update(AgentNotification).where(_mine(principal), AgentNotification.read_at.is_(None))
    if notification_id is not None:
        exists = session.scalar(
            select(AgentNotification.id).where(_mine(principal), AgentNotification.id == notification_id)
        )
        if exists is None:
            raise NotificationNotFound(f"notification {notification_id} not found")
        stmt = stmt.where(AgentNotification.id == notification_id)
    changed = session.execute(stmt.values(read_at=now or utcnow())).rowcount  # type: ignore[attr-defined]
    session.commit()
    return int(changed or 0)
