"""Inbox and SLA policy settings: REST list/get/update, the settings pages (create, edit, errors), the event log
and keyboard-shortcut help on the conversation page."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.schemas import InboxPublic, ReplyCreate
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import inbound


def test_api_reads_and_updates_inboxes(client: TestClient, world: World, email_inbox: InboxPublic) -> None:
    url = f"/api/v1/inbox/inboxes/{email_inbox.id}"
    assert client.get(url, headers=world.token(Role.VIEWER)).json()["name"] == "Support"
    denied = client.patch(url, json={"name": "Help"}, headers=world.token(Role.AGENT))
    assert denied.status_code == 403
    policy = client.post(
        "/api/v1/inbox/sla-policies",
        json={"name": "Gold", "first_response_minutes": 30},
        headers=world.token(Role.ADMIN),
    ).json()
    changed = client.patch(
        url,
        json={"name": "Help", "reopen_window_hours": 12, "sla_policy_id": policy["id"]},
        headers=world.token(Role.ADMIN),
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["name"], body["reopen_window_hours"], body["sla_policy_id"]) == ("Help", 12, policy["id"])
    bad = client.patch(url, json={"reopen_window_hours": -1}, headers=world.token(Role.ADMIN))
    assert bad.status_code == 422 and "code" in bad.json()
    unknown = client.patch(url, json={"sla_policy_id": str(uuid.uuid4())}, headers=world.token(Role.ADMIN))
    assert unknown.status_code == 404 and unknown.json()["code"] == "sla_policy_not_found"
    missing = client.get(f"/api/v1/inbox/inboxes/{uuid.uuid4()}", headers=world.token(Role.ADMIN))
    assert missing.status_code == 404


def test_api_lists_gets_and_replaces_sla_policies(
    client: TestClient, world: World, other_world: World
) -> None:
    made = client.post(
        "/api/v1/inbox/sla-policies",
        json={"name": "Std", "first_response_minutes": 60},
        headers=world.token(Role.ADMIN),
    ).json()
    url = f"/api/v1/inbox/sla-policies/{made['id']}"
    replaced = client.put(
        url,
        json={
            "name": "Standard",
            "first_response_minutes": 45,
            "resolution_minutes": 600,
            "business_hours": {"0": [["09:00", "17:00"]]},
            "holidays": ["2026-12-25"],
        },
        headers=world.token(Role.ADMIN),
    )
    assert replaced.status_code == 200, replaced.text
    got = client.get(url, headers=world.token(Role.VIEWER)).json()
    assert got["first_response_minutes"] == 45 and got["holidays"] == {"dates": ["2026-12-25"]}
    assert [
        p["name"] for p in client.get("/api/v1/inbox/sla-policies", headers=world.token(Role.AGENT)).json()
    ] == ["Standard"]
    bad_hours = client.put(
        url,
        json={"name": "X", "business_hours": {"0": [["17:00", "09:00"]]}},
        headers=world.token(Role.ADMIN),
    )
    assert bad_hours.status_code == 422
    assert client.put(url, json={"name": "Y"}, headers=world.token(Role.AGENT)).status_code == 403
    assert client.get(url, headers=other_world.token(Role.OWNER)).status_code == 404  # workspace isolation


def test_settings_pages_create_and_edit_inboxes_and_policies(
    client: TestClient, db: Session, world: World
) -> None:
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    csrf = page_csrf(client, "/settings/sla-policies")
    made = client.post(
        "/settings/sla-policies",
        data={
            "csrf_token": csrf,
            "name": "Office",
            "first_response_minutes": "60",
            "hours_0": "09:00-12:00, 13:00-17:00",
            "holidays": "2026-12-25",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303, made.text
    [policy] = service.list_sla_policies(db, workspace_id=world.workspace.id)
    db.rollback()
    assert policy.business_hours == {"0": [["09:00", "12:00"], ["13:00", "17:00"]]}
    assert "09:00-12:00, 13:00-17:00" in client.get("/settings/sla-policies").text
    bad = client.post(
        "/settings/sla-policies", data={"csrf_token": csrf, "name": "Broken", "hours_1": "18:00-08:00"}
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    inbox = client.post(
        "/settings/inboxes",
        data={
            "csrf_token": csrf,
            "channel": "email",
            "address": "help@acme.example.com",
            "name": "Help",
            "sla_policy": str(policy.id),
            "auto_assign": "1",
        },
        follow_redirects=False,
    )
    assert inbox.status_code == 303, inbox.text
    [created] = service.list_inboxes(db, workspace_id=world.workspace.id)
    db.rollback()
    assert created.sla_policy_id == policy.id and created.auto_assign
    edited = client.post(
        "/settings/inboxes",
        data={
            "csrf_token": csrf,
            "inbox_id": str(created.id),
            "name": "Helpdesk",
            "reopen_window_hours": "24",
        },
        follow_redirects=False,
    )
    assert edited.status_code == 303
    again = service.get_inbox(db, workspace_id=world.workspace.id, inbox_id=created.id)
    db.rollback()
    assert (again.name, again.reopen_window_hours, again.sla_policy_id, again.auto_assign) == (
        "Helpdesk",
        24,
        None,
        False,
    )
    page = client.get("/settings/inboxes")
    assert "Helpdesk" in page.text and 'href="/settings/canned-responses"' in page.text
    duplicate = client.post(
        "/settings/inboxes",
        data={"csrf_token": csrf, "channel": "email", "address": "help@acme.example.com", "name": "Copy"},
    )
    assert duplicate.status_code == 409


def test_settings_pages_are_for_managers(client: TestClient, world: World) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    for path in ("/settings/inboxes", "/settings/sla-policies"):
        assert client.get(path).status_code == 403
    assert 'href="/settings/inboxes"' not in client.get("/settings/profile").text


def test_conversation_page_shows_the_event_log_and_shortcut_help(
    client: TestClient, db: Session, world: World, email_inbox: InboxPublic
) -> None:
    received = service.receive(db, inbox_id=email_inbox.id, message=inbound())
    service.reply(
        db,
        principal=world.members[Role.ADMIN].principal,
        conversation_id=received.conversation_id,
        data=ReplyCreate(text="on it"),
    )
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    page = client.get(f"/inbox/conversations/{received.conversation_id}").text
    assert (
        'id="event-log"' in page
        and 'data-event-kind="created"' in page
        and 'data-event-kind="replied"' in page
    )
    assert world.members[Role.ADMIN].email in page
    assert 'id="shortcut-help"' in page and 'data-shortcuts="conversation"' in page
    assert 'data-canned-url="/api/v1/inbox/canned-responses"' in page
    assert '<script src="/static/js/inbox.js"' in page
    assert client.get("/static/js/inbox.js").status_code == 200
