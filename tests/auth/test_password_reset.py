"""A person who forgot their password sets a new one through a link mailed to them: the link works once, for an
hour, and using it ends every session of theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.errors import ResetLinkInvalid
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import SESSION_COOKIE
from tests.auth.conftest import mailed_link, mails_to, path_of, public_form
from tests.channels.conftest import SmtpSink
from tests.conftest import World
from tests.helpers import sign_in
from tests.inbox.conftest import drain

NEW_PASSWORD = "a brand new passphrase"


def ask_for_link(client: TestClient, email: str) -> int:
    token = public_form(client, "/password-reset")
    return client.post("/password-reset", data={"csrf_token": token, "email": email}).status_code


def signed_in(client: TestClient) -> bool:
    return client.get("/api/v1/me").status_code == 200


def test_the_mailed_link_sets_a_new_password_and_ends_every_session(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    agent = world.members[Role.AGENT]
    laptop, phone = TestClient(client.app), TestClient(client.app)
    sign_in(laptop, agent.email, agent.password)
    sign_in(phone, agent.email, agent.password)
    assert signed_in(laptop) and signed_in(phone)
    # the sign-in page leads to the form, which mails a link
    assert 'href="/password-reset"' in client.get("/signin").text
    assert ask_for_link(client, agent.email.upper()) == 200
    link = mailed_link(runtime, smtp_sink, agent.email)
    assert link.startswith(runtime.settings.base_url + "/password-reset/")
    assert signed_in(laptop)  # asking changes nothing yet
    form = {"csrf_token": public_form(client, path_of(link))}
    short = client.post(path_of(link), data={**form, "new_password": "short", "new_password_again": "short"})
    assert short.status_code == 422  # the password policy holds, and the link still works after a refusal
    done = client.post(
        path_of(link),
        data={**form, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        follow_redirects=False,
    )
    assert (done.status_code, done.headers["location"]) == (303, "/signin?reset=true")
    assert not signed_in(laptop) and not signed_in(phone)
    assert "Your password was changed" in client.get("/signin?reset=true").text
    fresh = TestClient(client.app)
    sign_in(fresh, agent.email, NEW_PASSWORD)
    assert fresh.cookies.get(SESSION_COOKIE)
    # the link is spent
    assert client.get(path_of(link)).status_code == 404
    reused = client.post(
        path_of(link),
        data={**form, "new_password": "another passphrase", "new_password_again": "another passphrase"},
    )
    assert reused.status_code == 404
    sign_in(TestClient(client.app), agent.email, NEW_PASSWORD)


def test_the_api_resets_once_with_the_mailed_token(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    viewer = world.members[Role.VIEWER]
    browser = TestClient(client.app)
    sign_in(browser, viewer.email, viewer.password)
    asked = client.post("/api/v1/password-reset", json={"email": viewer.email})
    assert asked.status_code == 202
    token = path_of(mailed_link(runtime, smtp_sink, viewer.email)).rsplit("/", 1)[1]
    body = {"token": token, "new_password": NEW_PASSWORD}
    done = client.post("/api/v1/password-reset/confirm", json=body)
    assert done.status_code == 200 and done.json() == {"sessions_ended": 1}
    assert not signed_in(browser)
    again = client.post("/api/v1/password-reset/confirm", json={**body, "new_password": "yet another one"})
    assert (again.status_code, again.json()["code"]) == (404, "reset_link_invalid")
    sign_in(TestClient(client.app), viewer.email, NEW_PASSWORD)
    actions = [
        e["action"]
        for e in client.get("/api/v1/audit", headers=world.token(Role.OWNER), params={"limit": 500}).json()[
            "items"
        ]
    ]
    assert {"user.password_reset_requested", "user.password_reset"} <= set(actions)


def test_a_link_expires_after_an_hour(db: Session, world: World) -> None:
    from sqlalchemy import select

    from omnicx.kernel.access.sealing import unseal
    from omnicx.kernel.jobs.models import Job

    asked = utcnow()
    auth_service.request_password_reset(
        db, email=world.members[Role.ANALYST].email, secret="k" * 40, now=asked
    )
    job = db.scalars(select(Job).where(Job.kind == auth_service.SEND_PASSWORD_RESET_JOB)).one()
    token = unseal("k" * 40, job.payload["sealed"], purpose="auth.password_reset")
    assert token is not None
    auth_service.check_reset_link(db, token=token, now=asked + timedelta(minutes=59))
    late = asked + auth_service.RESET_TTL + timedelta(seconds=1)
    with pytest.raises(ResetLinkInvalid):
        auth_service.reset_password(db, token=token, new_password=NEW_PASSWORD, now=late)
    with pytest.raises(ResetLinkInvalid):
        auth_service.check_reset_link(db, token=token, now=late)


def test_a_newer_link_voids_none_but_using_one_voids_all(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    analyst = world.members[Role.ANALYST]
    ask_for_link(client, analyst.email)
    first = mailed_link(runtime, smtp_sink, analyst.email)
    ask_for_link(client, analyst.email)
    second = mailed_link(runtime, smtp_sink, analyst.email)
    assert first != second
    body = {"token": path_of(second).rsplit("/", 1)[1], "new_password": NEW_PASSWORD}
    assert client.post("/api/v1/password-reset/confirm", json=body).status_code == 200
    assert client.get(path_of(first)).status_code == 404


def test_at_most_three_links_an_hour_reach_one_mailbox(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    analyst = world.members[Role.ANALYST]
    answers = {
        client.post("/api/v1/password-reset", json={"email": analyst.email}).status_code for _ in range(5)
    }
    assert answers == {202}
    drain(runtime)
    assert len(mails_to(smtp_sink, analyst.email)) == 3
