"""Public face of the jobs domain: enqueue work in the caller's transaction, inspect and retry jobs.

Scoping: every read and retry takes `workspace_id`. Routes and pages pass the caller's workspace, so a job of
another workspace is `JobNotFound`. `workspace_id=None` is the operator's view across every workspace, system
jobs included; only the CLI (run by whoever runs the server) uses it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, func, select, text, true, update
from sqlalchemy.orm import Session

from omnicx.kernel.access.directory import directory
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import dialect_insert, new_id, utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs.errors import JobNotFound, JobNotRetryable
from omnicx.kernel.jobs.models import WAITING, Job, JobStatus
from omnicx.kernel.jobs.schemas import JobPublic
from omnicx.kernel.web.schemas import Page


def enqueue(
    session: Session,
    *,
    kind: str,
    payload: dict[str, Any],
    workspace_id: uuid.UUID | None = None,
    idempotency_key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = 8,
) -> uuid.UUID:
    """Add a job to the caller's transaction WITHOUT committing; returns its id (or the existing job's id).

    The job commits with the caller's business write, or not at all: that is the outbox guarantee. With an
    `idempotency_key` (unique per `kind`), a job already enqueued with that key, committed or still pending
    in this session, is returned instead of a new one. Two transactions enqueueing the same key at the same
    moment are resolved by the unique index on (kind, idempotency_key): the second commit fails with an
    IntegrityError, exactly as a duplicate business write would.
    """
    _validate(kind=kind, payload=payload, run_at=run_at, max_attempts=max_attempts)
    if idempotency_key is not None:
        same_key = and_(Job.kind == kind, Job.idempotency_key == idempotency_key)
        existing = session.scalar(select(Job.id).where(same_key))
        if existing is not None:
            return existing
    now = utcnow()
    job = Job(
        id=new_id(),
        workspace_id=workspace_id,
        kind=kind,
        payload=payload,
        status=JobStatus.QUEUED,
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or now,
        idempotency_key=idempotency_key,
        created_at=now,
    )
    session.add(job)
    return job.id


@dataclass(frozen=True)
class Keyed:
    """A job for `enqueue_keyed`: its idempotency key, payload and when it may run."""

    key: str
    payload: dict[str, Any]
    run_at: datetime


def enqueue_keyed(
    session: Session,
    *,
    kind: str,
    jobs: Sequence[Keyed],
    workspace_id: uuid.UUID | None = None,
    max_attempts: int = 8,
) -> None:
    """`enqueue` for many jobs with idempotency keys, in the caller's transaction: ONE statement inserting each
    job whose key no job of `kind` holds yet (`ON CONFLICT DO NOTHING`), instead of a lookup and an insert per
    job. For callers that need no job id back (an SLA's timers, re-armed on every message). Racing
    transactions never fail: the later insert of a key does nothing."""
    if not jobs:
        return
    for job in jobs:
        _validate(kind=kind, payload=job.payload, run_at=job.run_at, max_attempts=max_attempts)
    now = utcnow()
    rows = [
        {
            "id": new_id(),
            "workspace_id": workspace_id,
            "kind": kind,
            "payload": job.payload,
            "status": JobStatus.QUEUED.value,
            "attempts": 0,
            "max_attempts": max_attempts,
            "run_at": job.run_at,
            "idempotency_key": job.key,
            "created_at": now,
        }
        for job in jobs
    ]
    stmt = dialect_insert(session, Job).values(rows)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["kind", "idempotency_key"]))


def wake(session: Session, *, kind: str, key: str, workspace_id: uuid.UUID | None = None) -> None:
    """Make sure one job of `kind` keyed `key` is waiting, in the caller's transaction, without ever failing it.

    Unlike `enqueue`, racing callers never fail and never wait on each other: the insert does nothing when a job
    holds the key (no row lock is taken, so the many transactions that wake one consumer never queue on it).
    A consumer that moves its job off the key as it starts (`release_key`) may still miss a change whose
    transaction found the old job and committed after the consumer looked: `jobs.feed.sweep`, run by idle
    workers, wakes a consumer again for changes left waiting.
    """
    now = utcnow()
    values: dict[str, Any] = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "kind": kind,
        "payload": {},
        "status": JobStatus.QUEUED.value,
        "attempts": 0,
        "max_attempts": 8,
        "run_at": now,
        "idempotency_key": key,
        "created_at": now,
    }
    stmt = dialect_insert(session, Job).values(values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["kind", "idempotency_key"]))


def release_key(session: Session, *, job_id: uuid.UUID) -> None:
    """Give a running job its own id as key, so the next `wake` with its old key enqueues a new job."""
    session.execute(update(Job).where(Job.id == job_id).values(idempotency_key=str(job_id)))


def release_dead(session: Session, *, kind: str, key: str) -> None:
    """Free `key` if a dead job holds it (a consumer out of attempts must not keep the next one from waking)."""
    holder = and_(Job.kind == kind, Job.idempotency_key == key, Job.status == JobStatus.DEAD)
    session.execute(update(Job).where(holder).values(idempotency_key=Job.id.cast(String)))


def _validate(*, kind: str, payload: dict[str, Any], run_at: datetime | None, max_attempts: int) -> None:
    """Fail at the call site, not at the caller's commit, where the error would be far from its cause."""
    if not kind or len(kind) > 120:
        raise Invalid("a job kind is 1 to 120 characters")
    if max_attempts < 1:
        raise Invalid("max_attempts must be at least 1")
    if run_at is not None and run_at.tzinfo is None:
        raise Invalid("run_at must be timezone-aware")
    try:
        json.dumps(payload)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"a job payload must be JSON-serialisable: {exc}") from exc


def _in_scope(workspace_id: uuid.UUID | None) -> ColumnElement[bool]:
    """One workspace's jobs, or every job for the operator's view (`None`)."""
    return true() if workspace_id is None else Job.workspace_id == workspace_id


def _load(session: Session, *, job_id: uuid.UUID, workspace_id: uuid.UUID | None) -> Job:
    job = session.scalar(select(Job).where(_in_scope(workspace_id), Job.id == job_id))
    if job is None:
        raise JobNotFound(f"job {job_id} not found")
    return job


def list_jobs(
    session: Session,
    *,
    workspace_id: uuid.UUID | None,
    status: JobStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[JobPublic]:
    """Jobs newest first, optionally of one status (`dead` is the dead letter)."""
    stmt = select(Job).where(_in_scope(workspace_id))
    if status is not None:
        stmt = stmt.where(Job.status == status)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Job.created_at.desc(), Job.id.desc()).offset(offset).limit(limit))
    return Page[JobPublic](
        items=[JobPublic.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )


def get_job(session: Session, *, job_id: uuid.UUID, workspace_id: uuid.UUID | None) -> JobPublic:
    return JobPublic.model_validate(_load(session, job_id=job_id, workspace_id=workspace_id))


def retry_job(
    session: Session, *, job_id: uuid.UUID, workspace_id: uuid.UUID | None, principal: Principal | None = None
) -> JobPublic:
    """Put a dead job back in the queue with a fresh set of attempts, due now; audited and committed.

    Only dead jobs qualify: a queued or running job is still in a worker's hands, and a succeeded one must not
    run twice.
    """
    job = _load(session, job_id=job_id, workspace_id=workspace_id)
    if job.status is not JobStatus.DEAD:
        raise JobNotRetryable(f"job {job_id} is {job.status.value}; only dead jobs can be retried")
    job.status = JobStatus.QUEUED
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    job.locked_by = None
    job.locked_until = None
    if job.workspace_id is not None:
        directory().record_audit(
            session,
            workspace_id=job.workspace_id,
            principal=principal,
            actor_label="" if principal else "cli",
            action="job.retried",
            target_type="job",
            target_id=str(job.id),
            detail={"kind": job.kind},
        )
    session.commit()
    return JobPublic.model_validate(job)


def stats(session: Session, *, workspace_id: uuid.UUID | None) -> dict[JobStatus, int]:
    """Number of jobs in each status (every status present, zero included), for the jobs page's counters."""
    stmt = select(Job.status, func.count()).where(_in_scope(workspace_id)).group_by(Job.status)
    counts = dict.fromkeys(JobStatus, 0)
    for status, count in session.execute(stmt):
        counts[status] = count
    return counts


def waiting(session: Session, *, kind: str, workspace_id: uuid.UUID | None) -> tuple[int, datetime | None]:
    """How many jobs of `kind` are queued or running (of one workspace, or of all), and when the oldest was
    enqueued. Dead jobs are not waiting: nothing will run them until someone retries them.

    One range of the partial index `ix_jobs_job_waiting`, read without touching the table: a few milliseconds
    at 100k waiting jobs, where the same count over the whole table takes half a second.
    """
    stmt = select(func.count(), func.min(Job.created_at)).where(_waiting(kind, workspace_id))
    count, oldest = session.execute(stmt).one()
    return int(count), oldest


def waiting_list_length(
    session: Session, *, kind: str, workspace_id: uuid.UUID | None, key: str, limit: int
) -> tuple[int, int]:
    """Of the oldest `limit` waiting jobs of `kind`: how many there are, and the summed length of the list each
    payload holds under `key` (a job listing the ids it works on). Bounded by `limit` because this reads the
    payloads themselves: summing over every one of 100k waiting jobs would read hundreds of megabytes."""
    if session.get_bind().dialect.name == "postgresql":
        length = func.jsonb_array_length(Job.payload[key])
    else:
        length = func.json_array_length(Job.payload, f"$.{key}")
    oldest = (
        select(length.label("n"))
        .where(_waiting(kind, workspace_id))
        .order_by(Job.created_at)
        .limit(limit)
        .subquery()
    )
    jobs, total = session.execute(select(func.count(), func.sum(oldest.c.n))).one()
    return int(jobs), int(total or 0)


def _waiting(kind: str, workspace_id: uuid.UUID | None) -> ColumnElement[bool]:
    """The partial index's own predicate, repeated word for word so both databases use the index."""
    return and_(Job.kind == kind, text(f"jobs_job.{WAITING}"), _in_scope(workspace_id))
