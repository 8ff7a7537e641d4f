"""Coalesced kinds: queued first attempts of one workspace run together, and fail apart."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from omnicx.auth.schemas import WorkspacePublic
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import registry, service
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from tests.jobs.conftest import effect_rows, load_job

pytestmark = pytest.mark.usefixtures("effects")


def queue_items(db: Session, workspace: WorkspacePublic, *items: str) -> list[uuid.UUID]:
    """One job per item, oldest first (their run times a second apart)."""
    ids = []
    start = utcnow() - timedelta(minutes=1)
    for index, item in enumerate(items):
        ids.append(
            service.enqueue(
                db,
                kind="test.items",
                payload={"items": [item]},
                workspace_id=workspace.id,
                run_at=start + timedelta(seconds=index),
            )
        )
    db.commit()
    return ids


def items_done(runtime: Runtime) -> dict[str, int]:
    return {item: attempt for item, attempt, _pid in effect_rows(runtime)}


def test_queued_jobs_of_one_workspace_run_together_up_to_the_limit(
    db: Session, runtime: Runtime, workspace: WorkspacePublic, other_workspace: WorkspacePublic
) -> None:
    ids = queue_items(db, workspace, "a1", "a2", "a3", "a4")
    [other] = queue_items(db, other_workspace, "b1")
    worker = Worker(runtime, "test-worker")

    assert worker.run_once()
    # The oldest job and the next two of its workspace, in one run: the limit is three jobs.
    assert items_done(runtime) == {"a1": 1, "a2": 1, "a3": 1}
    assert [load_job(runtime, i).status for i in ids] == [JobStatus.SUCCEEDED] * 3 + [JobStatus.QUEUED]
    assert load_job(runtime, other).status is JobStatus.QUEUED  # another workspace's job never joins

    while worker.run_once():
        pass
    assert items_done(runtime) == {"a1": 1, "a2": 1, "a3": 1, "a4": 1, "b1": 1}


def test_jobs_that_failed_together_are_retried_alone(
    db: Session, runtime: Runtime, workspace: WorkspacePublic
) -> None:
    ids = queue_items(db, workspace, "ok1", "boom", "ok2")
    worker = Worker(runtime, "test-worker")

    assert worker.run_once()
    jobs = [load_job(runtime, i) for i in ids]
    assert [(j.status, j.attempts) for j in jobs] == [(JobStatus.QUEUED, 1)] * 3
    assert all("one item is bad" in (j.last_error or "") for j in jobs)
    assert items_done(runtime) == {}  # the run's effects were rolled back with it

    db.execute(update(Job).values(run_at=utcnow() - timedelta(seconds=1)))  # retries due now
    fresh = service.enqueue(db, kind="test.items", payload={"items": ["ok3"]}, workspace_id=workspace.id)
    db.commit()
    for _ in [*ids, fresh]:
        assert worker.run_once()
    # Each retry ran alone (the fresh job did not join one): the good ones succeeded on their second attempt,
    # the bad one failed again.
    assert items_done(runtime) == {"ok1": 2, "ok2": 2, "ok3": 1}
    statuses = [load_job(runtime, i).status for i in [*ids, fresh]]
    assert statuses == [JobStatus.SUCCEEDED, JobStatus.QUEUED, JobStatus.SUCCEEDED, JobStatus.SUCCEEDED]


def test_a_kind_runs_alone_on_a_database_it_gives_no_limit_for(
    db: Session, runtime: Runtime, workspace: WorkspacePublic, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = registry.get_coalescing("test.items")
    assert entry is not None
    monkeypatch.setitem(registry._HANDLERS, "test.items", replace(entry, max_jobs={"another-database": 3}))
    ids = queue_items(db, workspace, "c1", "c2")

    assert Worker(runtime, "test-worker").run_once()
    assert items_done(runtime) == {"c1": 1}
    assert load_job(runtime, ids[1]).status is JobStatus.QUEUED


def queue_sized(db: Session, workspace: WorkspacePublic, *sizes: int) -> list[uuid.UUID]:
    """One job per size, holding that many items (j0-0, j0-1, j1-0...), oldest first."""
    start = utcnow() - timedelta(minutes=1)
    ids = [
        service.enqueue(
            db,
            kind="test.items",
            payload={"items": [f"j{job}-{n}" for n in range(size)]},
            workspace_id=workspace.id,
            run_at=start + timedelta(seconds=job),
        )
        for job, size in enumerate(sizes)
    ]
    db.commit()
    return ids


def test_jobs_join_only_while_their_total_size_fits_the_budget(
    db: Session, runtime: Runtime, workspace: WorkspacePublic, monkeypatch: pytest.MonkeyPatch
) -> None:
    entry = registry.get_coalescing("test.items")
    assert entry is not None
    dialect = db.get_bind().dialect.name
    sized = replace(entry, size=lambda payload: len(payload["items"]), max_size={dialect: 3})
    monkeypatch.setitem(registry._HANDLERS, "test.items", sized)
    ids = queue_sized(db, workspace, 5, 1, 2, 1)
    worker = Worker(runtime, "test-worker")

    assert worker.run_once()  # the first job runs even though it is over the budget alone
    assert sorted(items_done(runtime)) == [f"j0-{n}" for n in range(5)]
    assert worker.run_once()  # then 1 + 2 items fit the budget of 3; the fourth job waits
    assert sorted(items_done(runtime))[5:] == ["j1-0", "j2-0", "j2-1"]
    assert [load_job(runtime, i).status for i in ids] == [JobStatus.SUCCEEDED] * 3 + [JobStatus.QUEUED]
