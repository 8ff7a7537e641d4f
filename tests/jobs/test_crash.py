"""SIGKILL mid-job: the killed worker's transaction dies with it, the job re-runs once its lease expires."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.models import JobStatus
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.jobs.conftest import WorkerProcesses, effect_rows, load_job, wait_for

pytestmark = pytest.mark.usefixtures("effects")


def test_a_job_killed_mid_run_completes_once_on_another_worker(
    db: Session, runtime: Runtime, settings: Settings, worker_processes: WorkerProcesses, tmp_path: Path
) -> None:
    marker = tmp_path / "first-run-started"
    job_id = service.enqueue(db, kind="test.slow_first", payload={"marker": str(marker)})
    db.commit()
    url = settings.resolved_database_url

    doomed = worker_processes.start(url, lease_seconds=1)
    # The marker appears after the handler wrote its effect, while it sleeps inside the job's transaction.
    # (No database reads meanwhile: on SQLite the sleeping transaction holds the write lock.)
    wait_for(marker.exists, timeout=10, what="the first run to start")
    doomed.send_signal(signal.SIGKILL)
    assert doomed.wait(timeout=5) == -signal.SIGKILL

    job = load_job(runtime, job_id)
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)
    assert effect_rows(runtime) == []  # the uncommitted effect died with the process

    survivor = worker_processes.start(url, lease_seconds=1)
    wait_for(lambda: load_job(runtime, job_id).status is JobStatus.SUCCEEDED, timeout=10, what="the re-run")
    assert worker_processes.stop(survivor) == 0  # SIGTERM: graceful stop

    job = load_job(runtime, job_id)
    assert (job.attempts, job.locked_by) == (2, None)
    assert [(row[0], row[1]) for row in effect_rows(runtime)] == [(str(job_id), 2)]
