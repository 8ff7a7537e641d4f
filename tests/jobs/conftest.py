"""Fixtures of the jobs tests: effects table, in-process draining, worker subprocesses, a PostgreSQL runtime.

On SQLite every transaction starts with BEGIN IMMEDIATE, so a test must end its own transactions (commit or
roll back) before a worker, in-process or not, can claim anything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from omnicx.app.migrations import upgrade_to_head
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate, WorkspacePublic
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings, _normalise_db_url
from tests.conftest import PG_URL
from tests.jobs import handlers

handlers.register_handlers()
REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PG_URL = "postgresql://127.0.0.1:5432/test"
FINAL = (JobStatus.SUCCEEDED, JobStatus.DEAD)


@pytest.fixture
def effects(runtime: Runtime) -> Iterator[None]:
    """The test-only effects table, created for the test and dropped after it."""
    with runtime.engine.begin() as connection:
        handlers.create_effects_table(connection)
    yield
    with runtime.engine.begin() as connection:
        handlers.drop_effects_table(connection)


def effect_rows(runtime: Runtime) -> list[tuple[str, int, int]]:
    """(job_id, attempt, pid) of every committed effect, read on a short-lived connection."""
    with runtime.engine.begin() as connection:
        rows = connection.execute(text("SELECT job_id, attempt, pid FROM jobs_test_effect"))
        return [(r[0], r[1], r[2]) for r in rows]


def load_job(runtime: Runtime, job_id: uuid.UUID) -> Job:
    with runtime.sessions() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def count_jobs(runtime: Runtime, *statuses: JobStatus) -> int:
    with runtime.sessions() as session:
        stmt = select(func.count()).select_from(Job)
        if statuses:
            stmt = stmt.where(Job.status.in_(statuses))
        return session.scalar(stmt) or 0


def dead_job(db: Session, *, workspace_id: uuid.UUID | None, kind: str = "test.effect") -> uuid.UUID:
    """A committed job in the dead letter, as the worker leaves one after its last failed attempt."""
    job_id = service.enqueue(db, kind=kind, payload={"to": "ana@example.com"}, workspace_id=workspace_id)
    db.flush()
    job = db.get(Job, job_id)
    assert job is not None
    job.status, job.attempts, job.finished_at = JobStatus.DEAD, job.max_attempts, utcnow()
    job.last_error = (
        "RuntimeError: 502 from the provider\n\nTraceback (most recent call last):\n"
        '  File "deliver.py", line 9, in send\nRuntimeError: 502 from the provider\n'
    )
    db.commit()
    return job_id


def wait_for(condition: Callable[[], bool], *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def settle(runtime: Runtime, job_id: uuid.UUID, *, timeout: float = 10.0) -> Job:
    """Run an in-process worker until the job has succeeded or died; returns the job."""
    worker = Worker(runtime, "test-worker")

    def done() -> bool:
        if not worker.run_once():
            time.sleep(0.01)
        return load_job(runtime, job_id).status in FINAL

    wait_for(done, timeout=timeout, what=f"job {job_id} to finish")
    return load_job(runtime, job_id)


@pytest.fixture
def workspace(db: Session) -> WorkspacePublic:
    return auth_service.create_workspace(db, data=WorkspaceCreate(slug="northwind", name="Northwind"))


@pytest.fixture
def other_workspace(db: Session) -> WorkspacePublic:
    return auth_service.create_workspace(db, data=WorkspaceCreate(slug="contoso", name="Contoso"))


@dataclass
class WorkerProcesses:
    """Real `omnicx` worker processes started for one test, SIGKILLed at teardown if still running."""

    data_dir: Path
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(self, database_url: str, *, lease_seconds: float = 60.0) -> subprocess.Popen[bytes]:
        ready = self.data_dir / f"ready-{len(self.started)}"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "src"), str(REPO_ROOT)]),
            "PYTHONUNBUFFERED": "1",
            "OMNICX_ENVIRONMENT": "test",
            "OMNICX_DATABASE_URL": database_url,
            "OMNICX_DATA_DIR": str(self.data_dir),
            "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
            "OMNICX_JOB_LEASE_SECONDS": str(lease_seconds),
            "OMNICX_JOB_POLL_SECONDS": "0.02",
            "OMNICX_TEST_READY_FILE": str(ready),
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.jobs.worker_main"],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.started.append(process)
        wait_for(lambda: ready.exists() or process.poll() is not None, timeout=20, what="the worker to start")
        assert process.poll() is None, process.stderr.read().decode() if process.stderr else "worker exited"
        return process

    def stop(self, process: subprocess.Popen[bytes]) -> int:
        """Ask for a graceful stop (SIGTERM) and return the exit code."""
        process.send_signal(signal.SIGTERM)
        return process.wait(timeout=10)

    def kill_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.fixture
def worker_processes(tmp_path: Path) -> Iterator[WorkerProcesses]:
    processes = WorkerProcesses(data_dir=tmp_path / "workers")
    processes.data_dir.mkdir()
    yield processes
    processes.kill_all()


@pytest.fixture
def pg_database_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated PostgreSQL database: the suite's when it runs on PostgreSQL, otherwise a private one.

    Never skipped: a missing PostgreSQL fails the test, so CI cannot silently lose the concurrency proof.
    """
    if PG_URL:
        yield request.getfixturevalue("database_url")
        return
    base = make_url(_normalise_db_url(DEFAULT_PG_URL))
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    name = f"omnicx_jobs_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        pytest.fail(f"this test needs PostgreSQL at {DEFAULT_PG_URL} (or OMNICX_TEST_DATABASE_URL): {exc}")
    url = base.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(url)
    yield url
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_settings(pg_database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "pg-data",
        database_url=pg_database_url,
        secret_key="test-secret-key-for-omnicx",
        run_worker_in_process=False,
    )


@pytest.fixture
def pg_runtime(pg_settings: Settings) -> Iterator[Runtime]:
    rt = build_runtime(pg_settings)
    with rt.engine.begin() as connection:
        handlers.create_effects_table(connection)
    yield rt
    with rt.engine.begin() as connection:
        handlers.drop_effects_table(connection)
    rt.close()
