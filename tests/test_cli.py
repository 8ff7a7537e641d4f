"""The `omnicx` command: version, workspaces, users, tokens: each printing what a person needs, once."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx import __version__
from omnicx.app.cli import app
from omnicx.auth.models import ApiToken, User
from omnicx.kernel.access.security import hash_token, verify_password


def run(cli_env: dict[str, str], *args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=cli_env)
    assert result.exit_code == 0, result.output
    return result.output


def test_version_through_python_dash_m() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "omnicx", "--version"], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == f"omnicx {__version__}"


def test_workspace_user_and_token_commands(cli_env: dict[str, str], db: Session) -> None:
    assert "Created workspace" in run(cli_env, "workspace", "create", "northwind", "--name", "Northwind")
    output = run(
        cli_env, "user", "create", "ana@northwind.example.com", "--workspace", "northwind", "--role", "agent"
    )
    password = output.strip().splitlines()[-1]
    user = db.scalar(select(User).where(User.email == "ana@northwind.example.com"))
    assert user is not None and verify_password(user.password_hash, password)
    db.rollback()  # on SQLite an open transaction holds the write lock the next command needs
    token = (
        run(cli_env, "token", "create", "--workspace", "northwind", "--name", "etl").strip().splitlines()[-1]
    )
    assert token.startswith("omx_")
    row = db.scalar(select(ApiToken).where(ApiToken.name == "etl"))
    assert row is not None and row.token_hash == hash_token(token)


def test_domain_errors_are_one_line_failures(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["token", "create", "--workspace", "nope", "--name", "x"], env=cli_env)
    assert result.exit_code == 1
    assert "workspace_not_found" in result.output
    assert "Traceback" not in result.output


def test_invalid_slug_is_refused(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["workspace", "create", "Not A Slug"], env=cli_env)
    assert result.exit_code != 0
    assert "Traceback" not in result.output
