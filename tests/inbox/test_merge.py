"""Merging two conversations of one customer (an email and a chat): messages and events move to the target in
time order, the source is closed with a pointer, both record it; other customers and workspaces are refused."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.inbox import service
from omnicx.inbox.enums import ConversationStatus, MessagingChannel
from omnicx.inbox.schemas import InboxCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from tests.conftest import SECRET_KEY, World
from tests.helpers import session_csrf, sign_in
from tests.inbox.conftest import inbound


def _pair(db: Session, email_inbox: InboxPublic, chat_inbox: InboxPublic) -> tuple[str, str]:
    """Dana writes by (authenticated) email, then on the chat signed in: one customer, two conversations."""
    mail = service.receive(
        db,
        inbox_id=email_inbox.id,
        message=inbound("dana@example.com", "first, by email", sender_verified=True),
    )
    chat = service.receive(
        db,
        inbox_id=chat_inbox.id,
        message=inbound(
            "visitor-dana", "then on the chat", email="dana@example.com", subject="", sender_verified=True
        ),
    )
    assert mail.customer_id is not None and mail.customer_id == chat.customer_id
    return str(mail.conversation_id), str(chat.conversation_id)


def test_merge_moves_messages_and_events_and_closes_the_source_with_a_pointer(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic, chat_inbox: InboxPublic
) -> None:
    target, source = _pair(db, email_inbox, chat_inbox)
    response = client.post(
        f"/api/v1/inbox/conversations/{target}/merge",
        json={"source_id": source},
        headers=world.token(Role.AGENT),
    )
    assert response.status_code == 200, response.text
    assert response.json()["moved_messages"] == 1 and response.json()["moved_events"] >= 1
    merged = service.get_conversation(db, workspace_id=world.workspace.id, conversation_id=uuid.UUID(target))
    assert [m.text for m in merged.messages] == ["first, by email", "then on the chat"]
    assert any(e.kind == "merged" and e.detail["source_id"] == source for e in merged.events)
    closed = service.get_conversation(db, workspace_id=world.workspace.id, conversation_id=uuid.UUID(source))
    assert closed.status is ConversationStatus.RESOLVED and str(closed.merged_into_id) == target
    assert closed.messages == [] and [e.kind for e in closed.events] == ["merged_into"]
    db.rollback()
    again = client.post(
        f"/api/v1/inbox/conversations/{target}/merge",
        json={"source_id": source},
        headers=world.token(Role.AGENT),
    )
    assert again.status_code == 422 and again.json()["code"] == "merge_refused"
    found = client.get(
        "/api/v1/inbox/conversations", params={"q": "chat", "status": "any"}, headers=world.token(Role.AGENT)
    )
    assert target in {c["id"] for c in found.json()}  # the target is searchable by the moved text


def test_merge_refuses_other_customers_other_workspaces_itself_and_viewers(
    client: TestClient,
    db: Session,
    world: World,
    other_world: World,
    email_inbox: InboxPublic,
    chat_inbox: InboxPublic,
) -> None:
    target, _ = _pair(db, email_inbox, chat_inbox)
    stranger = service.receive(db, inbox_id=email_inbox.id, message=inbound("eve@example.com", "hi"))
    headers = world.token(Role.AGENT)
    url = f"/api/v1/inbox/conversations/{target}/merge"
    other = client.post(url, json={"source_id": str(stranger.conversation_id)}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "merge_refused"
    assert "different customers" in other.json()["message"]
    itself = client.post(url, json={"source_id": target}, headers=headers)
    assert itself.status_code == 422 and itself.json()["code"] == "merge_refused"
    their_inbox = service.create_inbox(
        db,
        principal=other_world.members[Role.OWNER].principal,
        data=InboxCreate(channel=MessagingChannel.EMAIL, name="G", address="g@globex.example"),
        secret_key=SECRET_KEY,
    )
    theirs = service.receive(db, inbox_id=their_inbox.id, message=inbound("dana@example.com", "hello"))
    across = client.post(url, json={"source_id": str(theirs.conversation_id)}, headers=headers)
    assert across.status_code == 404 and across.json()["code"] == "conversation_not_found"
    viewer = client.post(
        url, json={"source_id": str(stranger.conversation_id)}, headers=world.token(Role.VIEWER)
    )
    assert viewer.status_code == 403
    malformed = client.post(url, json={"source_id": "nope"}, headers=headers)
    assert malformed.status_code == 422 and set(malformed.json()) >= {"code", "message"}


def test_merge_from_the_page_and_the_cli(
    app,
    client: TestClient,
    cli_env: dict[str, str],
    db: Session,
    world: World,
    email_inbox: InboxPublic,
    chat_inbox: InboxPublic,
) -> None:  # type: ignore[no-untyped-def]
    target, source = _pair(db, email_inbox, chat_inbox)
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{target}")
    assert 'id="merge-form"' in page.text and f'value="{source}"' in page.text
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    done = client.post(
        f"/inbox/conversations/{target}/merge",
        data={"source_id": source},
        headers=csrf,
        follow_redirects=False,
    )
    assert done.status_code == 303
    pointer = client.get(f"/inbox/conversations/{source}")
    assert 'id="merged-note"' in pointer.text and f"/inbox/conversations/{target}" in pointer.text
    refused = client.post(f"/inbox/conversations/{target}/merge", data={"source_id": source}, headers=csrf)
    assert refused.status_code == 422 and "already merged" in refused.text
    third = service.receive(
        db,
        inbox_id=chat_inbox.id,
        message=inbound("visitor-dana", "third", email="dana@example.com", sender_verified=True),
    )
    assert str(third.conversation_id) != source  # a merged conversation never reopens: a new one starts
    runner = CliRunner()
    merged = runner.invoke(
        cli_app, ["inbox", "merge", target, str(third.conversation_id), "-w", "acme"], env=cli_env
    )
    assert merged.exit_code == 0, merged.output
    assert "Moved 1 messages" in merged.output
    again = runner.invoke(
        cli_app, ["inbox", "merge", target, str(third.conversation_id), "-w", "acme"], env=cli_env
    )
    assert again.exit_code == 1 and "merge_refused" in again.output
