"""What the analytics copy reads of the inbox: conversations with their SLA outcome, and message metadata.

Conversations and messages change in many places (replies, assignment, status, merges), all through the ORM:
followers (`kernel.jobs.feed.follow`) record their changes as each transaction commits. The first-response due
time is computed as a row is copied, from the inbox's SLA policy in force; a policy edit, a policy given to an
inbox or a workspace's time zone change re-copies the conversations it grades, so every row is graded by one rule.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.analytics.service import Row, Stream
from omnicx.auth import service as auth_service
from omnicx.inbox import sla
from omnicx.inbox.models import Conversation, Inbox, Message, SlaPolicy
from omnicx.kernel.jobs.feed import Follower

CHUNK = 2000

#: Per inbox: its SLA targets and business hours.
Clocks = dict[uuid.UUID, tuple[sla.Targets, sla.BusinessHours]]

_CONVERSATION_COLUMNS = (
    Conversation.id,
    Conversation.customer_id,
    Conversation.inbox_id,
    Inbox.channel,
    Conversation.status,
    Conversation.priority,
    Conversation.assignee_id,
    Conversation.team_id,
    Conversation.intent,
    Conversation.created_at,
    Conversation.first_reply_at,
    Conversation.last_message_at,
    Conversation.resolved_at,
    Conversation.merged_into_id,
    Conversation.workspace_id,
)
_MESSAGE_COLUMNS = (
    Message.id,
    Message.conversation_id,
    Message.inbox_id,
    Message.kind,
    Message.author_user_id,
    Message.created_at,
    Message.delivery_status,
    Message.attachments,
    Message.workspace_id,
)


def sla_clocks(session: Session, workspace_id: uuid.UUID) -> Clocks:
    """Each inbox's SLA targets and business hours (the default policy for inboxes without one), in the
    workspace's time zone."""
    timezone = auth_service.get_workspace(session, workspace_id=workspace_id).timezone
    clocks: Clocks = {}
    rows = session.execute(
        select(Inbox.id, SlaPolicy)
        .outerjoin(SlaPolicy, SlaPolicy.id == Inbox.sla_policy_id)
        .where(Inbox.workspace_id == workspace_id)
    ).all()
    for inbox_id, policy in rows:
        if policy is None:
            clocks[inbox_id] = (sla.Targets(), sla.BusinessHours(timezone=timezone))
            continue
        clocks[inbox_id] = (
            sla.Targets(
                first_response=policy.first_response_minutes,
                next_response=policy.next_response_minutes,
                resolution=policy.resolution_minutes,
            ),
            sla.BusinessHours.from_config(
                timezone, policy.business_hours or {}, (policy.holidays or {}).get("dates", [])
            ),
        )
    return clocks


def first_response_due(created_at: datetime, inbox_id: uuid.UUID, clocks: Clocks) -> datetime | None:
    """When the first response is due under the inbox's policy (None: the policy sets no target)."""
    targets, hours = clocks[inbox_id]
    if targets.first_response is None:
        return None
    return sla.add_business_time(created_at, timedelta(minutes=targets.first_response), hours)


def _conversation_rows(session: Session, rows: Iterable[Any]) -> list[tuple[uuid.UUID, Row]]:
    clocks: dict[uuid.UUID, Clocks] = {}
    copied: list[tuple[uuid.UUID, Row]] = []
    for row in rows:
        workspace_id = row.workspace_id
        if workspace_id not in clocks:
            clocks[workspace_id] = sla_clocks(session, workspace_id)
        due = first_response_due(row.created_at, row.inbox_id, clocks[workspace_id])
        values = tuple(row)
        copied.append(
            (
                workspace_id,
                (
                    *values[:3],
                    row.channel.value,
                    row.status.value,
                    row.priority.value,
                    *values[6:13],
                    due,
                    row.merged_into_id,
                ),
            )
        )
    return copied


def _message_row(row: Any) -> Row:
    files = (row.attachments or {}).get("files") or []
    return (
        row.id,
        row.conversation_id,
        row.inbox_id,
        row.kind.value,
        row.author_user_id,
        row.created_at,
        row.delivery_status.value if row.delivery_status else None,
        len(files),
    )


def _by_ids(
    session: Session, stmt: Any, model: Any, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Any]:
    """Rows found by primary key, any of another workspace left out."""
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = session.execute(stmt.where(model.id.in_(list(ids[start : start + CHUNK])))).all()
        rows += [row for row in chunk if row.workspace_id == workspace_id]
    return rows


def _conversations() -> Any:
    return select(*_CONVERSATION_COLUMNS).join(Inbox, Inbox.id == Conversation.inbox_id)


def copy_conversations(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    found = _by_ids(session, _conversations(), Conversation, workspace_id, ids)
    return [row for _, row in _conversation_rows(session, found)]


def scan_conversations(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    stmt = _conversations().order_by(Conversation.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Conversation.id > after)
    return _conversation_rows(session, session.execute(stmt))


def count_copy_conversations(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Conversation)) or 0)


def copy_messages(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    found = _by_ids(session, select(*_MESSAGE_COLUMNS), Message, workspace_id, ids)
    return [_message_row(row) for row in found]


def scan_messages(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    stmt = select(*_MESSAGE_COLUMNS).order_by(Message.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Message.id > after)
    return [(row.workspace_id, _message_row(row)) for row in session.execute(stmt)]


def count_copy_messages(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Message)) or 0)


def _conversations_of_inboxes(
    session: Session, inbox_ids: Iterable[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    stmt = select(Conversation.workspace_id, Conversation.id).where(Conversation.inbox_id.in_(set(inbox_ids)))
    return [(row[0], row[1]) for row in session.execute(stmt)]


def _graded_by_inboxes(session: Session, inboxes: Sequence[Any]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    return _conversations_of_inboxes(session, [inbox.id for inbox in inboxes])


def _graded_by_policies(session: Session, policies: Sequence[Any]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    inbox_ids = session.scalars(select(Inbox.id).where(Inbox.sla_policy_id.in_([p.id for p in policies])))
    return _conversations_of_inboxes(session, list(inbox_ids))


def graded_in_workspaces(session: Session, workspaces: Sequence[Any]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Every conversation of these workspaces (a time zone change moves their business hours)."""
    stmt = select(Conversation.workspace_id, Conversation.id).where(
        Conversation.workspace_id.in_([w.id for w in workspaces])
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def assigned_to(session: Session, members: Sequence[Any]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Conversations assigned to these memberships (removing one clears the assignee in the database)."""
    stmt = select(Conversation.workspace_id, Conversation.id).where(
        Conversation.assignee_id.in_([m.id for m in members])
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def of_teams(session: Session, teams: Sequence[Any]) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Conversations of these teams (deleting one clears their team in the database)."""
    stmt = select(Conversation.workspace_id, Conversation.id).where(
        Conversation.team_id.in_([t.id for t in teams])
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


#: How the copy follows the inbox's writes (the composition root registers them).
COPY_FOLLOWERS = (
    Follower(Conversation, Stream.CONVERSATIONS.value),
    Follower(Message, Stream.MESSAGES.value),
    Follower(Inbox, Stream.CONVERSATIONS.value, resolve=_graded_by_inboxes, watch=("sla_policy_id",)),
    Follower(SlaPolicy, Stream.CONVERSATIONS.value, resolve=_graded_by_policies),
)
