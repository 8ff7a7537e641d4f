"""`omnicx jobs list|show|retry`, run the way an operator runs them: environment-configured, real database."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
import typer
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.auth.schemas import WorkspacePublic
from omnicx.kernel.jobs import cli, service
from omnicx.kernel.jobs.models import JobStatus
from tests.jobs.conftest import dead_job

root = typer.Typer()
root.add_typer(cli.app, name="jobs")


Run = Callable[..., tuple[int, str]]


@pytest.fixture
def run(cli_env: dict[str, str]) -> Run:
    """Invoke `jobs ...` with the environment an operator would set; returns (exit code, output)."""
    runner = CliRunner()

    def invoke(*args: str) -> tuple[int, str]:
        result = runner.invoke(root, ["jobs", *args], env=cli_env)
        return result.exit_code, result.output

    return invoke


def test_list_shows_every_workspace_and_system_jobs(
    run: Run, db: Session, workspace: WorkspacePublic, other_workspace: WorkspacePublic
) -> None:
    dead_job(db, workspace_id=workspace.id, kind="email.deliver")
    service.enqueue(db, kind="sms.deliver", payload={}, workspace_id=other_workspace.id)
    service.enqueue(db, kind="maintenance.vacuum", payload={})
    db.commit()

    code, output = run("list")
    assert code == 0, output
    assert all(kind in output for kind in ("email.deliver", "sms.deliver", "maintenance.vacuum", "system"))

    code, output = run("list", "--status", "dead")
    assert code == 0, output
    assert "email.deliver" in output
    assert "sms.deliver" not in output

    code, output = run("list", "--workspace", other_workspace.slug)
    assert code == 0, output
    assert "sms.deliver" in output
    assert "email.deliver" not in output


def test_show_and_retry_a_dead_job(run: Run, db: Session, workspace: WorkspacePublic) -> None:
    dead = dead_job(db, workspace_id=workspace.id)

    code, output = run("show", str(dead))
    assert code == 0, output
    assert "ana@example.com" in output
    assert "RuntimeError: 502 from the provider" in output

    code, output = run("retry", str(dead))
    assert code == 0, output
    assert "queued" in output
    db.expire_all()
    assert service.get_job(db, job_id=dead, workspace_id=None).status is JobStatus.QUEUED


def test_unknown_jobs_and_workspaces_fail_cleanly(run: Run) -> None:
    code, output = run("retry", str(uuid.uuid4()))
    assert code == 1
    assert "job_not_found" in output
    code, output = run("list", "--workspace", "nowhere")
    assert code == 1
    assert "workspace_not_found" in output
