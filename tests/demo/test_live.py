"""The demo's live simulation: each tick makes something happen through the services, and a failure never
escapes a tick (the demo server must outlive it)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.app.wiring import wire
from omnicx.commerce.models import Order
from omnicx.demo.live import SHOP_IDS, Simulation
from omnicx.demo.providers import RunningProviders
from omnicx.demo.service import seed_demo, seed_world
from omnicx.demo.sizes import Size
from omnicx.demo.world import TIMEZONE
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus, DeliveryStatus, MessageKind, MessagingChannel
from omnicx.inbox.models import Contact, Conversation, Inbox, Message
from omnicx.inbox.schemas import InboxView
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.tracking.models import Event, TrackingSession
from tests.helpers import ThreadServer

TINY = Size(customers=30, days=10, orders=10, conversations=8, offline_touches=4)


def _count(db: Session, model: type, workspace_id: uuid.UUID) -> int:
    """Count, then end the read (SQLite transactions here take the write lock)."""
    stmt = select(func.count()).select_from(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]
    count = int(db.scalar(stmt) or 0)
    db.rollback()
    return count


def _seeded_at() -> datetime:
    """The world's "now": the last Tuesday, 11:00 in the shop's time zone. A seeded conversation's fate depends
    on the hour it is cut at (an old one is resolved, a recent one may wait): seeded at the moment the test
    runs, the tiny world sometimes left no conversation waiting, and the test's queue was empty."""
    zone = ZoneInfo(TIMEZONE)
    today = utcnow().astimezone(zone).date()
    tuesday = today - timedelta(days=(today.weekday() - 1) % 7 or 7)
    return datetime.combine(tuesday, time(11), tzinfo=zone).astimezone(UTC)


@pytest.fixture
def workspace_id(runtime: Runtime, demo_providers: RunningProviders) -> uuid.UUID:
    with runtime.sessions() as session:
        workspace, _, _ = seed_demo(session)
    seed_world(
        runtime,
        workspace_id=workspace.id,
        size=TINY,
        wire=wire,
        now=_seeded_at(),
        provider_accounts=demo_providers.accounts,
    )
    return workspace.id


def test_each_action_moves_the_shop_through_the_services(
    runtime: Runtime, db: Session, workspace_id: uuid.UUID
) -> None:
    simulation = Simulation(runtime, workspace_id)
    before = {m: _count(db, m, workspace_id) for m in (Event, Conversation, Message, Order)}
    with runtime.sessions() as session:
        simulation._visit(session)
        simulation._message(session)
        simulation._answer(session)
        for _ in range(6):  # some items may be sold out somewhere: a few tries place one
            simulation._order(session)
        for _ in range(4):
            simulation._advance(session)
        simulation._restock(session)
    assert _count(db, Event, workspace_id) > before[Event]
    assert _count(db, Conversation, workspace_id) == before[Conversation] + 1
    assert _count(db, Message, workspace_id) == before[Message] + 2  # the customer's and the agent's
    assert _count(db, Order, workspace_id) > before[Order]
    sessions_before = _count(db, TrackingSession, workspace_id)
    wire()
    worker = Worker(runtime, "test-live")
    while worker.run_once():
        pass
    assert (
        _count(db, TrackingSession, workspace_id) > sessions_before
    )  # the visit was processed like SDK traffic


def _statuses(db: Session, workspace_id: uuid.UUID) -> dict[uuid.UUID, ConversationStatus]:
    rows = db.execute(
        select(Conversation.id, Conversation.status).where(Conversation.workspace_id == workspace_id)
    ).all()
    db.rollback()
    return dict(rows)


def test_agents_answer_what_waits_and_resolve_what_was_answered(
    runtime: Runtime, db: Session, workspace_id: uuid.UUID
) -> None:
    simulation = Simulation(runtime, workspace_id)
    simulation.rng = random.Random(4)
    with runtime.sessions() as session:
        simulation._message(session)
    (opened, _inbox), *_ = simulation.state.waiting
    with runtime.sessions() as session:
        simulation._answer(session)  # its own conversation first
        for _ in range(12):  # then the queue the seeding left, and what was answered gets resolved
            simulation._answer(session)
            simulation._resolve(session)
    statuses = _statuses(db, workspace_id)
    resolved_live = db.scalars(
        select(Conversation.id).where(
            Conversation.workspace_id == workspace_id,
            Conversation.resolved_at > utcnow() - timedelta(minutes=5),
        )
    ).all()
    db.rollback()
    assert opened in resolved_live and statuses[opened] is ConversationStatus.RESOLVED
    assert len(resolved_live) > 1  # the seeded queue moved too
    with runtime.sessions() as session:
        view = InboxView(status=ConversationStatus.OPEN)
        principal = simulation._agent(session)
        waiting = [
            c
            for c in inbox_service.list_conversations(session, principal=principal, view=view)
            if c.waiting_since
        ]
    assert waiting == []  # every waiting customer got an answer


def test_live_orders_come_from_known_visitors(runtime: Runtime, db: Session, workspace_id: uuid.UUID) -> None:
    simulation = Simulation(runtime, workspace_id)
    simulation.rng = random.Random(9)
    before = set(db.scalars(select(Order.id).where(Order.workspace_id == workspace_id)))
    db.rollback()
    with runtime.sessions() as session:
        for _ in range(8):
            simulation._order(session)
    wire()
    worker = Worker(runtime, "test-live")
    while worker.run_once():
        pass
    buyers = db.scalars(
        select(Order.customer_id).where(Order.workspace_id == workspace_id, Order.id.not_in(before))
    ).all()
    visited = set(
        db.scalars(select(TrackingSession.customer_id).where(TrackingSession.workspace_id == workspace_id))
    )
    db.rollback()
    assert buyers and all(buyer in visited for buyer in buyers), buyers


def test_a_failing_tick_is_logged_and_the_simulation_goes_on(
    runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    simulation = Simulation(runtime, uuid.uuid4(), tick_seconds=0.01)  # no such workspace: every action fails
    simulation.state.waiting.append((uuid.uuid4(), uuid.uuid4()))
    simulation.state.orders.append(uuid.uuid4())
    for _ in range(12):
        simulation.tick()
    assert simulation.ticks == 12
    assert "demo live simulation" in caplog.text


def test_start_and_stop(runtime: Runtime, workspace_id: uuid.UUID) -> None:
    simulation = Simulation(runtime, workspace_id, tick_seconds=0.02).start()
    while simulation.ticks < 3:
        simulation._stop.wait(0.05)
    simulation.stop()
    assert not simulation._thread.is_alive()


def test_customers_on_provider_channels_write_through_signed_webhooks_and_their_phones_confirm_the_replies(
    runtime: Runtime, app: object, db: Session, workspace_id: uuid.UUID, demo_providers: RunningProviders
) -> None:
    wire()
    with ThreadServer(app) as server:
        simulation = Simulation(runtime, workspace_id, providers=demo_providers, server=server.url)
        with runtime.sessions() as session:
            inboxes = inbox_service.list_inboxes(session, workspace_id=workspace_id)
        providers = [inbox for inbox in inboxes if inbox.channel in SHOP_IDS]
        assert {inbox.channel for inbox in providers} == set(SHOP_IDS)
        for inbox in providers:
            handset = simulation._handset(inbox)
            assert handset is not None, inbox.channel
            with runtime.sessions() as session:
                simulation._write(
                    session, inbox, handset, simulation._person(), "Bonjour, ma lampe est arrivée ?"
                )
        conversations = [conversation for conversation, _ in simulation.state.waiting]
        assert len(conversations) == len(providers)  # each message was stored by its webhook, once
        with runtime.sessions() as session:
            for _ in providers:
                simulation._answer(session)
        worker = Worker(runtime, "test-live")
        while worker.run_once():
            pass
        simulation._confirm()
    rows = db.execute(
        select(
            Message.kind,
            Message.delivery_status,
            Inbox.channel,
            Contact.claimed,
            Contact.customer_id,
            Contact.name,
        )
        .join(Inbox, Inbox.id == Message.inbox_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Message.conversation_id.in_(conversations))
    ).all()
    db.rollback()
    incoming = [row for row in rows if row.kind is MessageKind.INCOMING]
    # The provider vouched for each sender (a signed webhook): verified contacts, on a customer profile.
    assert len(incoming) == len(providers)
    assert all(not row.claimed and row.customer_id is not None for row in incoming)
    # Named by their profile (Messenger's and Instagram's asked of Meta afterwards); a text message has none.
    assert all(row.name for row in incoming if row.channel is not MessagingChannel.SMS)
    statuses = {row.channel: row.delivery_status for row in rows if row.kind is MessageKind.OUTGOING}
    assert set(statuses) == set(SHOP_IDS)
    # Twilio and Meta report delivered then read through the signed callbacks; Telegram reports nothing.
    expected = dict.fromkeys(SHOP_IDS, DeliveryStatus.READ) | {MessagingChannel.TELEGRAM: DeliveryStatus.SENT}
    assert statuses == expected
