"""Social selling: a social manager answering Instagram DMs marks the customer as a qualified lead, and the
attribution report counts one qualified lead credited to Instagram; a sender who only claimed who they are
cannot be qualified."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app
from omnicx.channels.meta.simulator import MetaSimulator
from omnicx.inbox import service
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.runtime import Runtime
from omnicx.tracking.models import Event
from tests.channels.test_meta import IG_ID, INSTAGRAM, TOKEN, _create, post, writes
from tests.channels.test_sms import messages
from tests.conftest import World
from tests.helpers import ThreadServer, page_csrf, sign_in
from tests.inbox.conftest import chat_inbox, drain, inbound

__all__ = ["chat_inbox"]  # a fixture shared with the inbox tests


@pytest.fixture
def instagram(db: Session, world: World) -> Iterator[InboxPublic]:
    sim = MetaSimulator(accounts={IG_ID: (TOKEN, {"username": "lumen.store"})})
    with ThreadServer(sim.app()) as server:
        made = _create(db, world, INSTAGRAM, server.url)
        db.rollback()
        yield made


def _dm(client: TestClient, db: Session, inbox: InboxPublic) -> uuid.UUID:
    assert post(client, inbox, writes(INSTAGRAM, "Do you have the brass lamp in green?")).status_code == 200
    return messages(db, inbox)[0].conversation_id


def _qualified_report(client: TestClient, world: World) -> dict[str, float]:
    today = utcnow().date()
    report = client.get(
        "/api/v1/attribution/report",
        params={"date_from": (today - timedelta(days=1)).isoformat(), "date_to": today.isoformat()},
        headers=world.token(Role.OWNER),
    )
    assert report.status_code == 200, report.text
    return {row["channel"]: row["stages"]["qualified"]["last"] for row in report.json()["channels"]}


def test_a_qualified_lead_from_an_instagram_dm_is_credited_to_instagram(
    client: TestClient, db: Session, runtime: Runtime, world: World, instagram: InboxPublic
) -> None:
    conversation_id = _dm(client, db, instagram)
    url = f"/api/v1/inbox/conversations/{conversation_id}/qualify"
    for _ in range(2):  # marking twice counts once
        marked = client.post(url, headers=world.token(Role.AGENT))
        assert marked.status_code == 200, marked.text
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Event).where(Event.event == "Lead Qualified")) == 1
    db.rollback()
    drain(runtime)
    analytics_service.sync(runtime)
    credited = _qualified_report(client, world)
    assert credited.get("Instagram") == pytest.approx(1.0)
    assert sum(credited.values()) == pytest.approx(1.0)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{conversation_id}").text
    assert "data-qualified" in page and 'id="qualify-form"' not in page


def test_the_page_and_the_cli_qualify_and_a_claimed_sender_cannot_be(
    client: TestClient, cli_env: dict[str, str], db: Session, world: World, instagram: InboxPublic,
    chat_inbox: InboxPublic,
) -> None:  # fmt: skip
    claimed = service.receive(db, inbox_id=chat_inbox.id, message=inbound("visitor-9", "hi", email=None))
    db.rollback()
    refused = client.post(
        f"/api/v1/inbox/conversations/{claimed.conversation_id}/qualify", headers=world.token(Role.AGENT)
    )
    assert refused.status_code == 422 and "verified customer" in refused.json()["message"]
    viewer = client.post(
        f"/api/v1/inbox/conversations/{claimed.conversation_id}/qualify", headers=world.token(Role.VIEWER)
    )
    assert viewer.status_code == 403
    conversation_id = _dm(client, db, instagram)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    csrf = page_csrf(client, f"/inbox/conversations/{conversation_id}")
    assert 'id="qualify-form"' in client.get(f"/inbox/conversations/{conversation_id}").text
    done = client.post(
        f"/inbox/conversations/{conversation_id}/qualify", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert done.status_code == 303
    db.rollback()
    assert service.is_qualified(db, conversation_id=conversation_id)
    db.rollback()
    again = CliRunner().invoke(app, ["inbox", "qualify", str(conversation_id), "-w", "acme"], env=cli_env)
    assert again.exit_code == 0, again.output
    assert "instagram" in again.output
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Event).where(Event.event == "Lead Qualified")) == 1
