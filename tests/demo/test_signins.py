"""The demo's sign-ins: generated once, kept in the data directory (0600) and printed again on every start, until
`--reset` makes new ones; the workspace's slug is printed with them."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app import demo as demo_command
from omnicx.app.cli import app
from omnicx.auth import service as auth_service
from omnicx.demo.service import DEMO_SLUG, SIGNINS_FILE, seed_demo
from omnicx.kernel.settings import Settings
from tests.helpers import free_port

SIGNIN_LINE = re.compile(r"^signin (\w+) (\S+) (\S+)$", re.MULTILINE)


def passwords(credentials: list[object]) -> dict[str, str]:
    return {c.email: c.password for c in credentials}  # type: ignore[attr-defined]


def test_a_restart_reuses_the_kept_passwords_and_reset_makes_new_ones(db: Session, tmp_path: Path) -> None:
    signins = tmp_path / SIGNINS_FILE
    _, first, created = seed_demo(db, signins=signins)
    assert created
    assert stat.S_IMODE(signins.stat().st_mode) == 0o600

    _, again, created = seed_demo(db, signins=signins)

    assert not created
    assert passwords(again) == passwords(first)
    for credential in again:  # still the members' passwords: nothing was re-hashed behind the printed ones
        assert auth_service.password_matches(db, email=credential.email, password=credential.password)

    _, fresh, created = seed_demo(db, reset=True, signins=signins)

    assert created
    assert set(passwords(fresh).values()).isdisjoint(passwords(first).values())
    for credential in fresh:
        assert auth_service.password_matches(db, email=credential.email, password=credential.password)
        assert not auth_service.password_matches(
            db, email=credential.email, password=passwords(first)[credential.email]
        )


def test_a_kept_password_that_no_longer_signs_in_is_replaced(db: Session, tmp_path: Path) -> None:
    signins = tmp_path / SIGNINS_FILE
    _, first, _ = seed_demo(db, signins=signins)
    signins.write_text('{"owner@maison-lumiere.example.com": "not-the-password"}')

    _, again, _ = seed_demo(db, signins=signins)

    owner = next(c for c in again if c.email == "owner@maison-lumiere.example.com")
    assert owner.password not in ("not-the-password", passwords(first)[owner.email])
    assert auth_service.password_matches(db, email=owner.email, password=owner.password)
    # The others were missing from the file: they got new passwords too, and every printed one works.
    for credential in again:
        assert auth_service.password_matches(db, email=credential.email, password=credential.password)


def start(cli_env: dict[str, str], *extra: str) -> str:
    args = ["demo", "--no-serve", "--providers-port", str(free_port()), *extra]
    result = CliRunner().invoke(app, args, env=cli_env)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_command_prints_the_slug_and_the_same_sign_ins_until_reset(
    cli_env: dict[str, str], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The world's seeding is proven in test_world.py; here only the sign-ins matter.
    monkeypatch.setattr(demo_command, "_seed_world", lambda *args, **kwargs: None)

    first = start(cli_env)
    again = start(cli_env)
    reset = start(cli_env, "--reset")

    assert f"workspace {DEMO_SLUG}" in first.splitlines()
    assert len(SIGNIN_LINE.findall(first)) == 6
    assert SIGNIN_LINE.findall(again) == SIGNIN_LINE.findall(first)
    assert {p for *_, p in SIGNIN_LINE.findall(reset)}.isdisjoint({p for *_, p in SIGNIN_LINE.findall(first)})
    signins = settings.data_dir / SIGNINS_FILE
    assert stat.S_IMODE(signins.stat().st_mode) == 0o600
    assert all(password in signins.read_text() for *_, password in SIGNIN_LINE.findall(reset))
