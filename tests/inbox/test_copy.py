"""The analytics copy follows the inbox: replies, assignment and status through the ORM, SLA policies that
re-grade conversations, members removed (cleared by the database), merges and erasure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.models import Conversation, Message
from omnicx.inbox.schemas import (
    ConversationUpdate,
    InboxPublic,
    ReplyCreate,
    SlaPolicyCreate,
    SlaPolicyUpdate,
)
from omnicx.inbox.service.copy import first_response_due, sla_clocks
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.inbox.conftest import inbound

COLUMNS = "id, status, assignee_id, first_reply_at, first_response_due_at, merged_into_id"


def _copied(runtime: Runtime, world: World) -> dict[uuid.UUID, tuple[Any, ...]]:
    analytics_service.sync(runtime)
    with runtime.sessions() as session:
        rows = analytics_service.query(
            session, workspace_id=world.workspace.id, sql=f"SELECT {COLUMNS} FROM conversations"
        )
    return {row[0]: tuple(row[1:]) for row in rows}


def _stored(runtime: Runtime, world: World) -> dict[uuid.UUID, tuple[Any, ...]]:
    """The same columns from the store of record, the due time computed as the copy's feeder does."""
    with runtime.sessions() as session:
        clocks = sla_clocks(session, world.workspace.id)
        rows = session.scalars(select(Conversation).where(Conversation.workspace_id == world.workspace.id))
        return {
            c.id: (
                c.status.value,
                c.assignee_id,
                c.first_reply_at,
                first_response_due(c.created_at, c.inbox_id, clocks),
                c.merged_into_id,
            )
            for c in rows
        }


def _messages(runtime: Runtime, world: World) -> set[uuid.UUID]:
    analytics_service.sync(runtime)
    with runtime.sessions() as session:
        rows = analytics_service.query(
            session, workspace_id=world.workspace.id, sql="SELECT id FROM messages"
        )
    return {row[0] for row in rows}


def test_conversations_and_messages_follow_every_write(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    owner = world.members[Role.OWNER].principal
    agent = next(
        m for m in auth_service.list_members(db, workspace_id=world.workspace.id) if m.role is Role.AGENT
    )
    first = service.receive(db, inbox_id=email_inbox.id, message=inbound("a@example.com", "Where is it?"))
    second = service.receive(db, inbox_id=email_inbox.id, message=inbound("b@example.com", "Hello"))
    assert _copied(runtime, world) == _stored(runtime, world) and len(_stored(runtime, world)) == 2

    service.reply(db, principal=owner, conversation_id=first.conversation_id, data=ReplyCreate(text="Soon"))
    service.update_conversation(
        db,
        principal=owner,
        conversation_id=second.conversation_id,
        data=ConversationUpdate(assignee_id=agent.id),
    )
    copied = _copied(runtime, world)
    assert copied == _stored(runtime, world)
    assert copied[first.conversation_id][2] is not None and copied[second.conversation_id][1] == agent.id
    stored_messages = set(db.scalars(select(Message.id).where(Message.workspace_id == world.workspace.id)))
    db.rollback()  # end the read: on SQLite an open transaction holds the write turn the sync needs
    assert _messages(runtime, world) == stored_messages and len(stored_messages) == 3

    # A policy given to the inbox, then edited: every conversation is graded again by the policy in force.
    policy = service.create_sla_policy(
        db,
        principal=owner,
        data=SlaPolicyCreate(name="Fast", first_response_minutes=30),
        inbox_ids=[email_inbox.id],
    )
    copied = _copied(runtime, world)
    assert copied == _stored(runtime, world)
    created = db.get(Conversation, second.conversation_id)
    assert created is not None
    created_at = created.created_at
    db.rollback()
    assert copied[second.conversation_id][3] == created_at + timedelta(minutes=30)
    service.update_sla_policy(
        db,
        principal=owner,
        policy_id=policy.id,
        data=SlaPolicyUpdate(name="Fast", first_response_minutes=45),
    )
    copied = _copied(runtime, world)
    assert copied == _stored(runtime, world)
    assert copied[second.conversation_id][3] == created_at + timedelta(minutes=45)

    # Removing the assignee: the database clears it (ON DELETE SET NULL), and so does the copy.
    auth_service.remove_member(db, principal=owner, member_id=agent.id)
    db.commit()
    copied = _copied(runtime, world)
    assert copied == _stored(runtime, world) and copied[second.conversation_id][1] is None


def test_merged_conversations_move_their_messages_and_erased_messages_leave(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    owner = world.members[Role.OWNER].principal
    first = service.receive(db, inbox_id=email_inbox.id, message=inbound("a@example.com", "One"))
    service.update_conversation(
        db,
        principal=owner,
        conversation_id=first.conversation_id,
        data=ConversationUpdate(status="resolved"),  # type: ignore[arg-type]
    )
    second = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("a@example.com", "Two", subject="Another"),
        now=datetime.now(UTC) + timedelta(days=10),
    )
    assert first.conversation_id != second.conversation_id
    assert len(_messages(runtime, world)) == 2  # copied where they were before the merge
    service.merge_conversations(
        db, principal=owner, target_id=first.conversation_id, source_id=second.conversation_id
    )
    analytics_service.sync(runtime)
    with runtime.sessions() as session:
        rows = analytics_service.query(
            session,
            workspace_id=world.workspace.id,
            sql="SELECT conversation_id, count(*) FROM messages GROUP BY 1",
        )
    assert dict(rows) == {first.conversation_id: 2}
    assert _copied(runtime, world) == _stored(runtime, world)
