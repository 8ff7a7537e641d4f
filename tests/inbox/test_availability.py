"""Agent availability: round robin only gives new conversations to online agents; agents set theirs on the inbox
page, through REST and the CLI; everyone sees it."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.enums import Availability, MessagingChannel
from omnicx.inbox.schemas import InboxCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.settings import Settings
from tests.conftest import SECRET_KEY, World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import inbound
from tests.inbox.test_canned import cli_env

REPLIERS = (Role.OWNER, Role.ADMIN, Role.AGENT)


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ({}, {Role.OWNER, Role.ADMIN, Role.AGENT}),  # nobody set anything: everyone is online
        ({Role.OWNER: Availability.BUSY, Role.ADMIN: Availability.OFFLINE}, {Role.AGENT}),
        (
            {
                Role.OWNER: Availability.OFFLINE,
                Role.ADMIN: Availability.OFFLINE,
                Role.AGENT: Availability.BUSY,
            },
            set(),
        ),
    ],
)
def test_round_robin_assigns_online_agents_only(
    db: Session, world: World, statuses: dict[Role, Availability], expected: set[Role]
) -> None:
    owner = world.members[Role.OWNER].principal
    inbox = service.create_inbox(
        db,
        principal=owner,
        data=InboxCreate(
            channel=MessagingChannel.EMAIL, name="Sales", address="sales@acme.example.com", auto_assign=True
        ),
        secret_key=SECRET_KEY,
    )
    for role, status in statuses.items():
        service.set_availability(db, principal=world.members[role].principal, status=status)
    by_id = {m.id: m.role for m in auth_service.list_members(db, workspace_id=owner.workspace_id)}
    assigned = set()
    for n in range(6):
        got = service.receive(db, inbox_id=inbox.id, message=inbound(f"lead{n}@example.com"))
        detail = service.get_conversation(
            db, workspace_id=owner.workspace_id, conversation_id=got.conversation_id
        )
        assigned.add(by_id.get(detail.assignee_id) if detail.assignee_id else None)
    assert assigned == (expected or {None})
    assert service.anyone_online(db, inbox_id=inbox.id) is bool(expected)


def test_round_robin_assignment_notifies_the_assignee(db: Session, world: World) -> None:
    owner = world.members[Role.OWNER].principal
    for role in (Role.OWNER, Role.ADMIN):
        service.set_availability(db, principal=world.members[role].principal, status=Availability.OFFLINE)
    inbox = service.create_inbox(
        db,
        principal=owner,
        data=InboxCreate(
            channel=MessagingChannel.EMAIL, name="Sales", address="sales@acme.example.com", auto_assign=True
        ),
        secret_key=SECRET_KEY,
    )
    service.receive(db, inbox_id=inbox.id, message=inbound())
    found = service.list_notifications(db, principal=world.members[Role.AGENT].principal)
    assert [n.kind for n in found.items] == ["assigned"] and found.items[0].actor_label == "omnicx"


def test_api_sets_and_reads_availability(client: TestClient, world: World) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    csrf = {"X-CSRF-Token": page_csrf(client, "/inbox")}
    assert client.get("/api/v1/inbox/availability").json()["status"] == "online"
    changed = client.put("/api/v1/inbox/availability", json={"status": "busy"}, headers=csrf)
    assert changed.status_code == 200 and changed.json()["status"] == "busy"
    bad = client.put("/api/v1/inbox/availability", json={"status": "asleep"}, headers=csrf)
    assert bad.status_code == 422 and "code" in bad.json()
    everyone = client.get("/api/v1/inbox/availability/members", headers=world.token(Role.VIEWER)).json()
    assert sorted(everyone.values()).count("busy") == 1
    assert (
        client.put(
            "/api/v1/inbox/availability", json={"status": "busy"}, headers=world.token(Role.VIEWER)
        ).status_code
        == 403
    )


def test_inbox_page_shows_and_sets_availability(client: TestClient, world: World) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get("/inbox")
    assert 'id="availability-form"' in page.text and 'data-availability="online"' in page.text
    csrf = page_csrf(client, "/inbox")
    done = client.post(
        "/inbox/availability", data={"csrf_token": csrf, "status": "offline"}, follow_redirects=False
    )
    assert done.status_code == 303
    assert 'data-availability="offline"' in client.get("/inbox").text
    bad = client.post("/inbox/availability", data={"csrf_token": csrf, "status": "gone"})
    assert bad.status_code == 422


def test_viewers_see_no_availability_form(client: TestClient, world: World) -> None:
    viewer = world.members[Role.VIEWER]
    sign_in(client, viewer.email, viewer.password)
    assert 'id="availability-form"' not in client.get("/inbox").text


def test_cli_sets_and_shows_availability(settings: Settings, db: Session, world: World) -> None:
    db.rollback()
    runner = CliRunner(env=cli_env(settings))
    email = world.members[Role.AGENT].email
    made = runner.invoke(cli_app, ["inbox", "availability", "busy", "-w", "acme", "--email", email])
    assert made.exit_code == 0, made.output
    shown = runner.invoke(cli_app, ["inbox", "availability", "-w", "acme", "--email", email])
    assert shown.output.strip() == "busy"
