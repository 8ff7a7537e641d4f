"""Sign-in, CSRF, lockout, password and token storage, audit log, and workspace isolation."""

from __future__ import annotations

import hashlib
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth.models import ApiToken, AuditEntry, User
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.web.deps import SESSION_COOKIE
from tests.conftest import World
from tests.helpers import page_csrf, session_csrf, sign_in


def test_stored_password_is_an_argon2_hash(db: Session, world: World) -> None:
    user = db.scalar(select(User).where(User.email == world.members[Role.AGENT].email))
    assert user is not None
    assert user.password_hash.startswith("$argon2id$")
    assert world.members[Role.AGENT].password not in user.password_hash


def test_sign_in_sets_session_and_is_audited(client: TestClient, db: Session, world: World) -> None:
    member = world.members[Role.ADMIN]
    sign_in(client, member.email, member.password)
    overview = client.get("/")
    assert overview.status_code == 200
    assert "Overview" in overview.text
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "auth.signed_in"))
    assert entry is not None and entry.actor_label == member.email


def test_form_post_without_csrf_token_is_refused(client: TestClient, world: World) -> None:
    member = world.members[Role.OWNER]
    page_csrf(client)  # gets the pre-session cookie
    response = client.post("/signin", data={"email": member.email, "password": member.password})
    assert response.status_code == 403
    sign_in(client, member.email, member.password)
    response = client.post("/settings/teams", data={"name": "Support"})
    assert response.status_code == 403
    assert "csrf" in response.text.lower()


def test_cookie_session_api_calls_need_the_csrf_header(app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    member = world.members[Role.OWNER]
    sign_in(client, member.email, member.password)
    assert client.post("/api/v1/teams", json={"name": "A"}).status_code == 403
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    assert client.post("/api/v1/teams", json={"name": "A"}, headers=headers).status_code == 201


def test_repeated_wrong_passwords_lock_the_account(client: TestClient, world: World) -> None:
    member = world.members[Role.VIEWER]
    token = page_csrf(client)
    statuses = [
        client.post(
            "/signin", data={"email": member.email, "password": "wrong-password", "csrf_token": token}
        ).status_code
        for _ in range(5)
    ]
    assert statuses == [401] * 5
    locked = client.post(
        "/signin",
        data={"email": member.email, "password": member.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert locked.status_code == 429
    assert SESSION_COOKIE not in client.cookies


def test_token_is_shown_once_and_stored_hashed(client: TestClient, db: Session, world: World) -> None:
    created = client.post(
        "/api/v1/tokens", json={"name": "ci", "role": "analyst"}, headers=world.token(Role.ADMIN)
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    assert secret.startswith("omx_")
    listing = client.get("/api/v1/tokens", headers=world.token(Role.ADMIN))
    assert secret not in listing.text
    row = db.scalar(select(ApiToken).where(ApiToken.name == "ci"))
    assert row is not None and row.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    token_id = row.id
    db.rollback()  # end the read transaction: on SQLite every transaction holds the write lock
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()["role"] == "analyst"
    revoked = client.delete(f"/api/v1/tokens/{token_id}", headers=world.token(Role.ADMIN))
    assert revoked.status_code == 200
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"token.created", "token.revoked"} <= actions


def test_role_change_is_audited_and_cannot_exceed_own_role(
    client: TestClient, db: Session, world: World
) -> None:
    members = client.get("/api/v1/members", headers=world.token(Role.ADMIN)).json()
    viewer = next(m for m in members if m["role"] == "viewer")
    ok = client.patch(
        f"/api/v1/members/{viewer['id']}", json={"role": "analyst"}, headers=world.token(Role.ADMIN)
    )
    assert ok.status_code == 200 and ok.json()["role"] == "analyst"
    refused = client.patch(
        f"/api/v1/members/{viewer['id']}", json={"role": "owner"}, headers=world.token(Role.ADMIN)
    )
    assert refused.status_code == 403 and refused.json()["code"] == "role_not_assignable"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "member.role_changed"))
    assert entry is not None and entry.detail == {"email": viewer["email"], "from": "viewer", "to": "analyst"}


def test_last_owner_cannot_be_demoted(client: TestClient, world: World) -> None:
    members = client.get("/api/v1/members", headers=world.token(Role.OWNER)).json()
    owner = next(m for m in members if m["role"] == "owner")
    response = client.patch(
        f"/api/v1/members/{owner['id']}", json={"role": "admin"}, headers=world.token(Role.OWNER)
    )
    assert response.status_code == 422 and response.json()["code"] == "last_owner"


def test_objects_of_another_workspace_are_not_found(
    app,
    client: TestClient,
    world: World,
    other_world: World,  # type: ignore[no-untyped-def]
) -> None:
    theirs = other_world.token(Role.OWNER)
    team = client.post("/api/v1/teams", json={"name": "Secret"}, headers=theirs).json()
    member = client.get("/api/v1/members", headers=theirs).json()[0]
    token = client.get("/api/v1/tokens", headers=theirs).json()[0]
    mine = world.token(Role.OWNER)
    for method, path, body in [
        ("GET", f"/api/v1/teams/{team['id']}", None),
        ("PATCH", f"/api/v1/teams/{team['id']}", {"name": "x"}),
        ("DELETE", f"/api/v1/teams/{team['id']}", None),
        ("PATCH", f"/api/v1/members/{member['id']}", {"role": "viewer"}),
        ("DELETE", f"/api/v1/members/{member['id']}", None),
        ("DELETE", f"/api/v1/tokens/{token['id']}", None),
    ]:
        response = client.request(method, path, json=body, headers=mine)
        assert response.status_code == 404, (method, path, response.text)
        assert set(response.json()) >= {"code", "message"}
    names = [t["name"] for t in client.get("/api/v1/teams", headers=mine).json()]
    assert "Secret" not in names
    # Through pages too.
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    page = client.post(f"/settings/teams/{team['id']}/delete", headers=headers, follow_redirects=False)
    assert page.status_code == 404
    assert client.get(f"/api/v1/teams/{team['id']}", headers=theirs).status_code == 200


def test_switching_to_a_foreign_workspace_is_refused(
    app, client: TestClient, world: World, other_world: World
) -> None:  # type: ignore[no-untyped-def]
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    response = client.post(
        "/workspaces/switch",
        data={"workspace_id": str(other_world.workspace.id)},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 404
    response = client.post(
        "/workspaces/switch",
        data={"workspace_id": str(uuid.uuid4())},
        headers=headers,
        follow_redirects=False,
    )
    assert response.status_code == 404
