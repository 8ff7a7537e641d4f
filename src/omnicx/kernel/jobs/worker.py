"""The worker: claims due jobs with a lease, runs their handlers, retries with backoff, buries the hopeless.

Three transactions per job, each short and each safe to lose:

1. claim: pick one due job (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so many workers never pick the same row;
   SQLite serialises writers with BEGIN IMMEDIATE, so a plain select + update is safe there), mark it running
   with a lease, count the attempt, commit;
2. run: call the handler with a fresh session and, in that same transaction, mark the job succeeded, but only
   if this worker still holds it (same `locked_by` and `attempts`), so a worker whose lease expired and whose
   job was re-claimed by another cannot also complete it;
3. on failure: roll the handler's effects back and, in a new transaction, record the error and schedule a
   retry or move the job to dead.

A worker killed at any point leaves at worst a running job whose lease expires; it is then due again.

A claim of a coalesced kind (`registry.Coalesced`) takes, with the first job, more queued first attempts of the
same kind and workspace, under the same lease; they run as one job, complete together and, should that run
fail, are each scheduled for a retry of their own.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.db import transaction, utcnow
from omnicx.kernel.jobs.backoff import backoff_delay
from omnicx.kernel.jobs.feed import sweep
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.registry import JobContext, get_coalescing, get_handler
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.runtime import Runtime

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 8000
MAX_SUMMARY_CHARS = 500


@dataclass(frozen=True)
class _Claim:
    """What a worker holds after claiming: enough to run the job and to prove the job is still its own.
    `joined`: the jobs coalesced with it (first attempts all, like it), whose payloads `payload` merges."""

    job_id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    workspace_id: uuid.UUID | None
    attempt: int
    joined: tuple[uuid.UUID, ...] = ()

    @property
    def job_ids(self) -> tuple[uuid.UUID, ...]:
        return (self.job_id, *self.joined)


def default_worker_id() -> str:
    """host:pid:random, unique per worker so a lease names exactly one of them."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def describe_failure(exc: BaseException) -> str:
    """`last_error` of a failed attempt: a one-line summary first (what lists show), then the traceback.

    Long tracebacks keep their end: the innermost frames and the exception are what explain a failure.
    """
    message = str(exc).strip().splitlines()
    summary = f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__
    summary = summary[:MAX_SUMMARY_CHARS]
    trace = "".join(traceback.format_exception(exc))
    room = MAX_ERROR_CHARS - len(summary) - 3
    return f"{summary}\n\n{trace if len(trace) <= room else '…' + trace[-(room - 1) :]}"


def _due(now: datetime) -> ColumnElement[bool]:
    """Queued and due, or running under a lease that expired (its worker is presumed dead)."""
    return or_(
        and_(Job.status == JobStatus.QUEUED, Job.run_at <= now),
        and_(Job.status == JobStatus.RUNNING, Job.locked_until < now),
    )


SWEEP_EVERY_SECONDS = 5.0


class Worker:
    """Runs jobs one at a time; start several (threads or processes) for parallelism."""

    def __init__(self, runtime: Runtime, worker_id: str | None = None) -> None:
        self.runtime = runtime
        self.worker_id = worker_id or default_worker_id()
        self._settings = runtime.settings

    def run_once(self) -> bool:
        """Claim and run one due job; False when nothing was due (the caller may then sleep)."""
        claim = self._claim()
        if claim is None:
            return False
        self._execute(claim)
        return True

    def run_forever(self, stop: threading.Event) -> None:
        """Drain due jobs, then poll every `job_poll_seconds` until `stop` is set; a running job finishes.
        While idle, it also looks every few seconds for changes left without a consumer (`feed.sweep`)."""
        swept = 0.0
        while not stop.is_set():
            try:
                busy = self.run_once()
                if not busy and time.monotonic() - swept > SWEEP_EVERY_SECONDS:
                    swept = time.monotonic()
                    with transaction(self.runtime.sessions) as session:
                        busy = sweep(session)
            except Exception:
                # The database may be briefly unreachable; keep the worker alive and try again after a pause.
                log.exception("job worker %s: claim or bookkeeping failed", self.worker_id)
                busy = False
            if not busy:
                stop.wait(self._settings.job_poll_seconds)

    def _owned(self, claim: _Claim) -> ColumnElement[bool]:
        return and_(
            Job.id.in_(claim.job_ids) if claim.joined else Job.id == claim.job_id,
            Job.status == JobStatus.RUNNING,
            Job.locked_by == self.worker_id,
            Job.attempts == claim.attempt,
        )

    def _claim(self) -> _Claim | None:
        now = utcnow()
        with transaction(self.runtime.sessions) as session:
            job = self._next_due(session, now)
            if job is None:
                return None
            jobs = [job, *self._joining(session, job, now)]
            coalescing = get_coalescing(job.kind)
            if coalescing is not None and len(jobs) > 1:
                dialect = session.get_bind().dialect.name
                jobs = jobs[: coalescing.within_size(dialect, [each.payload for each in jobs])]
            for each in jobs:
                each.status = JobStatus.RUNNING
                each.attempts += 1
                each.locked_by = self.worker_id
                each.locked_until = now + timedelta(seconds=self._settings.job_lease_seconds)
            payload = dict(job.payload)
            if coalescing is not None and len(jobs) > 1:
                payload = coalescing.merge([dict(each.payload) for each in jobs])
            joined = tuple(each.id for each in jobs[1:])
            return _Claim(job.id, job.kind, payload, job.workspace_id, job.attempts, joined)

    @staticmethod
    def _joining(session: Session, job: Job, now: datetime) -> list[Job]:
        """Queued first attempts of `job`'s kind and workspace to run with it, if its kind coalesces and `job`
        is a first attempt too (a retry runs alone), oldest first and locked like it."""
        coalescing = get_coalescing(job.kind)
        limit = coalescing.limit(session.get_bind().dialect.name) if coalescing is not None else 1
        if job.attempts > 0 or limit < 2:
            return []
        stmt = (
            select(Job)
            .where(
                Job.status == JobStatus.QUEUED,
                Job.run_at <= now,
                Job.kind == job.kind,
                Job.workspace_id == job.workspace_id,
                Job.attempts == 0,
                Job.id != job.id,
            )
            .order_by(Job.run_at)
            .limit(limit - 1)
            .with_for_update(skip_locked=True)
        )
        return list(session.scalars(stmt))

    @staticmethod
    def _next_due(session: Session, now: datetime) -> Job | None:
        """The next due job, locked; jobs whose last attempt died with its worker are buried on the way.

        Without that bound, a job that kills its worker (out of memory, a crash in native code) would be
        re-claimed forever.
        """
        stmt = select(Job).where(_due(now)).order_by(Job.run_at).limit(1).with_for_update(skip_locked=True)
        while (job := session.scalar(stmt)) is not None:
            if job.status is JobStatus.RUNNING and job.attempts >= job.max_attempts:
                _bury(
                    session,
                    job,
                    now,
                    "the worker of its last attempt stopped before finishing (lease expired)",
                )
                continue
            return job
        return None

    def _execute(self, claim: _Claim) -> None:
        handler = get_handler(claim.kind)
        if handler is None:
            self._record_failure(claim, f"no handler is registered for job kind {claim.kind!r}", final=True)
            return
        with self.runtime.sessions() as session:
            try:
                handler(self._context(session, claim))
                session.flush()  # the handler's pending writes fail here, as this attempt's error
                if not self._complete(session, claim):
                    session.rollback()
                    log.warning("job %s: lease lost by %s, effects undone", claim.job_id, self.worker_id)
                    return
                session.commit()
            except Exception as exc:
                session.rollback()
                self._record_failure(claim, describe_failure(exc), final=False)

    def _context(self, session: Session, claim: _Claim) -> JobContext:
        return JobContext(
            session=session,
            payload=claim.payload,
            workspace_id=claim.workspace_id,
            job_id=claim.job_id,
            kind=claim.kind,
            attempt=claim.attempt,
            runtime=self.runtime,
        )

    def _complete(self, session: Session, claim: _Claim) -> bool:
        """Mark the job succeeded inside the handler's transaction, if this worker still holds it."""
        stmt = (
            update(Job)
            .where(self._owned(claim))
            .values(status=JobStatus.SUCCEEDED, finished_at=utcnow(), locked_by=None, locked_until=None)
        )
        return session.connection().execute(stmt).rowcount == len(claim.job_ids)

    def _record_failure(self, claim: _Claim, error: str, *, final: bool) -> None:
        """Record the error, then retry after a backoff, or bury the job when it is out of attempts. Jobs that
        ran coalesced each get the error and a retry of their own (which runs alone)."""
        now = utcnow()
        with transaction(self.runtime.sessions) as session:
            for job in list(session.scalars(select(Job).where(self._owned(claim)).with_for_update())):
                self._fail(session, job, now, error, final=final)

    def _fail(self, session: Session, job: Job, now: datetime, error: str, *, final: bool) -> None:
        """One failed job: buried when out of attempts (or `final`), else queued again after a backoff."""
        if final or job.attempts >= job.max_attempts:
            _bury(session, job, now, error)
            return
        delay = backoff_delay(
            job.attempts,
            base=self._settings.job_backoff_base_seconds,
            cap=self._settings.job_backoff_cap_seconds,
        )
        job.status = JobStatus.QUEUED
        job.run_at = now + timedelta(seconds=delay)
        job.last_error = error
        job.locked_by = None
        job.locked_until = None


def _bury(session: Session, job: Job, now: datetime, error: str) -> None:
    """Move a job to the dead letter, where an admin can read its error and retry it by hand.

    Admins watching the Overview hear about it at once (after commit), not at their next look at the jobs page.
    """
    job.status = JobStatus.DEAD
    job.last_error = error
    job.finished_at = now
    job.locked_by = None
    job.locked_until = None
    if job.workspace_id is not None:
        summary = f"job {job.kind} failed for good: {error.splitlines()[0][:200]}"
        publish(
            session,
            RealtimeEvent(
                workspace_id=job.workspace_id,
                topic=KernelTopic.JOB_DEAD,
                data={"summary": summary, "job_id": str(job.id), "kind": job.kind},
                action=Action.JOBS_READ.value,
            ),
        )


def start_worker_thread(
    runtime: Runtime, *, worker_id: str | None = None
) -> tuple[threading.Thread, threading.Event]:
    """Run a worker in a daemon thread of this process (`omnicx serve`); set the event and join to stop it."""
    stop = threading.Event()
    worker = Worker(runtime, worker_id)
    thread = threading.Thread(
        target=worker.run_forever, args=(stop,), name=f"omnicx-worker-{worker.worker_id}", daemon=True
    )
    thread.start()
    return thread, stop
