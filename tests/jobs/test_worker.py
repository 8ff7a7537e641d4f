"""The worker in-process: retries with backoff, dead letter, unknown kinds, leases lost and expired."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from omnicx.auth.schemas import WorkspacePublic
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.cli import run_worker
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.registry import JobContext, register, registered_kinds
from omnicx.kernel.jobs.worker import MAX_ERROR_CHARS, Worker, describe_failure
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.jobs.conftest import count_jobs, effect_rows, load_job, settle, wait_for

pytestmark = pytest.mark.usefixtures("effects")


def test_a_handler_failing_twice_then_succeeding_runs_three_times(
    db: Session, runtime: Runtime, tmp_path: Path
) -> None:
    counter = tmp_path / "runs"
    job_id = service.enqueue(db, kind="test.flaky", payload={"counter": str(counter), "failures": 2})
    db.commit()

    job = settle(runtime, job_id)

    assert counter.read_text() == "3"
    assert (job.status, job.attempts, job.locked_by) == (JobStatus.SUCCEEDED, 3, None)
    assert job.finished_at is not None
    assert "bad day" in (job.last_error or "")  # the error of the last failed attempt stays for the record
    # Each attempt wrote an effect; only the successful one committed.
    assert [(row[0], row[1]) for row in effect_rows(runtime)] == [(str(job_id), 3)]


def test_a_handler_that_always_fails_ends_dead_and_can_be_retried(db: Session, runtime: Runtime) -> None:
    job_id = service.enqueue(db, kind="test.always_fails", payload={}, max_attempts=3)
    db.commit()

    job = settle(runtime, job_id)

    assert (job.status, job.attempts) == (JobStatus.DEAD, 3)
    summary, _, trace = (job.last_error or "").partition("\n\n")
    assert summary == "RuntimeError: the provider said no"
    assert trace.startswith("Traceback (most recent call last):")
    assert "in always_fails" in trace
    assert effect_rows(runtime) == []
    dead = service.list_jobs(db, workspace_id=None, status=JobStatus.DEAD)
    assert [j.id for j in dead.items] == [job_id]

    retried = service.retry_job(db, job_id=job_id, workspace_id=None)
    assert (retried.status, retried.attempts) == (JobStatus.QUEUED, 0)
    assert settle(runtime, job_id).attempts == 3  # a fresh set of attempts


def test_a_write_that_fails_only_when_flushed_is_an_ordinary_failure(
    db: Session, runtime: Runtime, workspace: WorkspacePublic
) -> None:
    payload = {"slug": workspace.slug}
    job_id = service.enqueue(db, kind="test.duplicate_workspace", payload=payload, max_attempts=2)
    db.commit()

    job = settle(runtime, job_id)

    assert (job.status, job.attempts) == (JobStatus.DEAD, 2)
    assert (job.last_error or "").startswith("IntegrityError: ")


def test_an_unknown_kind_goes_straight_to_dead(db: Session, runtime: Runtime) -> None:
    job_id = service.enqueue(db, kind="test.nobody_handles_this", payload={})
    db.commit()

    job = settle(runtime, job_id)

    assert (job.status, job.attempts) == (JobStatus.DEAD, 1)
    assert "no handler is registered for job kind 'test.nobody_handles_this'" in (job.last_error or "")


def test_a_worker_that_lost_its_lease_does_not_complete_the_job(db: Session, runtime: Runtime) -> None:
    job_id = service.enqueue(db, kind="test.stolen", payload={})
    db.commit()

    assert Worker(runtime, "slow-worker").run_once() is True

    job = load_job(runtime, job_id)
    assert (job.status, job.locked_by) == (JobStatus.RUNNING, "another-worker")
    assert effect_rows(runtime) == []  # the stale worker's effects were rolled back


def test_a_last_attempt_whose_worker_died_is_buried_not_rerun(db: Session, runtime: Runtime) -> None:
    job_id = service.enqueue(db, kind="test.effect", payload={}, max_attempts=2)
    db.commit()
    job = db.get(Job, job_id)
    assert job is not None
    job.status, job.attempts, job.locked_by = JobStatus.RUNNING, 2, "crashed-worker"
    job.locked_until = utcnow() - timedelta(seconds=1)
    db.commit()

    assert Worker(runtime, "w").run_once() is False  # buried on the way: nothing left to run

    job = load_job(runtime, job_id)
    assert (job.status, job.attempts) == (JobStatus.DEAD, 2)
    assert "lease expired" in (job.last_error or "")
    assert effect_rows(runtime) == []


def test_a_running_job_under_a_live_lease_is_left_alone(db: Session, runtime: Runtime) -> None:
    job_id = service.enqueue(db, kind="test.effect", payload={})
    db.commit()
    job = db.get(Job, job_id)
    assert job is not None
    job.status, job.attempts, job.locked_by = JobStatus.RUNNING, 1, "busy-worker"
    job.locked_until = utcnow() + timedelta(minutes=1)
    db.commit()

    assert Worker(runtime, "w").run_once() is False


def test_run_worker_drains_the_queue_until_stopped(db: Session, runtime: Runtime) -> None:
    ids = [service.enqueue(db, kind="test.effect", payload={"n": n}) for n in range(20)]
    db.commit()
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(runtime,), kwargs={"stop": stop})
    thread.start()
    try:
        wait_for(lambda: count_jobs(runtime, JobStatus.SUCCEEDED) == 20, timeout=10, what="all to succeed")
    finally:
        stop.set()
        thread.join(timeout=5)
    assert not thread.is_alive()
    assert sorted(row[0] for row in effect_rows(runtime)) == sorted(str(i) for i in ids)


def test_a_long_failure_keeps_its_summary_and_the_end_of_its_traceback() -> None:
    def fail() -> None:
        raise ValueError("bad address\n" + "x" * 20_000 + "\nthe end")

    try:
        fail()
    except ValueError as exc:
        error = describe_failure(exc)

    assert len(error) <= MAX_ERROR_CHARS
    assert error.startswith("ValueError: bad address\n\n…")
    assert error.endswith("the end\n")


def test_a_kind_has_one_handler() -> None:
    assert "test.effect" in registered_kinds()

    def impostor(ctx: JobContext) -> None:
        """Never registered."""

    with pytest.raises(ValueError, match="already handled"):
        register("test.effect", impostor)


@pytest.mark.anyio
async def test_a_job_that_dies_is_announced_to_its_workspace(
    db: Session, runtime: Runtime, world: World
) -> None:
    job_id = service.enqueue(
        db, kind="test.always_fails", payload={}, max_attempts=1, workspace_id=world.workspace.id
    )
    db.commit()
    async with runtime.bus.subscribe(workspace_id=world.workspace.id) as subscription:
        await asyncio.to_thread(settle, runtime, job_id)
        event = await asyncio.wait_for(anext(subscription), timeout=3)
    assert event.topic == KernelTopic.JOB_DEAD
    assert event.action == "jobs.read"
    assert event.data["job_id"] == str(job_id)
    assert "the provider said no" in event.data["summary"]
