"""Invitations and password resets tell a stranger nothing about who has an account, keep their links only as
hashes, accept only CSRF-protected forms and are rate limited per address.

- Inviting an address answers the same whether it has an account (here, in another workspace) or none, and
  makes nobody a member: the invited person joins when they accept.
- Asking for a password reset answers byte for byte the same for an account, an unknown address and a disabled
  account; only an existing, active account is mailed.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from tests.auth.conftest import mailed_link, mails_to, path_of, public_form
from tests.channels.conftest import SmtpSink, settings, smtp_sink
from tests.conftest import World
from tests.helpers import session_csrf, sign_in
from tests.inbox.conftest import drain
from tests.security.conftest import AppFactory, Connect

__all__ = ["settings", "smtp_sink"]  # mail goes to a real SMTP sink

UNKNOWN = "nobody-here@example.org"
VARYING = {"id", "email", "sent_at", "expires_at", "created_at"}


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The answer with what must differ between two invitations (their id, address and clock) blanked."""
    return {k: ("*" if k in VARYING else v) for k, v in body.items()}


def _user_count(db: Session) -> int:
    count = int(db.execute(text("SELECT count(*) FROM auth_user")).scalar_one())
    db.rollback()  # hand the database back to the app's requests
    return count


def test_inviting_answers_the_same_whether_or_not_the_address_has_an_account(
    client: TestClient, db: Session, runtime: Runtime, world: World, other_world: World, smtp_sink: SmtpSink
) -> None:
    known = other_world.members[Role.ANALYST].email
    users_before = _user_count(db)
    answers = [
        client.post(
            "/api/v1/invitations", json={"email": email, "role": "agent"}, headers=world.token(Role.ADMIN)
        )
        for email in (known, UNKNOWN)
    ]
    assert answers[0].status_code == answers[1].status_code == 201
    assert _shape(answers[0].json()) == _shape(answers[1].json())
    assert answers[0].headers.keys() == answers[1].headers.keys()
    # nobody became a member, no account was made, the other workspace is untouched
    members = {m["email"] for m in client.get("/api/v1/members", headers=world.token(Role.ADMIN)).json()}
    assert known not in members and UNKNOWN not in members
    assert _user_count(db) == users_before
    theirs = client.get("/api/v1/members", headers=other_world.token(Role.ADMIN)).json()
    assert {m["email"] for m in theirs} == {m.email for m in other_world.members.values()}
    # the mails are the same but for the address, the link and the expiry's minute (the two were sent a few
    # milliseconds apart, maybe either side of a minute)
    drain(runtime)
    mailed = [mails_to(smtp_sink, email) for email in (known, UNKNOWN)]
    assert [len(m) for m in mailed] == [1, 1]
    blank = [re.sub(r"https?://\S+", "LINK", m[0]) for m in mailed]
    blank = [re.sub(r"\d{4}-\s*\d\d-\d\d\s+\d\d:\d\d", "TIME", b) for b in blank]
    assert all("TIME" in b for b in blank)
    assert blank[0] == blank[1]


def test_the_members_page_answers_the_same_for_both_addresses(
    app: FastAPI, client: TestClient, world: World, other_world: World
) -> None:
    known = other_world.members[Role.ANALYST].email
    admin = world.members[Role.ADMIN]
    sign_in(client, admin.email, admin.password)
    headers = session_csrf(client, app.state.runtime.settings.resolved_secret_key)
    notices = []
    for email in (known, UNKNOWN):
        page = client.post("/settings/invitations", data={"email": email, "role": "agent"}, headers=headers)
        found = re.search(r'<p class="notice" role="status">(.*?)</p>', page.text)
        assert found, page.text[:500]
        notices.append((page.status_code, found.group(1).replace(email, "EMAIL")))
    assert notices[0] == notices[1]
    assert notices[0][0] == 201


def test_asking_for_a_reset_answers_byte_for_byte_the_same_for_any_address(
    client: TestClient, db: Session, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    known = world.members[Role.AGENT].email
    disabled = world.members[Role.VIEWER].email
    db.execute(update_user_active(disabled))
    db.commit()
    addresses = (known, UNKNOWN, disabled, "not even an address")
    api = [client.post("/api/v1/password-reset", json={"email": email}) for email in addresses]
    assert {(r.status_code, r.content) for r in api} == {(202, api[0].content)}
    token = public_form(client, "/password-reset")
    pages = [
        client.post("/password-reset", data={"csrf_token": token, "email": email}) for email in addresses
    ]
    assert {(p.status_code, p.text) for p in pages} == {(200, pages[0].text)}
    assert "If an account exists for this address" in pages[0].text
    drain(runtime)
    assert {m["To"] for m in smtp_sink.messages} == {known}
    jobs = db.scalars(select(Job).where(Job.kind == auth_service.SEND_PASSWORD_RESET_JOB)).all()
    assert len(jobs) == 2  # the known address's two requests; nothing queued for the others


def update_user_active(email: str) -> Any:
    from omnicx.auth.models import User

    return update(User).where(User.email == email).values(is_active=False)


def test_links_are_stored_only_as_hashes_and_travel_sealed(
    client: TestClient, db: Session, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    known = world.members[Role.AGENT].email
    client.post(
        "/api/v1/invitations", json={"email": UNKNOWN, "role": "agent"}, headers=world.token(Role.ADMIN)
    )
    client.post("/api/v1/password-reset", json={"email": known})
    tokens = [path_of(mailed_link(runtime, smtp_sink, email)).rsplit("/", 1)[1] for email in (UNKNOWN, known)]
    stored = _every_value(db)
    for token in tokens:
        assert len(token) > 40
        assert not any(token in value for value in stored), "a link's token is stored in clear"
        assert hashlib.sha256(token.encode()).hexdigest() in stored


def _every_value(db: Session) -> list[str]:
    """Every value of every row of every table, as text."""
    values: list[str] = []
    for table in inspect(db.get_bind()).get_table_names():
        for row in db.execute(text(f'SELECT * FROM "{table}"')):
            values.extend(str(v) for v in row)
    db.rollback()
    return values


def test_the_public_forms_need_their_csrf_token(
    client: TestClient, runtime: Runtime, world: World, smtp_sink: SmtpSink
) -> None:
    client.post(
        "/api/v1/invitations", json={"email": UNKNOWN, "role": "agent"}, headers=world.token(Role.ADMIN)
    )
    link = mailed_link(runtime, smtp_sink, UNKNOWN)
    form = {"name": "Mallory", "password": "a long enough one", "password_again": "a long enough one"}
    public_form(client, path_of(link))  # the browser has its pre-session cookie, but the form has no token
    assert client.post(path_of(link), data=form).status_code == 403
    assert client.post(path_of(link), data={**form, "csrf_token": "forged"}).status_code == 403
    assert client.post("/password-reset", data={"email": world.members[Role.AGENT].email}).status_code == 403
    assert client.get(path_of(link)).status_code == 200  # the invitation is still there


def test_the_public_endpoints_are_rate_limited_per_address(make_app: AppFactory, connect: Connect) -> None:
    app = make_app(rate_limit_account_links_per_address="2/minute")
    here, there = connect(app, "203.0.113.7"), connect(app, "198.51.100.9")
    asks = [here.post("/api/v1/password-reset", json={"email": UNKNOWN}) for _ in range(3)]
    assert [a.status_code for a in asks] == [202, 202, 429]
    assert asks[2].json()["code"] == "rate_limited" and int(asks[2].headers["Retry-After"]) >= 1
    assert (
        here.post("/api/v1/password-reset/confirm", json={"token": "x", "new_password": "y" * 12}).status_code
        == 429
    )
    assert here.post("/password-reset", data={"email": UNKNOWN}).status_code == 429
    assert there.post("/api/v1/password-reset", json={"email": UNKNOWN}).status_code == 202
