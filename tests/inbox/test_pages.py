"""Inbox pages: the list and its views, the conversation page with reply, note, status and the customer
sidebar; other workspaces' conversations are not found; viewers read but cannot act."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import session_csrf, sign_in
from tests.inbox.conftest import inbound


def test_agent_works_a_conversation_from_the_pages(
    app, client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:  # type: ignore[no-untyped-def]
    got = service.receive(
        db, inbox_id=email_inbox.id, message=inbound("dana@example.com", "My parcel is late")
    )
    db.rollback()
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get("/inbox")
    assert page.status_code == 200
    assert 'data-nav="inbox"' in page.text
    assert "My parcel is late" in page.text
    assert 'sse-connect="/api/v1/realtime/stream?topics=inbox"' in page.text
    fragment = client.get("/inbox?view=unassigned", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and str(got.conversation_id) in fragment.text
    url = f"/inbox/conversations/{got.conversation_id}"
    detail = client.get(url)
    assert detail.status_code == 200
    assert 'id="customer-sidebar"' in detail.text and "dana@example.com" in detail.text
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    note = client.post(
        f"{url}/reply",
        data={"text": "check the carrier", "private": "1"},
        headers=csrf,
        follow_redirects=False,
    )
    assert note.status_code == 303
    sent = client.post(f"{url}/reply", data={"text": "Looking into it"}, headers=csrf, follow_redirects=False)
    assert sent.status_code == 303
    members = {m.email: m.id for m in service_members(db, world)}
    updated = client.post(
        f"{url}/update",
        data={
            "status": "pending",
            "priority": "urgent",
            "assignee": str(members[agent.email]),
            "labels": "late, vip",
        },
        headers=csrf,
        follow_redirects=False,
    )
    assert updated.status_code == 303, updated.text[:300]
    thread = client.get(f"{url}/thread").text
    assert "check the carrier" in thread and "Private note" in thread
    assert "Looking into it" in thread and "late" in thread
    bad = client.post(f"{url}/update", data={"status": "snoozed"}, headers=csrf, follow_redirects=False)
    assert bad.status_code == 422 and "snoozing needs a time" in bad.text
    mine = client.get("/inbox?view=mine&status=pending").text
    assert str(got.conversation_id) in mine


def service_members(db: Session, world: World):  # type: ignore[no-untyped-def]
    from omnicx.auth import service as auth_service

    members = auth_service.list_members(db, workspace_id=world.workspace.id)
    db.rollback()
    return members


def test_pages_keep_workspaces_apart_and_viewers_read_only(
    app, client: TestClient, db: Session, world: World, other_world: World, email_inbox: InboxPublic
) -> None:  # type: ignore[no-untyped-def]
    got = service.receive(db, inbox_id=email_inbox.id, message=inbound())
    db.rollback()
    stranger = other_world.members[Role.OWNER]
    sign_in(client, stranger.email, stranger.password)
    assert client.get(f"/inbox/conversations/{got.conversation_id}").status_code == 404
    assert str(got.conversation_id) not in client.get("/inbox").text
    client.cookies.clear()
    viewer = world.members[Role.VIEWER]
    sign_in(client, viewer.email, viewer.password)
    page = client.get(f"/inbox/conversations/{got.conversation_id}")
    assert page.status_code == 200 and 'id="reply-form"' not in page.text
    csrf = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    refused = client.post(
        f"/inbox/conversations/{got.conversation_id}/reply", data={"text": "hi"}, headers=csrf
    )
    assert refused.status_code == 403
