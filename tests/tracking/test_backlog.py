"""The processing backlog: events stored whose processing job is queued or running, counted per workspace, with
the oldest one's wait; read by the service, the REST API, /readyz and `omnicx events backlog`."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking import service
from omnicx.tracking.schemas import ProcessingBacklog
from omnicx.tracking.service.backlog import EXACT_UP_TO
from tests.conftest import World
from tests.tracking.conftest import KeyedSource, make_source
from tests.tracking.test_processing import page_at, send


def backlog(runtime: Runtime, workspace_id: uuid.UUID | None) -> ProcessingBacklog:
    with runtime.sessions() as session:
        return service.processing_backlog(session, workspace_id=workspace_id)


def jobs_by_age(runtime: Runtime) -> list[uuid.UUID]:
    """The processing jobs, oldest first."""
    with runtime.sessions() as session:
        kind = service.PROCESS_JOB
        return list(session.scalars(select(Job.id).where(Job.kind == kind).order_by(Job.created_at)))


def set_job(runtime: Runtime, job_id: uuid.UUID, **values: Any) -> None:
    with runtime.sessions() as session, session.begin():
        session.execute(update(Job).where(Job.id == job_id).values(**values))


def age(runtime: Runtime, job_id: uuid.UUID, seconds: float) -> None:
    set_job(runtime, job_id, created_at=utcnow() - timedelta(seconds=seconds))


def batch(count: int, anonymous_id: str = "anon-1") -> list[dict[str, Any]]:
    return [page_at(i, anonymous_id=anonymous_id) for i in range(count)]


def test_waiting_events_and_the_oldest_wait_are_counted(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    assert backlog(runtime, world.workspace.id).model_dump() == {
        "jobs": 0,
        "events": 0,
        "events_estimated": False,
        "oldest_at": None,
        "oldest_age_seconds": 0.0,
        "behind": False,
        "threshold_seconds": 60.0,
    }
    send(client, source, *batch(3))
    send(client, source, *batch(2, "anon-2"))
    first, _ = jobs_by_age(runtime)
    age(runtime, first, 30)
    found = backlog(runtime, world.workspace.id)
    assert (found.jobs, found.events, found.events_estimated) == (2, 5, False)
    assert 30 <= found.oldest_age_seconds < 40 and not found.behind
    age(runtime, first, 90)
    found = backlog(runtime, world.workspace.id)
    assert 90 <= found.oldest_age_seconds < 100 and found.behind


def test_running_jobs_wait_but_succeeded_and_dead_ones_do_not(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    for n, anonymous_id in ((1, "a"), (2, "b"), (4, "c"), (8, "d")):
        send(client, source, *batch(n, anonymous_id))
    one, two, four, eight = jobs_by_age(runtime)
    age(runtime, one, 600)
    set_job(runtime, one, status=JobStatus.SUCCEEDED, finished_at=utcnow())
    age(runtime, two, 500)
    set_job(runtime, two, status=JobStatus.DEAD, finished_at=utcnow())
    age(runtime, four, 120)
    set_job(runtime, four, status=JobStatus.RUNNING, locked_by="w", locked_until=utcnow())
    found = backlog(runtime, world.workspace.id)
    assert (found.jobs, found.events) == (2, 12)
    assert 120 <= found.oldest_age_seconds < 130  # the dead job's 500 s are not a wait
    set_job(runtime, four, status=JobStatus.SUCCEEDED)
    set_job(runtime, eight, status=JobStatus.SUCCEEDED)
    assert backlog(runtime, world.workspace.id).jobs == 0


def test_another_workspace_backlog_is_not_shown(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, other_world: World, db: Session
) -> None:
    theirs = make_source(db, other_world, "their-site")
    db.close()
    send(client, theirs, *batch(7))
    send(client, source, *batch(2))
    assert backlog(runtime, world.workspace.id).events == 2
    assert backlog(runtime, other_world.workspace.id).events == 7
    assert backlog(runtime, None).events == 9  # the operator's view: every workspace


def test_past_the_jobs_read_one_by_one_the_events_are_an_estimate(runtime: Runtime, world: World) -> None:
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "workspace_id": world.workspace.id,
            "kind": service.PROCESS_JOB,
            "payload": {"event_ids": [str(new_id()) for _ in range(2 if i < EXACT_UP_TO else 10)]},
            "status": JobStatus.QUEUED,
            "run_at": now,
            "created_at": now + timedelta(milliseconds=i),
        }
        for i in range(EXACT_UP_TO + 10)
    ]
    with runtime.sessions() as session, session.begin():
        session.execute(insert(Job), rows)
    found = backlog(runtime, world.workspace.id)
    # The oldest EXACT_UP_TO jobs carry 2 events each: the 10 newest are counted at that mean, not read.
    assert (found.jobs, found.events, found.events_estimated) == (
        EXACT_UP_TO + 10,
        2 * (EXACT_UP_TO + 10),
        True,
    )


def test_the_backlog_is_read_from_the_waiting_jobs_index(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    """On PostgreSQL, which plans by table size (a handful of rows is scanned anyway), the plan is asked for with
    sequential scans off: the index must be one the queries can use."""
    send(client, source, *batch(2))
    statements: list[tuple[str, Any]] = []

    def record(conn: Connection, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
        if "jobs_job" in sql:
            statements.append((sql, params))

    event.listen(runtime.engine, "before_cursor_execute", record)
    try:
        backlog(runtime, world.workspace.id)
    finally:
        event.remove(runtime.engine, "before_cursor_execute", record)
    assert len(statements) == 2
    with runtime.engine.connect() as conn:
        for sql, params in statements:
            if runtime.engine.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                plan = " ".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}", params))
                assert "ix_jobs_job_waiting" in plan, plan
                assert "Seq Scan on jobs_job" not in plan, plan
                continue
            plan = " ".join(row[3] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
            assert (
                "USING INDEX ix_jobs_job_waiting" in plan
                or "USING COVERING INDEX ix_jobs_job_waiting" in plan
            )
            assert "SCAN jobs_job" not in plan


def test_rest_route_answers_the_callers_workspace_only(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, other_world: World
) -> None:
    send(client, source, *batch(3))
    (job,) = jobs_by_age(runtime)
    age(runtime, job, 75)
    response = client.get("/api/v1/tracking/backlog", headers=world.token(Role.ANALYST))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["jobs"], body["events"], body["behind"]) == (1, 3, True)
    assert body["oldest_age_seconds"] >= 75
    theirs = client.get("/api/v1/tracking/backlog", headers=other_world.token(Role.OWNER)).json()
    assert (theirs["jobs"], theirs["events"], theirs["behind"]) == (0, 0, False)
    assert client.get("/api/v1/tracking/backlog", headers=world.token(Role.AGENT)).status_code == 403
    operation = client.get("/api/openapi.json").json()["paths"]["/api/v1/tracking/backlog"]["get"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ProcessingBacklog"
    )


def test_readiness_stays_ready_and_tells_the_backlog(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    send(client, source, *batch(4))
    response = client.get("/readyz")
    assert response.status_code == 200
    processing = response.json()["processing"]
    assert processing["state"] == "current" and processing["waiting_events"] == 4
    (job,) = jobs_by_age(runtime)
    age(runtime, job, 300)
    response = client.get("/readyz")
    assert (response.status_code, response.json()["status"]) == (200, "ready")
    processing = response.json()["processing"]
    assert processing["state"] == "behind" and processing["oldest_age_seconds"] >= 300


def test_cli_prints_the_backlog_of_a_workspace(
    client: TestClient, source: KeyedSource, runtime: Runtime, settings: Settings, tmp_path: Path
) -> None:
    send(client, source, *batch(5))
    (job,) = jobs_by_age(runtime)
    age(runtime, job, 120)
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
        "COLUMNS": "200",
    }
    runner = CliRunner()
    result = runner.invoke(cli_app, ["events", "backlog", "--workspace", "acme"], env=env)
    assert result.exit_code == 0, result.output
    assert "Processing backlog: acme" in result.output
    (row,) = [line for line in result.output.splitlines() if "behind" in line]
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells[:2] == ["5", "1"] and cells[2].startswith("12") and cells[3] == "behind"
    result = runner.invoke(cli_app, ["events", "backlog", "-w", "acme", "--format", "json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["events"], data["jobs"], data["behind"]) == (5, 1, True)
