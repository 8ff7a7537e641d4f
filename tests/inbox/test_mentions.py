"""Private notes with @mentions and assignments notify agents: stored per user, announced live to that user only,
listed unread first, marked read one by one or all at once (service, REST, CLI, page, badge)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic, ReplyCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import visible_to
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.helpers import page_csrf, session_csrf, sign_in
from tests.inbox.conftest import inbound
from tests.inbox.test_canned import cli_env


def _conversation(db: Session, inbox: InboxPublic) -> uuid.UUID:
    return service.receive(db, inbox_id=inbox.id, message=inbound()).conversation_id


def _note(db: Session, world: World, conversation_id: uuid.UUID, text: str, role: Role = Role.ADMIN) -> None:
    service.reply(
        db,
        principal=world.members[role].principal,
        conversation_id=conversation_id,
        data=ReplyCreate(text=text, private=True),
    )


def _membership(db: Session, world: World, role: Role) -> uuid.UUID:
    members = auth_service.list_members(db, workspace_id=world.workspace.id)
    return next(m.id for m in members if m.email == world.members[role].email)


@pytest.mark.parametrize(
    ("text", "notified"),
    [
        ("@agent please look", {Role.AGENT}),  # the email's local part
        ("ask @agent@acme.example.com and @owner.", {Role.AGENT, Role.OWNER}),
        ("@admin notes to self", set()),  # nobody is notified of their own action
        ("mail agent@acme.example.com, no mention", set()),
        ("@nobody here", set()),
        ("@analyst may read the inbox", {Role.ANALYST}),
    ],
)
def test_mentions_in_notes_notify_the_named_members(
    db: Session, world: World, email_inbox: InboxPublic, text: str, notified: set[Role]
) -> None:
    conversation_id = _conversation(db, email_inbox)
    _note(db, world, conversation_id, text)
    for role in Role:
        found = service.list_notifications(db, principal=world.members[role].principal)
        expected = 1 if role in notified else 0
        assert found.unread == expected, role
        if expected:
            assert found.items[0].kind == "mention" and found.items[0].text == text
            assert found.items[0].actor_label == world.members[Role.ADMIN].email


def test_a_reply_to_the_customer_notifies_nobody(db: Session, world: World, email_inbox: InboxPublic) -> None:
    conversation_id = _conversation(db, email_inbox)
    service.reply(
        db,
        principal=world.members[Role.ADMIN].principal,
        conversation_id=conversation_id,
        data=ReplyCreate(text="@agent will call you"),
    )
    assert service.unread_count(db, principal=world.members[Role.AGENT].principal) == 0


def test_assignment_notifies_the_assignee_and_read_marks_stick(
    db: Session, world: World, email_inbox: InboxPublic
) -> None:
    agent = world.members[Role.AGENT].principal
    first = _conversation(db, email_inbox)
    second = service.receive(db, inbox_id=email_inbox.id, message=inbound("bob@example.com")).conversation_id
    for conversation_id in (first, second):
        service.update_conversation(
            db,
            principal=world.members[Role.ADMIN].principal,
            conversation_id=conversation_id,
            data=ConversationUpdate(assignee_id=_membership(db, world, Role.AGENT)),
        )
    found = service.list_notifications(db, principal=agent)
    assert found.unread == 2 and {n.kind for n in found.items} == {"assigned"}
    service.mark_read(db, principal=agent, notification_id=found.items[1].id)
    after = service.list_notifications(db, principal=agent)
    assert after.unread == 1 and after.items[0].read_at is None and after.items[1].read_at is not None
    assert service.mark_read(db, principal=agent) == 1
    assert service.unread_count(db, principal=agent) == 0


def test_a_notification_event_reaches_only_its_user(world: World) -> None:
    event = RealtimeEvent(
        workspace_id=world.workspace.id,
        topic="inbox.notification.created",
        data={"recipient_user_id": str(world.members[Role.AGENT].principal.user_id)},
        action="inbox.read",
    )
    assert visible_to(event, principal=world.members[Role.AGENT].principal)
    assert not visible_to(event, principal=world.members[Role.OWNER].principal)
    shared = RealtimeEvent(workspace_id=world.workspace.id, topic="inbox.x", data={}, action="inbox.read")
    assert visible_to(shared, principal=world.members[Role.OWNER].principal)


@pytest.mark.anyio
async def test_a_mention_is_published_after_commit_for_the_mentioned_user(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    conversation_id = _conversation(db, email_inbox)
    async with runtime.bus.subscribe(workspace_id=world.workspace.id) as subscription:
        await asyncio.to_thread(_note, db, world, conversation_id, "@agent over to you")

        async def first_notification() -> RealtimeEvent:
            async for event in subscription:
                if event.topic == "inbox.notification.created":
                    return event
            raise AssertionError("stream ended")

        event = await asyncio.wait_for(first_notification(), timeout=5)
    assert event.data["recipient_user_id"] == str(world.members[Role.AGENT].principal.user_id)
    assert event.data["conversation_id"] == str(conversation_id)


def test_api_lists_and_marks_read_for_the_signed_in_agent(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    conversation_id = _conversation(db, email_inbox)
    _note(db, world, conversation_id, "@agent one")
    _note(db, world, conversation_id, "@agent two")
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    headers = session_csrf(client, client.app.state.runtime.settings.resolved_secret_key)  # type: ignore[attr-defined]
    listed = client.get("/api/v1/inbox/notifications")
    assert listed.status_code == 200 and listed.json()["unread"] == 2
    first = listed.json()["items"][0]["id"]
    one = client.post(f"/api/v1/inbox/notifications/{first}/read", headers=headers)
    assert one.status_code == 200 and one.json()["unread"] == 1
    missing = client.post(f"/api/v1/inbox/notifications/{uuid.uuid4()}/read", headers=headers)
    assert missing.status_code == 404 and missing.json()["code"] == "notification_not_found"
    assert client.post("/api/v1/inbox/notifications/read-all", headers=headers).json()["unread"] == 0
    assert client.get("/api/v1/inbox/notifications", params={"unread": True}).json()["items"] == []


def test_notifications_page_badge_and_read_all(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    conversation_id = _conversation(db, email_inbox)
    _note(db, world, conversation_id, "@agent see this")
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get("/inbox/notifications")
    assert page.status_code == 200 and "see this" in page.text and 'data-read="false"' in page.text
    assert 'data-unread="1"' in client.get("/inbox/notifications/badge").text
    assert 'id="notification-badge"' in client.get("/inbox").text
    opened = client.post(
        "/inbox/notifications/read",
        data={"csrf_token": page_csrf(client, "/inbox/notifications"), "go": str(conversation_id)},
        follow_redirects=False,
    )
    assert (
        opened.status_code == 303 and opened.headers["location"] == f"/inbox/conversations/{conversation_id}"
    )
    assert 'data-unread="0"' in client.get("/inbox/notifications/badge").text


def test_cli_lists_a_members_notifications(
    settings: Settings, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    _note(db, world, _conversation(db, email_inbox), "@agent from the CLI test")
    db.rollback()
    result = CliRunner(env=cli_env(settings)).invoke(
        cli_app, ["inbox", "notifications", "-w", "acme", "--email", world.members[Role.AGENT].email]
    )
    assert result.exit_code == 0, result.output
    assert "mention" in result.output and "unread: 1" in result.output
