"""The inbound hot path (a busy chat): `ingest` finds the inbox by address and stores like `receive`, through the
group commit; a duplicate found by its failing insert leaves no trace and answers with the first delivery; a new
sender skips the conversation lookups; the agent scope is read once per transaction and follows a change; an
appended message costs few statements, a signed site identity none more; messages queued together share one
transaction and one inbox read."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.enums import AgentScope, ConversationStatus, MessagingChannel
from omnicx.inbox.errors import InboxNotFound, UnroutableMessage
from omnicx.inbox.models import Contact, Conversation, ConversationEvent, Message
from omnicx.inbox.schemas import (
    ConversationUpdate,
    InboundMessage,
    InboxPublic,
    InboxSettingsUpdate,
    ReceiveResult,
)
from omnicx.inbox.service import visibility
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.writes import GroupCommit
from tests.conftest import World
from tests.inbox.conftest import inbound
from tests.inbox.test_visibility import member_id

AT = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)


def chat_message(visitor: str, text: str, client_id: str, to: str | None = None) -> InboundMessage:
    return InboundMessage(
        channel=MessagingChannel.CHAT,
        inbox_address=to,
        source_id=visitor,
        text=text,
        provider_message_id=f"{visitor}:{client_id}",
    )


def ingest(runtime: Runtime, message: InboundMessage, **options: Any) -> ReceiveResult:
    """`service.ingest` from a test's thread (a channel awaits it on its event loop)."""
    return asyncio.run(service.ingest(runtime, message=message, **options))


def _state(db: Session, conversation_id: uuid.UUID) -> tuple[object, ...]:
    row = db.get(Conversation, conversation_id)
    assert row is not None
    contact = db.get(Contact, row.contact_id)
    assert contact is not None
    messages = db.scalars(
        select(Message.text).where(Message.conversation_id == conversation_id).order_by(Message.created_at)
    ).all()
    events = db.scalars(
        select(ConversationEvent.kind)
        .where(ConversationEvent.conversation_id == conversation_id)
        .order_by(ConversationEvent.at)
    ).all()
    state = (
        row.status,
        row.waiting_since,
        row.last_message_at,
        row.first_response_due_at,
        row.next_response_due_at,
        row.resolution_due_at,
        row.search_text.replace(contact.source_id, "<visitor>") if row.search_text else "",
        list(messages),
        list(events),
    )
    db.rollback()
    return state


@contextmanager
def statements(runtime: Runtime) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)


def test_ingest_stores_exactly_what_receive_stores(
    db: Session, runtime: Runtime, chat_inbox: InboxPublic
) -> None:
    by_id: list[uuid.UUID] = []
    by_address: list[uuid.UUID] = []
    for n, text in enumerate(["Hello", "Is the lamp in stock?", "Thanks"]):
        now = AT + timedelta(minutes=n)
        by_id.append(
            service.receive(
                db, inbox_id=chat_inbox.id, message=chat_message("v_one", text, f"c{n}"), now=now
            ).conversation_id
        )
        by_address.append(
            ingest(
                runtime, chat_message("v_two", text, f"c{n}", to=f" {chat_inbox.address} "), now=now
            ).conversation_id
        )
    assert len(set(by_id)) == 1 and len(set(by_address)) == 1
    assert _state(db, by_id[0]) == _state(db, by_address[0])


def test_a_message_for_an_address_nobody_receives_at_is_refused(
    runtime: Runtime, chat_inbox: InboxPublic
) -> None:
    with pytest.raises(InboxNotFound):
        ingest(runtime, chat_message("v_x", "Hi", "c1", to="chat_nobody"))
    as_email = chat_message("v_x", "Hi", "c1", to=chat_inbox.address).model_copy(
        update={"channel": MessagingChannel.EMAIL}
    )
    with pytest.raises(InboxNotFound):  # a chat token is no email address, and the reverse
        ingest(runtime, as_email)
    with pytest.raises(UnroutableMessage):  # a message that names no inbox goes nowhere
        ingest(runtime, chat_message("v_x", "Hi", "c1"))


def test_a_duplicate_leaves_no_trace_even_when_it_would_have_reopened_the_conversation(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    owner = world.members[Role.OWNER].principal
    message = inbound("dup@example.com", provider_message_id="<dup-1@example.com>")
    first = service.receive(db, inbox_id=email_inbox.id, message=message, now=AT)
    service.update_conversation(
        db,
        principal=owner,
        conversation_id=first.conversation_id,
        data=ConversationUpdate(status=ConversationStatus.RESOLVED),
    )
    before = _state(db, first.conversation_id)
    again = service.receive(db, inbox_id=email_inbox.id, message=message, now=AT + timedelta(hours=1))
    assert again.duplicate and again.message_id == first.message_id
    assert again.conversation_id == first.conversation_id
    assert _state(db, first.conversation_id) == before  # still resolved, no event, no message
    count = db.scalar(
        select(func.count()).select_from(Conversation).where(Conversation.inbox_id == email_inbox.id)
    )
    db.rollback()
    assert count == 1


def test_a_duplicate_chat_message_is_stored_once_and_answered_with_the_first(
    db: Session, runtime: Runtime, chat_inbox: InboxPublic
) -> None:
    results = [ingest(runtime, chat_message("v_d", "Hi", "c1", to=chat_inbox.address)) for _ in range(3)]
    assert [r.duplicate for r in results] == [False, True, True]
    assert {r.message_id for r in results} == {results[0].message_id}
    assert _state(db, results[0].conversation_id)[7] == ["Hi"]


def test_a_new_sender_skips_the_conversation_lookups_and_gets_a_new_conversation(
    db: Session, runtime: Runtime, email_inbox: InboxPublic
) -> None:
    """A contact created in the transaction has no conversation to find (threaded, active or latest)."""
    with statements(runtime) as seen:
        fresh = service.receive(db, inbox_id=email_inbox.id, message=inbound("new@example.com"), now=AT)
    assert fresh.new_conversation
    assert _state(db, fresh.conversation_id)[8] == ["created"]
    conversation_selects = [s for s in seen if s.startswith("SELECT") and "FROM inbox_conversation" in s]
    assert conversation_selects == []
    again = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("new@example.com"), now=AT + timedelta(minutes=1)
    )
    assert again.conversation_id == fresh.conversation_id and not again.new_conversation


def test_an_appended_chat_message_costs_six_data_statements(
    runtime: Runtime, chat_inbox: InboxPublic
) -> None:
    """Find the inbox (with the agent scope); the contact with its active conversation, together; insert the
    message; update the conversation; then the analytics copy's change feed: one insert of the changes (one row
    per stream) and one wake-up. Nothing else: no duplicate pre-check, no second inbox read, no settings read,
    no separate conversation lookup."""
    ingest(runtime, chat_message("v_s", "a", "1", to=chat_inbox.address))
    ingest(runtime, chat_message("v_s", "b", "2", to=chat_inbox.address))
    with statements(runtime) as seen:
        ingest(runtime, chat_message("v_s", "c", "3", to=chat_inbox.address))
    data = [s.split()[0] for s in seen if s.split()[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}]
    # The message's insert and the conversation's update go out in one flush, in the ORM's dependency order.
    assert data[:2] == ["SELECT", "SELECT"]
    assert sorted(data[2:4]) == ["INSERT", "UPDATE"]
    assert data[4:] == ["INSERT", "INSERT"]
    assert "INTO kernel_change" in seen[-2] and "INTO jobs_job" in seen[-1]
    assert "JOIN inbox_conversation" in next(s for s in seen if "FROM inbox_contact" in s)


def test_checking_a_signed_site_identity_costs_no_statement(
    runtime: Runtime, chat_inbox: InboxPublic
) -> None:
    """The inbox row read for routing carries its sealed identity secret: a message whose `user_hash` is
    checked (here it does not hold: a claim) costs the same statements as one without."""
    for n in range(2):
        ingest(runtime, chat_message("v_h", "a", f"{n}", to=chat_inbox.address))
    signed = chat_message("v_h", "c", "3", to=chat_inbox.address).model_copy(
        update={"user_id": "u-1", "user_hash": "0" * 64}
    )
    with statements(runtime) as seen:
        got = ingest(runtime, signed)
    assert got.customer_id is None
    data = [s.split()[0] for s in seen if s.split()[0] in {"SELECT", "INSERT", "UPDATE", "DELETE"}]
    assert data[:2] == ["SELECT", "SELECT"] and sorted(data[2:4]) == ["INSERT", "UPDATE"]
    assert data[4:] == ["INSERT", "INSERT"]  # the change feed, as for any message


def test_the_agent_scope_is_read_once_per_transaction_and_follows_a_change(
    db: Session, runtime: Runtime, world: World, chat_inbox: InboxPublic
) -> None:
    owner = world.members[Role.OWNER].principal
    agent = member_id(db, world, Role.AGENT)
    got = service.receive(db, inbox_id=chat_inbox.id, message=chat_message("v_a", "Hi", "c1"))
    service.update_conversation(
        db,
        principal=owner,
        conversation_id=got.conversation_id,
        data=ConversationUpdate(assignee_id=agent),
    )
    conversation = db.get(Conversation, got.conversation_id)
    assert conversation is not None
    with statements(runtime) as seen:
        first = visibility.audience(db, conversation)
        second = visibility.audience(db, conversation)
    assert first == second == []  # the default scope (inboxes) narrows nothing
    assert sum(1 for s in seen if s.startswith("SELECT") and "FROM inbox_settings" in s) == 1
    db.rollback()

    service.update_inbox_settings(db, principal=owner, data=InboxSettingsUpdate(agent_scope=AgentScope.OWN))
    conversation = db.get(Conversation, got.conversation_id)
    assert conversation is not None
    assert visibility.audience(db, conversation) == [[f"member:{agent}"]]
    db.rollback()


def test_the_widget_refuses_a_bad_signature_and_an_unknown_chat_as_before(
    client: TestClient, chat_inbox: InboxPublic
) -> None:
    token = chat_inbox.address
    visitor = client.post(f"/chat/{token}/session", content="{}").json()
    forged = {**visitor, "signature": "0" * 64, "text": "Hi"}
    assert client.post(f"/chat/{token}/messages", content=json.dumps(forged)).status_code == 401
    good = {**visitor, "text": "Hi", "client_id": "c1"}
    assert client.post("/chat/chat_nobody/messages", content=json.dumps(good)).status_code == 404
    assert client.post("/chat/chat_nobody/messages", content=json.dumps(forged)).status_code == 404
    first = client.post(f"/chat/{token}/messages", content=json.dumps(good))
    again = client.post(f"/chat/{token}/messages", content=json.dumps(good))
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()


def test_messages_queued_together_share_one_transaction_and_read_their_inbox_once(
    runtime: Runtime, chat_inbox: InboxPublic
) -> None:
    """What queues up while the group commit is busy is stored in one transaction: the inbox is read for the
    first message only, and each message is still inserted."""
    for n, visitor in enumerate(("v_a", "v_b")):
        ingest(runtime, chat_message(visitor, "hi", str(n), to=chat_inbox.address))
    writes = GroupCommit(runtime.sessions)  # one lane: every message queues behind the held unit below
    one_lane = dataclasses.replace(runtime, writes=writes)
    messages = [
        chat_message(visitor, "more", f"x{n}", to=chat_inbox.address)
        for n, visitor in enumerate(("v_a", "v_b", "v_a"))
    ]

    async def queued_together() -> list[ReceiveResult]:
        started, release = threading.Event(), threading.Event()

        def hold(session: Session) -> None:
            started.set()
            release.wait(10)

        held = writes.submit(hold)
        assert started.wait(10)
        stored = [asyncio.ensure_future(service.ingest(one_lane, message=m)) for m in messages]
        await asyncio.sleep(0)  # each message is queued now
        release.set()
        held.result(10)
        return list(await asyncio.gather(*stored))

    try:
        with statements(runtime) as seen:
            results = asyncio.run(queued_together())
    finally:
        writes.close()
    assert len({r.message_id for r in results}) == 3 and not any(r.duplicate for r in results)
    inbox_reads = [s for s in seen if s.startswith("SELECT") and "FROM inbox_inbox" in s]
    assert len(inbox_reads) == 1
    assert sum(s.startswith("INSERT INTO inbox_message") for s in seen) == 3
    with statements(runtime) as seen:  # the next transaction reads it again
        ingest(runtime, chat_message("v_b", "last", "y", to=chat_inbox.address))
    assert len([s for s in seen if s.startswith("SELECT") and "FROM inbox_inbox" in s]) == 1
