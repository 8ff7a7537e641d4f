"""Full-text search over conversations: message text (inbound and replies), subject, contact name and email;
accents and case folded; every word must match; wildcards are literal; scoped to the workspace."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.inbox import service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.schemas import InboxCreate, InboxPublic, ReplyCreate
from omnicx.kernel.access.permissions import Role
from tests.conftest import SECRET_KEY, World
from tests.helpers import sign_in
from tests.inbox.conftest import inbound


def _ids(client: TestClient, world: World, q: str, role: Role = Role.AGENT) -> set[str]:
    response = client.get(
        "/api/v1/inbox/conversations", params={"q": q, "status": "any"}, headers=world.token(role)
    )
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()}


def test_search_finds_messages_subjects_contacts_and_replies(
    client: TestClient, db: Session, world: World, other_world: World, email_inbox: InboxPublic
) -> None:
    crepe = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound(
            "zoe@example.com", "La crêpière est arrivée cassée", name="Zoé Martin", subject="Crêpière"
        ),
    )
    lamp = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("bob@example.com", "Is the lamp dimmable?", subject="Lamp"),
    )
    service.reply(
        db,
        principal=world.members[Role.AGENT].principal,
        conversation_id=lamp.conversation_id,
        data=ReplyCreate(text="Yes, with the Lumio switch"),
    )
    a, b = str(crepe.conversation_id), str(lamp.conversation_id)
    assert _ids(client, world, "crepiere") == {a}  # accents folded
    assert _ids(client, world, "CASSÉE arrivee") == {a}  # every word, any case
    assert _ids(client, world, "zoe") == {a}  # contact name
    assert _ids(client, world, "bob@example.com") == {b}  # contact email
    assert _ids(client, world, "lumio") == {b}  # an agent's reply
    assert _ids(client, world, "lamp crepiere") == set()
    assert _ids(client, world, "%") == set() and _ids(client, world, "_") == set()  # wildcards are literal
    # Another workspace with the same words sees only its own conversations.
    owner = other_world.members[Role.OWNER].principal
    their_inbox = service.create_inbox(
        db,
        principal=owner,
        data=InboxCreate(channel=MessagingChannel.EMAIL, name="G", address="g@globex.example"),
        secret_key=SECRET_KEY,
    )
    theirs = service.receive(db, inbox_id=their_inbox.id, message=inbound("zoe@example.com", "crêpière"))
    assert _ids(client, other_world, "crepiere", Role.OWNER) == {str(theirs.conversation_id)}
    assert _ids(client, world, "crepiere") == {a}


def test_search_is_rejected_when_too_long_with_a_structured_error(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/inbox/conversations", params={"q": "x" * 201}, headers=world.token(Role.AGENT)
    )
    assert response.status_code == 422 and set(response.json()) >= {"code", "message"}


def test_search_box_on_the_inbox_page_and_the_cli(
    client: TestClient, cli_env: dict[str, str], db: Session, world: World, email_inbox: InboxPublic
) -> None:
    service.receive(db, inbox_id=email_inbox.id, message=inbound("ivy@example.com", "Kettle whistle broken"))
    service.receive(db, inbox_id=email_inbox.id, message=inbound("max@example.com", "Toaster question"))
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get("/inbox", params={"q": "kettle"})
    assert 'id="f-q"' in page.text and 'value="kettle"' in page.text
    assert "Kettle whistle broken" in page.text and "Toaster question" not in page.text
    found = CliRunner().invoke(cli_app, ["inbox", "search", "toaster", "-w", "acme"], env=cli_env)
    assert found.exit_code == 0, found.output
    assert "max@example.com" in found.output and "ivy@example.com" not in found.output
