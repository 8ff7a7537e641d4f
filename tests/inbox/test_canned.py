"""Canned responses: CRUD through service, REST, CLI and the settings page; `/shortcut` expanded on the server."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.inbox import service
from omnicx.inbox.errors import DuplicateCannedResponse
from omnicx.inbox.schemas import CannedResponseCreate, CannedResponseUpdate, InboxPublic, ReplyCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import inbound

THANKS = "Thank you for writing to us, we are on it."


def _canned(db: Session, world: World, shortcut: str = "thanks", content: str = THANKS) -> uuid.UUID:
    row = service.create_canned(
        db,
        principal=world.members[Role.ADMIN].principal,
        data=CannedResponseCreate(shortcut=shortcut, content=content),
    )
    return row.id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/thanks", THANKS),
        ("  /thanks\n", THANKS),
        ("/thanks and more", "/thanks and more"),  # only a whole-body shortcut is expanded
        ("/unknown", "/unknown"),  # an unknown shortcut stays as written
        ("see /thanks", "see /thanks"),
    ],
)
def test_only_a_whole_known_shortcut_is_expanded(db: Session, world: World, text: str, expected: str) -> None:
    _canned(db, world)
    assert service.expand_canned(db, workspace_id=world.workspace.id, text=text) == expected


def test_shortcuts_are_unique_per_workspace_and_listed_by_prefix(
    db: Session, world: World, other_world: World
) -> None:
    _canned(db, world)
    _canned(db, world, "thanks-vip", "Dear valued customer")
    _canned(db, world, "refund", "Your refund is on its way.")
    _canned(db, other_world, "thanks", "another workspace")  # same shortcut elsewhere is fine
    with pytest.raises(DuplicateCannedResponse):
        _canned(db, world)
    db.rollback()
    found = service.list_canned(db, workspace_id=world.workspace.id, prefix="tha")
    assert [c.shortcut for c in found] == ["thanks", "thanks-vip"]
    refund = service.list_canned(db, workspace_id=world.workspace.id, prefix="ref")[0]
    taken = CannedResponseUpdate(shortcut="thanks")
    with pytest.raises(DuplicateCannedResponse):
        service.update_canned(
            db, principal=world.members[Role.ADMIN].principal, canned_id=refund.id, data=taken
        )


def test_a_reply_that_is_a_shortcut_is_sent_as_its_content(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    _canned(db, world)
    received = service.receive(db, inbox_id=email_inbox.id, message=inbound())
    message = service.reply(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=received.conversation_id,
        data=ReplyCreate(text="/thanks"),
    )
    assert message.text == THANKS
    outbound = service.outbound_for(db, message_id=message.id)
    assert outbound is not None and outbound.text == THANKS


def test_api_crud_permissions_and_errors(client: TestClient, db: Session, world: World) -> None:
    url = "/api/v1/inbox/canned-responses"
    created = client.post(url, json={"shortcut": "hello", "content": "Hi!"}, headers=world.token(Role.ADMIN))
    assert created.status_code == 201, created.text
    canned_id = created.json()["id"]
    denied = client.post(url, json={"shortcut": "nope", "content": "x"}, headers=world.token(Role.AGENT))
    assert denied.status_code == 403
    bad = client.post(url, json={"shortcut": "Bad Shortcut", "content": "x"}, headers=world.token(Role.ADMIN))
    assert bad.status_code == 422 and "code" in bad.json()
    duplicate = client.post(url, json={"shortcut": "hello", "content": "y"}, headers=world.token(Role.ADMIN))
    assert duplicate.status_code == 409 and duplicate.json()["code"] == "canned_response_exists"
    listed = client.get(url, params={"prefix": "he"}, headers=world.token(Role.AGENT))
    assert [c["shortcut"] for c in listed.json()] == ["hello"]
    changed = client.patch(
        f"{url}/{canned_id}", json={"content": "Hello there"}, headers=world.token(Role.ADMIN)
    )
    assert changed.status_code == 200 and changed.json()["content"] == "Hello there"
    assert (
        client.get(f"{url}/{canned_id}", headers=world.token(Role.VIEWER)).json()["content"] == "Hello there"
    )
    assert client.delete(f"{url}/{canned_id}", headers=world.token(Role.AGENT)).status_code == 403
    assert client.delete(f"{url}/{canned_id}", headers=world.token(Role.ADMIN)).status_code == 204
    missing = client.get(f"{url}/{canned_id}", headers=world.token(Role.ADMIN))
    assert missing.status_code == 404 and missing.json()["code"] == "canned_response_not_found"


def cli_env(settings: Settings) -> dict[str, str]:
    return {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_SECRET_KEY": "cli-test-secret",
    }


def test_cli_adds_lists_and_deletes(settings: Settings, db: Session, world: World) -> None:
    db.rollback()
    runner = CliRunner(env=cli_env(settings))
    added = runner.invoke(cli_app, ["inbox", "canned-add", "bye", "Goodbye!", "-w", "acme"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(cli_app, ["inbox", "canned-list", "-w", "acme"])
    assert "/bye" in listed.output and "Goodbye!" in listed.output
    canned_id = service.list_canned(db, workspace_id=world.workspace.id)[0].id
    db.rollback()
    deleted = runner.invoke(cli_app, ["inbox", "canned-delete", str(canned_id), "-w", "acme"])
    assert deleted.exit_code == 0, deleted.output
    assert service.list_canned(db, workspace_id=world.workspace.id) == []


def test_settings_page_creates_edits_and_shows_errors(client: TestClient, db: Session, world: World) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    csrf = page_csrf(client, "/settings/canned-responses")
    made = client.post(
        "/settings/canned-responses",
        data={"csrf_token": csrf, "shortcut": "/greet", "content": "Hello!"},
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = client.get("/settings/canned-responses")
    assert 'data-shortcut="greet"' in page.text
    bad = client.post(
        "/settings/canned-responses", data={"csrf_token": csrf, "shortcut": "Not OK", "content": "x"}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    again = client.post(
        "/settings/canned-responses", data={"csrf_token": csrf, "shortcut": "greet", "content": "x"}
    )
    assert again.status_code == 409
    canned_id = service.list_canned(db, workspace_id=world.workspace.id)[0].id
    db.rollback()
    edited = client.post(
        "/settings/canned-responses",
        data={"csrf_token": csrf, "canned_id": str(canned_id), "shortcut": "greet", "content": "Good day!"},
        follow_redirects=False,
    )
    assert edited.status_code == 303
    assert service.get_canned(db, workspace_id=world.workspace.id, canned_id=canned_id).content == "Good day!"


def test_agents_cannot_open_the_settings_page(client: TestClient, world: World) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    assert client.get("/settings/canned-responses").status_code == 403
