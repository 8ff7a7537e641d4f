"""A password change ends the person's other sessions; the wrong current password changes nothing."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Role
from tests.conftest import PASSWORD, World
from tests.helpers import page_csrf, session_csrf, sign_in

NEW = "a much longer secret 42"


def _signed_in(app: FastAPI, email: str, password: str) -> TestClient:
    client = TestClient(app)
    sign_in(client, email, password)
    return client


def _change(client: TestClient, current: str, new: str, again: str | None = None) -> int:
    response = client.post(
        "/settings/profile/password",
        data={
            "csrf_token": page_csrf(client, "/settings/profile"),
            "current_password": current,
            "new_password": new,
            "new_password_again": again if again is not None else new,
        },
        follow_redirects=False,
    )
    return response.status_code


def test_changing_ones_password_signs_out_ones_other_sessions(app: FastAPI, world: World) -> None:
    email = world.members[Role.AGENT].email
    laptop, phone = _signed_in(app, email, PASSWORD), _signed_in(app, email, PASSWORD)
    other_person = _signed_in(app, world.members[Role.VIEWER].email, PASSWORD)

    assert _change(laptop, PASSWORD, NEW) == 303

    assert (
        laptop.get("/inbox", follow_redirects=False).status_code == 200
    )  # the session that changed it stays
    assert phone.get("/inbox", follow_redirects=False).status_code == 303  # the other one is signed out
    assert other_person.get("/inbox", follow_redirects=False).status_code == 200
    fresh = TestClient(app)
    token = page_csrf(fresh)
    old = fresh.post("/signin", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert old.status_code == 401
    sign_in(fresh, email, NEW)


def test_a_wrong_current_password_or_a_mismatch_changes_nothing(app: FastAPI, world: World) -> None:
    email = world.members[Role.AGENT].email
    laptop, phone = _signed_in(app, email, PASSWORD), _signed_in(app, email, PASSWORD)

    assert _change(laptop, "not the password", NEW) == 401
    assert _change(laptop, PASSWORD, NEW, again=NEW + "!") == 422
    assert _change(laptop, PASSWORD, "short") == 422

    assert phone.get("/inbox", follow_redirects=False).status_code == 200
    sign_in(TestClient(app), email, PASSWORD)


def test_the_api_changes_a_persons_password_but_not_a_tokens(app: FastAPI, world: World) -> None:
    email = world.members[Role.ANALYST].email
    browser, other = _signed_in(app, email, PASSWORD), _signed_in(app, email, PASSWORD)
    headers = session_csrf(browser, app.state.runtime.settings.resolved_secret_key)
    body = {"current_password": PASSWORD, "new_password": NEW}

    changed = browser.post("/api/v1/me/password", json=body, headers=headers)
    assert changed.status_code == 200 and changed.json() == {"sessions_ended": 1}
    assert other.get("/api/v1/me").status_code == 401

    token = TestClient(app).post("/api/v1/me/password", json=body, headers=world.token(Role.ANALYST))
    assert token.status_code == 422 and token.json()["code"] == "invalid"
