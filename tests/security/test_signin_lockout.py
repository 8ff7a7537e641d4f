"""Sign-in lock-out is keyed by account and address, never by one address for everyone: failures from one
address (say, an office behind one proxy) lock only the accounts tried from there, from there; an account tried
from many addresses is locked past a higher, account-wide limit."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.auth import service
from omnicx.auth.errors import AccountLocked, InvalidCredentials
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import utcnow
from tests.conftest import World
from tests.helpers import page_csrf

OFFICE = "203.0.113.10"


def attempt(db: Session, email: str, password: str, ip: str, **limits: int) -> None:
    service.sign_in(db, email=email, password=password, ip=ip, **limits)


def fail(db: Session, email: str, ip: str, times: int, **limits: int) -> None:
    for _ in range(times):
        with pytest.raises(InvalidCredentials):
            attempt(db, email, "wrong-password", ip, **limits)


def test_failures_from_one_address_do_not_block_another_user_there(client: TestClient, world: World) -> None:
    """21 failed sign-ins from one address, some on one account and the rest sprayed over others, and a colleague
    at the same address still signs in."""
    viewer, analyst = world.members[Role.VIEWER], world.members[Role.ANALYST]
    token = page_csrf(client)
    targets = [viewer.email] * 5 + [f"user{i}@acme.example.com" for i in range(16)]
    for email in targets:
        answer = client.post("/signin", data={"email": email, "password": "wrong", "csrf_token": token})
        assert answer.status_code == 401
    signed = client.post(
        "/signin",
        data={"email": analyst.email, "password": analyst.password, "csrf_token": token},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text


def test_an_account_is_locked_from_the_address_it_was_guessed_from_only(db: Session, world: World) -> None:
    member = world.members[Role.AGENT]
    fail(db, member.email, OFFICE, 5)
    with pytest.raises(AccountLocked) as locked:
        attempt(db, member.email, member.password, OFFICE)
    assert 0 < locked.value.retry_after <= 900
    attempt(db, member.email, member.password, "198.51.100.20")  # the owner, elsewhere, is not locked out


def test_an_account_guessed_from_many_addresses_is_locked_everywhere(db: Session, world: World) -> None:
    member = world.members[Role.AGENT]
    limits = {"max_failures": 5, "max_account_failures": 12}
    for n in range(3):
        fail(db, member.email, f"198.51.100.{n}", 4, **limits)
    with pytest.raises(AccountLocked):
        attempt(db, member.email, member.password, "192.0.2.200", **limits)


def test_a_successful_sign_in_clears_the_pair_count(db: Session, world: World) -> None:
    member = world.members[Role.AGENT]
    fail(db, member.email, OFFICE, 4)
    attempt(db, member.email, member.password, OFFICE)
    fail(db, member.email, OFFICE, 4)
    attempt(db, member.email, member.password, OFFICE)


def test_old_failures_leave_the_window(db: Session, world: World) -> None:
    member = world.members[Role.AGENT]
    fail(db, member.email, OFFICE, 5)
    with pytest.raises(AccountLocked):
        attempt(db, member.email, member.password, OFFICE)
    from omnicx.auth.models import LoginAttempt

    for row in db.query(LoginAttempt).all():
        row.at = utcnow() - timedelta(seconds=901)
    db.commit()
    attempt(db, member.email, member.password, OFFICE)
