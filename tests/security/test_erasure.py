"""Erasure reaches every domain that holds a customer's personal data, end to end.

A customer with tracked events, an email conversation with an attachment and an agent's reply, an order and a
cart asks for a copy of their data, then to be forgotten (with suppression). The erasure runs as the real job;
afterwards an agent finds nothing of them in the conversation (page, API, search, attachment), the order keeps
its total without them, and suppression keeps the door shut: their next event is not stored, and their next
email reaches the inbox (a person wrote to the business) without being linked to a profile again.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.commerce import service as commerce_service
from omnicx.commerce.schemas import CartCheckout, CartItemChange, CustomerRef, LineRequest, OrderCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import Attachment, InboundMessage, InboxPublic, ReceiveResult
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking.models import Event, Touchpoint
from tests.channels.conftest import SmtpSink
from tests.commerce.conftest import Shop, make_shop
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import email_inbox
from tests.tracking.conftest import KeyedSource, source

__all__ = ["email_inbox", "source"]  # fixtures shared with the inbox and tracking tests

SUPPORT = "support@acme.example.com"
ANA = "ana.lopez@example.com"
HER_WORDS = "my lamp flickers since the storm"
REPLY = "Hello Ana Lopez, a new lamp is on its way"
# What must not be seen anywhere once she is erased.
TRACES = (ANA, "Ana", "Lopez", "flickers", "lamp-photo.png", "u-ana", "dev-ana")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    """Replies are delivered to a real local SMTP server."""
    return settings.model_copy(update={"smtp_outbound_port": smtp_sink.port, "smtp_timeout_seconds": 3.0})


@pytest.fixture
def shop(db: Session, world: World) -> Shop:
    return make_shop(db, world.workspace.id)


def _run_jobs(runtime: Runtime) -> None:
    worker = Worker(runtime, "erasure-test")
    while worker.run_once():
        pass
    with runtime.sessions() as session:
        failed = session.scalars(select(Job.kind).where(Job.status == JobStatus.DEAD)).all()
        retrying = session.scalars(select(Job.kind).where(Job.attempts > 1)).all()
    assert failed == [] and retrying == []  # later jobs (SLA checks, cart checks) wait for their time


def _email(runtime: Runtime, text: str, *, attachment: bytes | None = None) -> ReceiveResult:
    """An email from Ana as the email channel hands it in (DMARC-aligned: a verified sender)."""
    message = InboundMessage(
        channel=MessagingChannel.EMAIL,
        inbox_address=SUPPORT,
        source_id=ANA,
        email=ANA,
        name="Ana Lopez",
        provider_message_id=f"<{uuid.uuid4()}@example.com>",
        subject="Broken lamp",
        text=text,
        attachments=[Attachment(filename="lamp-photo.png", content_type="image/png", data=attachment)]
        if attachment
        else [],
        sender_verified=True,
    )
    return asyncio.run(inbox_service.ingest(runtime, message=message))


def _collect(client: TestClient, source: KeyedSource, *events: dict[str, Any]) -> None:
    response = client.post("/v1/batch", json={"batch": list(events)}, headers=source.basic)
    assert response.json() == {"success": True}, response.text


def _ana(db: Session, world: World) -> uuid.UUID | None:
    found = identity_service.customer_for(
        db, workspace_id=world.workspace.id, identifier=Identifier(kind=IdentifierKind.EMAIL, value=ANA)
    )
    db.rollback()
    return found


def _traces(text: str) -> list[str]:
    """Which of her traces `text` shows (as whole words: "Ana" is not in "Analytics")."""
    return [t for t in TRACES if re.search(rf"\b{re.escape(t)}\b", text, re.IGNORECASE)]


def test_an_erased_customer_leaves_nothing_an_agent_can_see_and_nothing_is_collected_again(
    client: TestClient,
    runtime: Runtime,
    db: Session,
    world: World,
    source: KeyedSource,
    email_inbox: InboxPublic,
    shop: Shop,
    smtp_sink: SmtpSink,
) -> None:
    agent, admin = world.token(Role.AGENT), world.token(Role.ADMIN)
    # Given: Ana browses (identified), writes with a photo, is answered, buys in store and leaves a cart.
    _collect(
        client,
        source,
        {"type": "identify", "anonymousId": "dev-ana", "userId": "u-ana", "traits": {"email": ANA}},
        {"type": "page", "anonymousId": "dev-ana", "properties": {"url": "https://shop.example/lamps"}},
    )
    received = _email(runtime, HER_WORDS, attachment=b"\x89PNG-ana")
    conversation_id = received.conversation_id
    replied = client.post(
        f"/api/v1/inbox/conversations/{conversation_id}/messages", json={"text": REPLY}, headers=agent
    )
    assert replied.status_code == 201, replied.text
    order = commerce_service.place_order(
        db,
        workspace_id=world.workspace.id,
        data=OrderCreate(lines=[LineRequest(sku="MUG", quantity=2)], customer=CustomerRef(email=ANA)),
        actor="web",
    )
    her = CustomerRef(email=ANA, user_id="u-ana")
    commerce_service.set_cart_item(
        db, workspace_id=world.workspace.id, data=CartItemChange(customer=her, sku="TEE-S", quantity=1)
    )
    commerce_service.checkout_cart(
        db, workspace_id=world.workspace.id, data=CartCheckout(customer=her, location_id=shop.store.id)
    )
    db.rollback()
    _run_jobs(runtime)  # events resolved, the reply delivered
    assert len(smtp_sink.messages) == 1
    customer_id = _ana(db, world)
    assert customer_id is not None and received.customer_id == customer_id
    [message] = [
        m
        for m in client.get(f"/api/v1/inbox/conversations/{conversation_id}", headers=agent).json()[
            "messages"
        ]
        if m["kind"] == "incoming"
    ]
    before = client.get(f"/api/v1/inbox/conversations/{conversation_id}", headers=agent).text
    assert {ANA, "Lopez", "flickers", "lamp-photo.png"} <= set(_traces(before))  # the check can see her
    attachment_url = f"/inbox/messages/{message['id']}/attachments/0"
    photo = runtime.settings.data_dir / "attachments" / message["attachments"][0]["path"]
    assert photo.read_bytes() == b"\x89PNG-ana"

    # The copy of her data has every domain's section.
    export = client.post(f"/api/v1/identity/customers/{customer_id}/export", headers=admin)
    assert export.status_code == 200, export.text
    sections = export.json()["sections"]
    assert set(sections) == {"timeline", "tracking", "inbox", "commerce", "channels", "feedback"}
    assert sections["channels"] == []  # no browser of hers subscribed to notifications
    assert {e["anonymous_id"] for e in sections["tracking"]["events"]} == {"dev-ana"}
    [exported] = sections["inbox"]["conversations"]
    assert [m["text"] for m in exported["messages"]] == [HER_WORDS, REPLY]
    assert exported["messages"][0]["attachments"][0]["filename"] == "lamp-photo.png"
    assert [o["id"] for o in sections["commerce"]["orders"]] == [str(order.id)]
    assert [i["sku"] for c in sections["commerce"]["carts"] for i in c["items"]] == ["TEE-S"]

    # When: she asks to be forgotten, and the erasure job runs.
    requested = client.post(
        f"/api/v1/identity/customers/{customer_id}/erase", json={"suppress": True}, headers=admin
    )
    assert requested.status_code == 202, requested.text
    _run_jobs(runtime)
    assert (
        client.get(f"/api/v1/identity/erasures/{requested.json()['job_id']}", headers=admin).json()["status"]
        == "succeeded"
    )

    # Then: the conversation, as an agent reads it, holds nothing of her.
    api = client.get(f"/api/v1/inbox/conversations/{conversation_id}", headers=agent)
    assert api.status_code == 200 and api.json()["messages"] == []
    assert _traces(api.text) == []
    for q in ("flickers", "ana", "lopez", "lamp"):
        found = client.get("/api/v1/inbox/conversations", params={"status": "any", "q": q}, headers=agent)
        assert found.status_code == 200 and found.json() == [], q
    listed = client.get("/api/v1/inbox/conversations", params={"status": "any"}, headers=agent)
    assert [c["id"] for c in listed.json()] == [str(conversation_id)]  # a shell, still counted
    assert _traces(listed.text) == []
    member = world.members[Role.AGENT]
    sign_in(client, member.email, member.password)
    page = client.get(f"/inbox/conversations/{conversation_id}")
    assert page.status_code == 200 and _traces(page.text) == []
    assert client.get(attachment_url).status_code == 404
    assert not photo.exists()
    order_page = client.get(f"/commerce/orders/{order.id}")
    assert order_page.status_code == 200 and _traces(order_page.text) == []
    client.cookies.clear()
    # The order stays in the books, without her.
    kept = client.get(f"/api/v1/commerce/orders/{order.id}", headers=admin).json()
    assert kept["customer_id"] is None and kept["total_minor"] == order.total_minor == 2 * 900
    assert client.get(f"/api/v1/customers/{customer_id}", headers=admin).status_code == 404
    assert db.scalar(select(func.count()).select_from(Event)) == 0
    db.rollback()

    # And suppression keeps the door shut: her next event is not stored at all...
    _collect(client, source, {"type": "track", "userId": "u-ana", "event": "Viewed"})
    assert db.scalar(select(func.count()).select_from(Event)) == 0
    db.rollback()
    # ...while her next email still reaches the team, on a new contact that no profile is built from.
    again = _email(runtime, "Are you there?")
    _run_jobs(runtime)
    assert again.conversation_id != conversation_id and again.customer_id is None
    assert _ana(db, world) is None
    assert db.scalar(select(func.count()).select_from(Touchpoint)) == 0
    db.rollback()
    thread = client.get(f"/api/v1/inbox/conversations/{again.conversation_id}", headers=agent).json()
    assert thread["contact"]["email"] == ANA and thread["customer_id"] is None
