"""`omnicx customers list|show|export|erase|suppress`, run with the environment an operator sets."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.auth import service as auth_service
from omnicx.customers import cli
from tests.conftest import World
from tests.customers.conftest import make_customer

root = typer.Typer()
root.add_typer(cli.app, name="customers")
Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(cli_env: dict[str, str]) -> Run:
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(root, ["customers", *args], env=cli_env)
        return result.exit_code, result.output

    return invoke


def test_list_and_show(run: Run, db: Session, world: World, other_world: World) -> None:
    cid = make_customer(db, world.workspace.id, ("email", "cli@example.com"), name="Cli Person")
    make_customer(db, other_world.workspace.id, ("email", "other@example.com"))

    code, ambiguous = run("list")
    assert code == 1 and "--workspace" in ambiguous
    code, listed = run("list", "--workspace", "acme", "--q", "cli")
    assert code == 0, listed
    assert str(cid) in listed and "other@example.com" not in listed
    code, shown = run("show", str(cid))
    assert code == 0, shown
    assert json.loads(shown)["identifiers"][0]["value"] == "cli@example.com"
    code, hidden = run("show", str(cid), "--workspace", "globex")
    assert code == 1 and "not found" in hidden


def test_export_suppress_and_erase_are_audited(run: Run, db: Session, world: World) -> None:
    cid = make_customer(db, world.workspace.id, ("email", "priv@example.com"))

    code, exported = run("export", str(cid))
    assert code == 0 and json.loads(exported)["identifiers"][0]["value"] == "priv@example.com"
    code, out = run("suppress", "phone", "+33 6 12 34 56 78", "--workspace", "acme")
    assert code == 0 and "+33612345678" in out
    code, out = run("erase", str(cid))
    assert code == 0 and "queued" in out

    actions = {
        e.action for e in auth_service.list_audit(db, workspace_id=world.workspace.id, limit=100).items
    }
    db.rollback()
    assert {"customer.exported", "identifier.suppressed", "customer.erase_requested"} <= actions
