"""The inbox service: deduplication, contacts and conversations under concurrency, lifecycle on inbound
messages, replies and notes, delivery statuses, the customer 360, workspace isolation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.app.wiring import wire
from omnicx.auth import service as auth_service
from omnicx.customers import service as customers_service
from omnicx.inbox import service
from omnicx.inbox.enums import ConversationStatus, DeliveryStatus, MessageKind, MessagingChannel
from omnicx.inbox.models import Contact, Conversation, Message
from omnicx.inbox.schemas import (
    ConversationUpdate,
    InboxCreate,
    InboxPublic,
    InboxView,
    ReplyCreate,
    StatusReport,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service as tracking_service
from tests.conftest import SECRET_KEY, World
from tests.inbox.conftest import drain, inbound


def _count(db: Session, model: type, **where: object) -> int:
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    value = db.scalar(stmt) or 0
    db.rollback()
    return int(value)


def test_a_duplicate_inbound_message_is_stored_once(db: Session, email_inbox: InboxPublic) -> None:
    message = inbound(provider_message_id="<same@example.com>")
    first = service.receive(db, inbox_id=email_inbox.id, message=message)
    second = service.receive(db, inbox_id=email_inbox.id, message=message)
    assert not first.duplicate and second.duplicate
    assert second.message_id == first.message_id
    assert _count(db, Message, inbox_id=email_inbox.id) == 1


def test_concurrent_messages_of_a_new_sender_make_one_contact_and_one_conversation(
    runtime: Runtime, email_inbox: InboxPublic, db: Session
) -> None:
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def send(n: int) -> None:
        try:
            barrier.wait()
            with runtime.sessions() as session:
                service.receive(session, inbox_id=email_inbox.id, message=inbound("new@example.com", f"n{n}"))
        except BaseException as exc:  # the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert _count(db, Contact, inbox_id=email_inbox.id) == 1
    assert _count(db, Conversation, inbox_id=email_inbox.id) == 1
    assert _count(db, Message, inbox_id=email_inbox.id) == 6


def test_inbound_on_a_resolved_conversation_reopens_it_within_the_window_else_starts_a_new_one(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT].principal
    first = service.receive(db, inbox_id=email_inbox.id, message=inbound())
    resolve = ConversationUpdate(status=ConversationStatus.RESOLVED)
    service.update_conversation(db, principal=agent, conversation_id=first.conversation_id, data=resolve)
    again = service.receive(db, inbox_id=email_inbox.id, message=inbound(text="one more thing"))
    assert again.conversation_id == first.conversation_id and not again.new_conversation
    detail = service.get_conversation(
        db, workspace_id=agent.workspace_id, conversation_id=first.conversation_id
    )
    assert detail.status is ConversationStatus.OPEN
    assert "reopened" in [e.kind for e in detail.events]
    service.update_conversation(db, principal=agent, conversation_id=first.conversation_id, data=resolve)
    later = datetime.now(UTC) + timedelta(hours=73)
    fresh = service.receive(db, inbox_id=email_inbox.id, message=inbound(text="new topic"), now=later)
    assert fresh.new_conversation and fresh.conversation_id != first.conversation_id
    db.rollback()


def test_a_snoozed_conversation_wakes_on_a_new_message_and_at_its_time(
    db: Session, runtime: Runtime, world: World, email_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT].principal
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound())
    until = datetime.now(UTC) + timedelta(hours=1)
    snooze = ConversationUpdate(status=ConversationStatus.SNOOZED, snoozed_until=until)
    service.update_conversation(db, principal=agent, conversation_id=got.conversation_id, data=snooze)
    service.receive(db, inbox_id=email_inbox.id, message=inbound(text="still there?"))
    detail = service.get_conversation(
        db, workspace_id=agent.workspace_id, conversation_id=got.conversation_id
    )
    assert detail.status is ConversationStatus.OPEN and detail.snoozed_until is None
    soon = datetime.now(UTC) + timedelta(milliseconds=300)
    db.rollback()
    service.update_conversation(
        db,
        principal=agent,
        conversation_id=got.conversation_id,
        data=ConversationUpdate(status=ConversationStatus.SNOOZED, snoozed_until=soon),
    )
    assert not service.wake_due(db, conversation_id=got.conversation_id)
    db.rollback()
    assert service.wake_due(db, conversation_id=got.conversation_id, now=soon)
    db.commit()
    detail = service.get_conversation(
        db, workspace_id=agent.workspace_id, conversation_id=got.conversation_id
    )
    db.rollback()
    assert detail.status is ConversationStatus.OPEN


def test_notes_are_never_delivered_and_statuses_only_move_forward(
    db: Session, runtime: Runtime, world: World, chat_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT].principal
    got = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-1", anonymous_id="anon-1"))
    note = service.reply(
        db, principal=agent, conversation_id=got.conversation_id, data=ReplyCreate(text="VIP", private=True)
    )
    assert note.kind is MessageKind.NOTE and note.delivery_status is None
    assert service.outbound_for(db, message_id=note.id) is None
    db.rollback()
    assert _count(db, Job, kind=service.DELIVER_JOB) == 0
    sent = service.reply(
        db, principal=agent, conversation_id=got.conversation_id, data=ReplyCreate(text="Hi!")
    )
    assert _count(db, Job, kind=service.DELIVER_JOB) == 1
    drain(runtime)
    assert sent.provider_message_id
    assert service.apply_status(
        db,
        inbox_id=chat_inbox.id,
        report=StatusReport(provider_message_id=sent.provider_message_id, status=DeliveryStatus.READ),
    )
    assert not service.apply_status(
        db,
        inbox_id=chat_inbox.id,
        report=StatusReport(provider_message_id=sent.provider_message_id, status=DeliveryStatus.DELIVERED),
    )
    assert not service.apply_status(
        db,
        inbox_id=chat_inbox.id,
        report=StatusReport(
            provider_message_id=sent.provider_message_id, status=DeliveryStatus.FAILED, error="x"
        ),
    )
    detail = service.get_conversation(
        db, workspace_id=agent.workspace_id, conversation_id=got.conversation_id
    )
    db.rollback()
    statuses = {m.id: m.delivery_status for m in detail.messages}
    assert statuses[sent.id] is DeliveryStatus.READ
    assert detail.first_reply_at is not None and detail.first_response_due_at is None


def test_conversations_appear_on_the_customer_360(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    wire()  # the inbox's timeline provider registers from its tasks module
    agent = world.members[Role.AGENT].principal
    got = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("carol@example.com", sender_verified=True)
    )
    service.reply(db, principal=agent, conversation_id=got.conversation_id, data=ReplyCreate(text="On it"))
    assert got.customer_id is not None
    view = customers_service.get_customer_360(
        db, workspace_id=agent.workspace_id, customer_id=got.customer_id
    )
    db.rollback()
    assert view.last_contact is not None and view.last_contact.source == "inbox"
    assert view.last_communication is not None and view.last_communication.detail == "On it"


def test_api_views_reply_and_isolation(
    client: TestClient, db: Session, world: World, other_world: World, email_inbox: InboxPublic
) -> None:
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound())
    db.rollback()
    agent = world.token(Role.AGENT)
    listed = client.get("/api/v1/inbox/conversations", params={"view": "unassigned"}, headers=agent)
    assert listed.status_code == 200
    assert [c["id"] for c in listed.json()] == [str(got.conversation_id)]
    me = client.get("/api/v1/members", headers=agent).json()
    agent_member = next(m for m in me if m["email"] == world.members[Role.AGENT].email)
    patched = client.patch(
        f"/api/v1/inbox/conversations/{got.conversation_id}",
        json={"assignee_id": agent_member["id"], "priority": "high", "labels": ["vip"]},
        headers=agent,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["assignee_id"] == agent_member["id"]
    mine = service.list_conversations(
        db, principal=world.members[Role.AGENT].principal, view=InboxView(view="mine")
    )
    others = service.list_conversations(
        db, principal=world.members[Role.ADMIN].principal, view=InboxView(view="mine")
    )
    db.rollback()
    assert [c.id for c in mine] == [got.conversation_id] and others == []
    assert client.get("/api/v1/inbox/conversations", params={"label": "vip"}, headers=agent).json()
    resolved = client.get("/api/v1/inbox/conversations", params={"status": "resolved"}, headers=agent).json()
    assert (
        resolved == []
        and len(client.get("/api/v1/inbox/conversations", params={"status": "any"}, headers=agent).json())
        == 1
    )
    viewer = client.post(
        f"/api/v1/inbox/conversations/{got.conversation_id}/messages",
        json={"text": "hi"},
        headers=world.token(Role.VIEWER),
    )
    assert viewer.status_code == 403
    stranger = other_world.token(Role.OWNER)
    assert (
        client.get(f"/api/v1/inbox/conversations/{got.conversation_id}", headers=stranger).status_code == 404
    )
    assert client.get("/api/v1/inbox/conversations", headers=stranger).json() == []
    blocked = client.post(
        f"/api/v1/inbox/conversations/{got.conversation_id}/messages", json={"text": "hi"}, headers=stranger
    )
    assert blocked.status_code == 404
    detail = client.get(f"/api/v1/inbox/conversations/{got.conversation_id}", headers=agent).json()
    assert [e["kind"] for e in detail["events"]][:1] == ["created"]
    assert {"assigned", "priority_changed", "labels_changed"} <= {e["kind"] for e in detail["events"]}


def test_round_robin_assigns_the_least_busy_agent_within_capacity(db: Session, world: World) -> None:
    owner = world.members[Role.OWNER].principal
    inbox = service.create_inbox(
        db,
        principal=owner,
        data=InboxCreate(
            channel=MessagingChannel.EMAIL,
            name="Sales",
            address="sales@acme.example.com",
            auto_assign=True,
            assignment_capacity=1,
        ),
        secret_key=SECRET_KEY,
    )
    agents = [
        m
        for m in auth_service.list_members(db, workspace_id=owner.workspace_id)
        if m.role in (Role.OWNER, Role.ADMIN, Role.AGENT)
    ]
    db.rollback()
    assignees = []
    for n in range(len(agents) + 1):
        got = service.receive(db, inbox_id=inbox.id, message=inbound(f"lead{n}@example.com"))
        assignees.append(
            service.get_conversation(
                db, workspace_id=owner.workspace_id, conversation_id=got.conversation_id
            ).assignee_id
        )
        db.rollback()
    assert set(assignees[:-1]) == {m.id for m in agents}  # one each
    assert assignees[-1] is None  # everyone is at capacity


def test_a_new_inbound_conversation_is_an_offline_touchpoint(db: Session, email_inbox: InboxPublic) -> None:
    erin = {"sender": "erin@example.com", "sender_verified": True}
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound(**erin))
    service.receive(db, inbox_id=email_inbox.id, message=inbound(**erin, text="and another thing"))
    assert got.customer_id is not None
    touches = tracking_service.list_touchpoints(
        db, workspace_id=email_inbox.workspace_id, customer_ids=[got.customer_id]
    )
    db.rollback()
    assert [(t.channel, t.kind) for t in touches] == [("Email", "conversation")]
