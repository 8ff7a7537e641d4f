"""Inbox fixtures: an email inbox and a chat inbox in the test world, a job drainer, inbound message factory."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from omnicx.app.wiring import wire
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import InboundMessage, InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from tests.conftest import SECRET_KEY, World
from tests.helpers import prove_domain

_counter = itertools.count(1)


@pytest.fixture
def email_inbox(db: Session, world: World, dns: StaticResolver) -> InboxPublic:
    """An email inbox at support@acme.example.com, a domain the world has proven (so mail reaches it)."""
    prove_domain(db, world.members[Role.OWNER].principal, "acme.example.com", dns)
    inbox = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(channel=MessagingChannel.EMAIL, name="Support", address="support@acme.example.com"),
        secret_key=SECRET_KEY,
    )
    db.rollback()
    return inbox


@pytest.fixture
def chat_inbox(db: Session, world: World) -> InboxPublic:
    inbox = service.create_inbox(
        db,
        principal=world.members[Role.OWNER].principal,
        data=InboxCreate(channel=MessagingChannel.CHAT, name="Site"),
        secret_key=SECRET_KEY,
    )
    db.rollback()
    return inbox


def inbound(sender: str = "alice@example.com", text: str = "Hello", **fields: object) -> InboundMessage:
    values: dict[str, object] = {
        "source_id": sender,
        "email": sender if "@" in sender else None,
        "name": sender.split("@")[0].title(),
        "provider_message_id": f"<m{next(_counter)}@example.com>",
        "subject": "Order 42",
        "text": text,
    }
    values.update(fields)
    return InboundMessage.model_validate(values)


def drain_until(runtime: Runtime, done: Callable[[], bool], timeout: float = 15.0) -> None:
    """Run due jobs until `done()` holds (retries are due a backoff later), then once more for what it queued."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        drain(runtime)
        time.sleep(0.05)
    drain(runtime)


def drain(runtime: Runtime, limit: int = 50) -> int:
    """Run due jobs until none is left; returns how many ran."""
    wire()  # every domain's job handlers, as the worker registers them at start-up
    worker = Worker(runtime, "test-worker")
    count = 0
    while count < limit and worker.run_once():
        count += 1
    return count


Receive = Callable[..., object]
