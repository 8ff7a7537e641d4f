"""The "ready for pickup" notice: sent once on the customer's preferred channel through the inbox (a real SMTP
round trip for email, the widget's history for chat), recorded on the order page, never across workspaces."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, NoticeKind, OrderStatus, SalesChannel
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate, OrderPublic
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.conftest import SmtpSink
from tests.channels.test_chat import history, say, visitor_session
from tests.commerce.conftest import Shop, make_shop
from tests.conftest import SECRET_KEY, World
from tests.helpers import prove_domain
from tests.inbox.conftest import chat_inbox, drain, email_inbox, inbound

__all__ = ["chat_inbox", "email_inbox"]  # the inbox fixtures used here

S = OrderStatus


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(
        update={
            "smtp_outbound_port": smtp_sink.port,
            "smtp_timeout_seconds": 3.0,
            "base_url": "https://shop.example.com",
        }
    )


def ready_order(db: Session, shop: Shop, customer: CustomerRef) -> OrderPublic:
    """A click-and-collect order for `customer` moved to ready for pickup (which queues the notice job)."""
    order = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)],
            channel=SalesChannel.WEB,
            fulfilment=Fulfilment.PICKUP,
            location_id=shop.store.id,
            customer=customer,
        ),
        actor="test",
    )
    for status in (S.PAID, S.ALLOCATED, S.READY_FOR_PICKUP):
        order = service.change_status(
            db, workspace_id=shop.workspace_id, order_id=order.id, status=status, actor="staff@acme"
        )
    return order


def drain_until(runtime: Runtime, done: object) -> None:
    """Run jobs (retries included) until `done()` holds or ten seconds passed."""
    deadline = time.monotonic() + 10
    while not done() and time.monotonic() < deadline:  # type: ignore[operator]
        drain(runtime)
        time.sleep(0.05)
    time.sleep(0.2)
    drain(runtime)


def rerun_notice_job(db: Session, shop: Shop, order: OrderPublic) -> None:
    """Queue the notice job a second time (as a replay would), under another key so it really runs."""
    jobs_service.enqueue(
        db,
        kind=service.NOTIFY_READY_JOB,
        payload={"order_id": str(order.id)},
        workspace_id=shop.workspace_id,
        idempotency_key=f"again:{order.id}",
    )
    db.commit()


def test_an_email_customer_gets_one_email_with_the_pickup_code(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    shop: Shop,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:
    order = ready_order(db, shop, CustomerRef(email="ada@example.com"))
    code = service.pickup_code(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    # A run whose transaction rolls back leaves nothing: its replay is the one that counts.
    service.notify_ready(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    drain(runtime)
    rerun_notice_job(db, shop, order)
    drain(runtime)
    [sent] = smtp_sink.messages
    assert sent["To"].endswith("ada@example.com") or sent["To"] == "ada@example.com"
    body = sent.get_content()
    assert code in body and "Paris store" in body
    assert f"https://shop.example.com/o/{order.token}" in body
    assert sent["From"].endswith(f"<{email_inbox.address}>") or email_inbox.address in sent["From"]
    [conversation] = client.get(
        "/api/v1/inbox/conversations?status=any", headers=world.token(Role.AGENT)
    ).json()
    assert conversation["status"] == "resolved" and conversation["sla_due_at"] is None
    detail = client.get(
        f"/api/v1/inbox/conversations/{conversation['id']}", headers=world.token(Role.AGENT)
    ).json()
    [message] = detail["messages"]
    assert message["kind"] == "outgoing" and message["author_label"] == world.workspace.name
    assert message["delivery_status"] == "sent"
    page = client.get(f"/commerce/orders/{order.id}", headers=world.token(Role.VIEWER))
    assert page.status_code == 200 and 'data-channel="email"' in page.text


def test_the_email_goes_out_once_after_the_smtp_server_comes_back(
    db: Session, runtime: Runtime, shop: Shop, email_inbox: InboxPublic, smtp_sink: SmtpSink
) -> None:
    smtp_sink.stop()
    order = ready_order(db, shop, CustomerRef(email="bea@example.com"))
    drain(runtime, limit=4)  # the notice is posted; its delivery fails, nobody listens
    assert smtp_sink.messages == []
    rerun_notice_job(db, shop, order)
    drain(runtime, limit=4)
    smtp_sink.start()
    drain_until(runtime, lambda: smtp_sink.messages)
    [sent] = smtp_sink.messages
    code = service.pickup_code(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    assert code in sent.get_content()


def test_a_chat_customer_gets_the_notice_in_their_chat(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    shop: Shop,
    chat_inbox: InboxPublic,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:
    token = chat_inbox.address
    visitor = visitor_session(client, token, anonymous_id="anon-7")
    assert (
        say(client, token, visitor, "Is my mug ready?", client_id="c1", anonymous_id="anon-7").status_code
        == 201
    )
    # The customer also has an email address, but chat is where they last talked to us.
    order = ready_order(db, shop, CustomerRef(email="cy@example.com", anonymous_id="anon-7"))
    drain(runtime)
    code = service.pickup_code(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    seen = history(client, token, visitor)
    assert [m["from"] for m in seen] == ["visitor", "agent"]
    assert code in seen[1]["text"] and "Paris store" in seen[1]["text"]
    assert smtp_sink.messages == []
    [conversation] = client.get(
        "/api/v1/inbox/conversations?status=any", headers=world.token(Role.AGENT)
    ).json()
    assert conversation["status"] == "open"  # a notice neither resolves nor reopens anything
    page = client.get(f"/commerce/orders/{order.id}", headers=world.token(Role.VIEWER))
    assert 'data-channel="chat"' in page.text


def test_a_customer_without_a_channel_gets_nothing_and_the_order_page_says_so(
    client: TestClient, db: Session, runtime: Runtime, world: World, shop: Shop, chat_inbox: InboxPublic
) -> None:
    order = ready_order(db, shop, CustomerRef(email="dee@example.com"))  # no email inbox, no conversation
    drain(runtime)
    conversations = client.get(
        "/api/v1/inbox/conversations?status=any", headers=world.token(Role.AGENT)
    ).json()
    assert conversations == []
    notices = service.order_notices(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    assert [(n.kind, n.channel) for n in notices] == [(NoticeKind.READY_FOR_PICKUP, None)]
    page = client.get(f"/commerce/orders/{order.id}", headers=world.token(Role.VIEWER))
    assert 'data-channel="none"' in page.text and "no channel available" in page.text


def test_another_workspaces_customer_is_never_touched(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    other_world: World,
    smtp_sink: SmtpSink,
    dns: StaticResolver,
) -> None:
    from omnicx.inbox.enums import MessagingChannel
    from omnicx.inbox.schemas import InboxCreate

    prove_domain(db, other_world.members[Role.OWNER].principal, "globex.example.com", dns)
    theirs = inbox_service.create_inbox(
        db,
        principal=other_world.members[Role.OWNER].principal,
        data=InboxCreate(channel=MessagingChannel.EMAIL, name="Support", address="help@globex.example.com"),
        secret_key=SECRET_KEY,
    )
    inbox_service.receive(db, inbox_id=theirs.id, message=inbound("eve@example.com", "Hello Globex"))
    shop = make_shop(db, world.workspace.id)
    order = ready_order(db, shop, CustomerRef(email="eve@example.com"))
    drain(runtime)
    assert smtp_sink.messages == []
    [conversation] = client.get(
        "/api/v1/inbox/conversations?status=any", headers=other_world.token(Role.AGENT)
    ).json()
    detail = client.get(
        f"/api/v1/inbox/conversations/{conversation['id']}", headers=other_world.token(Role.AGENT)
    ).json()
    assert [m["kind"] for m in detail["messages"]] == ["incoming"]
    notices = service.order_notices(db, workspace_id=world.workspace.id, order_id=order.id)
    db.rollback()
    assert [n.channel for n in notices] == [None]


def test_a_merged_customers_chat_is_their_preferred_channel(
    client: TestClient,
    db: Session,
    runtime: Runtime,
    world: World,
    shop: Shop,
    chat_inbox: InboxPublic,
    email_inbox: InboxPublic,
    smtp_sink: SmtpSink,
) -> None:
    token = chat_inbox.address
    visitor = visitor_session(client, token, anonymous_id="anon-9")
    assert say(client, token, visitor, "Hello", client_id="c1", anonymous_id="anon-9").status_code == 201
    chatter = identity_service.customer_for(
        db,
        workspace_id=world.workspace.id,
        identifier=Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-9"),
    )
    db.rollback()
    order = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)],
            fulfilment=Fulfilment.PICKUP,
            location_id=shop.store.id,
            customer=CustomerRef(email="fi@example.com"),
        ),
        actor="test",
    )
    assert chatter is not None and order.customer_id is not None and chatter != order.customer_id
    identity_service.merge_customers(
        db, principal=world.members[Role.OWNER].principal, source_id=chatter, target_id=order.customer_id
    )
    db.commit()
    for status in (S.PAID, S.ALLOCATED, S.READY_FOR_PICKUP):
        service.change_status(
            db, workspace_id=shop.workspace_id, order_id=order.id, status=status, actor="staff"
        )
    drain(runtime)
    assert [m["from"] for m in history(client, token, visitor)] == ["visitor", "agent"]
    assert smtp_sink.messages == []


def test_the_same_key_posts_one_notice(
    db: Session, world: World, shop: Shop, email_inbox: InboxPublic
) -> None:
    order = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)], customer=CustomerRef(email="gus@example.com")
        ),
        actor="test",
    )
    assert order.customer_id is not None
    first = inbox_service.notify_customer(
        db, workspace_id=world.workspace.id, customer_id=order.customer_id, subject="Hi", text="One", key="k1"
    )
    second = inbox_service.notify_customer(
        db, workspace_id=world.workspace.id, customer_id=order.customer_id, subject="Hi", text="One", key="k1"
    )
    db.commit()
    assert first is not None and second is not None
    assert first.new_conversation and not first.duplicate and first.channel.value == "email"
    assert second.duplicate and second.message_id == first.message_id
    assert second.conversation_id == first.conversation_id
