"""The outbox contract: jobs commit with the caller's transaction, idempotency keys, scoping, dead letter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth.models import Workspace
from omnicx.auth.schemas import WorkspacePublic
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.errors import JobNotFound, JobNotRetryable
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from tests.jobs.conftest import dead_job


def _jobs(db: Session) -> int:
    return db.scalar(select(func.count()).select_from(Job)) or 0


def test_enqueue_adds_to_the_callers_transaction_and_commits_with_it(
    db: Session, runtime: Runtime, workspace: WorkspacePublic
) -> None:
    job_id = service.enqueue(db, kind="test.effect", payload={"n": 1}, workspace_id=workspace.id)
    with runtime.sessions() as other:
        assert other.get(Job, job_id) is None  # nothing committed yet
    db.commit()
    job = service.get_job(db, job_id=job_id, workspace_id=workspace.id)
    assert (job.status, job.attempts, job.max_attempts, job.payload) == (JobStatus.QUEUED, 0, 8, {"n": 1})


def test_a_rolled_back_transaction_leaves_no_job(db: Session, workspace: WorkspacePublic) -> None:
    db.add(Workspace(slug="never", name="Never"))
    service.enqueue(db, kind="test.effect", payload={}, workspace_id=workspace.id)
    db.rollback()
    assert _jobs(db) == 0


def test_the_same_idempotency_key_yields_one_job(db: Session) -> None:
    first = service.enqueue(db, kind="test.effect", payload={"n": 1}, idempotency_key="order-42")
    pending = service.enqueue(db, kind="test.effect", payload={"n": 2}, idempotency_key="order-42")
    db.commit()
    committed = service.enqueue(db, kind="test.effect", payload={"n": 3}, idempotency_key="order-42")
    db.commit()
    assert first == pending == committed
    assert _jobs(db) == 1


def test_keyed_jobs_are_added_once_per_key_in_one_statement(db: Session) -> None:
    at = utcnow()
    pending = service.enqueue(db, kind="test.effect", payload={"n": 0}, idempotency_key="k0")

    def keyed(*numbers: int) -> list[service.Keyed]:
        return [
            service.Keyed(key=f"k{n}", payload={"n": n}, run_at=at + timedelta(minutes=n)) for n in numbers
        ]

    service.enqueue_keyed(db, kind="test.effect", jobs=keyed(0, 1, 2))  # k0 is held by a job not flushed yet
    db.commit()
    service.enqueue_keyed(db, kind="test.effect", jobs=keyed(2, 3))
    service.enqueue_keyed(db, kind="test.flaky", jobs=keyed(1))  # keys are unique per kind
    db.commit()
    rows = db.execute(select(Job.kind, Job.idempotency_key, Job.payload, Job.id)).all()
    assert sorted((r.kind, r.idempotency_key, r.payload["n"]) for r in rows) == [
        ("test.effect", "k0", 0),
        ("test.effect", "k1", 1),
        ("test.effect", "k2", 2),
        ("test.effect", "k3", 3),
        ("test.flaky", "k1", 1),
    ]
    assert pending in {r.id for r in rows}
    with pytest.raises(Invalid):
        service.enqueue_keyed(db, kind="", jobs=keyed(9))


def test_idempotency_keys_are_unique_per_kind(db: Session) -> None:
    a = service.enqueue(db, kind="test.effect", payload={}, idempotency_key="k")
    b = service.enqueue(db, kind="test.flaky", payload={}, idempotency_key="k")
    db.commit()
    assert a != b
    assert _jobs(db) == 2


def test_the_unique_index_is_the_real_guard_against_duplicate_keys(db: Session) -> None:
    now = utcnow()
    for _ in range(2):
        db.add(Job(id=new_id(), kind="test.effect", run_at=now, created_at=now, idempotency_key="k"))
    with pytest.raises(IntegrityError):
        db.commit()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payload": {"at": datetime.now(UTC)}}, "JSON"),
        ({"payload": {}, "run_at": datetime(2030, 1, 1)}, "timezone"),
        ({"payload": {}, "max_attempts": 0}, "max_attempts"),
        ({"payload": {}, "kind": ""}, "kind"),
    ],
)
def test_bad_jobs_are_refused_at_the_call_site(db: Session, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid, match=message):
        service.enqueue(db, **{"kind": "test.effect", **kwargs})  # type: ignore[arg-type]


def test_jobs_of_another_workspace_are_not_found(
    db: Session, workspace: WorkspacePublic, other_workspace: WorkspacePublic
) -> None:
    theirs = dead_job(db, workspace_id=other_workspace.id)
    ours = service.enqueue(db, kind="test.effect", payload={}, workspace_id=workspace.id)
    system = service.enqueue(db, kind="test.effect", payload={})
    db.commit()

    listed = service.list_jobs(db, workspace_id=workspace.id)
    assert [j.id for j in listed.items] == [ours]
    assert service.stats(db, workspace_id=workspace.id)[JobStatus.DEAD] == 0
    for call in (service.get_job, service.retry_job):
        with pytest.raises(JobNotFound):
            call(db, job_id=theirs, workspace_id=workspace.id)
    with pytest.raises(JobNotFound):
        service.get_job(db, job_id=system, workspace_id=workspace.id)
    # The operator's view (CLI) sees everything, system jobs included.
    assert service.list_jobs(db, workspace_id=None).total == 3


def test_the_dead_letter_lists_dead_jobs_and_retry_requeues_them(
    db: Session, workspace: WorkspacePublic
) -> None:
    dead = dead_job(db, workspace_id=workspace.id)
    service.enqueue(db, kind="test.effect", payload={}, workspace_id=workspace.id)
    db.commit()

    letter = service.list_jobs(db, workspace_id=workspace.id, status=JobStatus.DEAD)
    assert [j.id for j in letter.items] == [dead]
    assert "RuntimeError: 502" in (letter.items[0].last_error or "")
    assert service.stats(db, workspace_id=workspace.id) == {
        JobStatus.QUEUED: 1,
        JobStatus.RUNNING: 0,
        JobStatus.SUCCEEDED: 0,
        JobStatus.DEAD: 1,
    }

    retried = service.retry_job(db, job_id=dead, workspace_id=workspace.id)
    assert (retried.status, retried.attempts, retried.finished_at) == (JobStatus.QUEUED, 0, None)
    assert retried.run_at <= utcnow()
    assert service.list_jobs(db, workspace_id=workspace.id, status=JobStatus.DEAD).total == 0


def test_only_dead_jobs_can_be_retried(db: Session, workspace: WorkspacePublic) -> None:
    job_id = service.enqueue(db, kind="test.effect", payload={}, workspace_id=workspace.id)
    db.commit()
    with pytest.raises(JobNotRetryable):
        service.retry_job(db, job_id=job_id, workspace_id=workspace.id)


def test_list_pages_newest_first(db: Session, workspace: WorkspacePublic) -> None:
    ids = [service.enqueue(db, kind="test.effect", payload={}, workspace_id=workspace.id) for _ in range(5)]
    db.commit()
    page = service.list_jobs(db, workspace_id=workspace.id, offset=1, limit=2)
    assert (page.total, page.offset, page.limit) == (5, 1, 2)
    assert [j.id for j in page.items] == [ids[3], ids[2]]


def test_a_job_scheduled_later_is_not_due_yet(db: Session, runtime: Runtime) -> None:
    service.enqueue(db, kind="test.effect", payload={}, run_at=utcnow() + timedelta(hours=1))
    db.commit()
    assert Worker(runtime, "w").run_once() is False
