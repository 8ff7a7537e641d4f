"""The change feed's consumer is always on its way: a wake-up missed by a race, or a consumer that died, is
made good by the sweep idle workers run."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from omnicx.app.wiring import wire
from omnicx.kernel.db import transaction, utcnow
from omnicx.kernel.jobs.feed import SYNC_JOB, WAITING_KEY, feed_lag, record_changes, sweep
from omnicx.kernel.jobs.models import Change, Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from tests.conftest import World


def _record(runtime: Runtime, world: World) -> None:
    with transaction(runtime.sessions) as session:
        record_changes(
            session, workspace_id=world.workspace.id, stream="no-such-table", upserted=[uuid.uuid4()]
        )


def _age(runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        session.execute(update(Change).values(created_at=utcnow() - timedelta(seconds=30)))


def _drain(runtime: Runtime) -> None:
    wire()
    worker = Worker(runtime, "feed-test")
    while worker.run_once():
        pass


def test_a_missed_wake_up_is_made_good_by_the_sweep(runtime: Runtime, world: World) -> None:
    _record(runtime, world)
    # As if the consumer had started (key released) and finished before this change committed.
    with transaction(runtime.sessions) as session:
        session.execute(
            update(Job)
            .where(Job.kind == SYNC_JOB)
            .values(status=JobStatus.SUCCEEDED, idempotency_key="gone", finished_at=utcnow())
        )
    _drain(runtime)
    with runtime.sessions() as session:
        assert feed_lag(session)[0] == 1  # nobody is coming for it
        assert sweep(session) is False  # too young to sweep: its own wake-up may still be on its way
    _age(runtime)
    with transaction(runtime.sessions) as session:
        assert sweep(session) is True
    _drain(runtime)
    with runtime.sessions() as session:
        assert feed_lag(session)[0] == 0


def test_a_dead_consumer_does_not_hold_the_key(runtime: Runtime, world: World) -> None:
    _record(runtime, world)
    with transaction(runtime.sessions) as session:
        session.execute(update(Job).where(Job.kind == SYNC_JOB).values(status=JobStatus.DEAD))
    _record(runtime, world)  # its wake-up finds the dead job holding the key and does nothing
    with runtime.sessions() as session:
        waiting = session.scalars(select(Job.status).where(Job.idempotency_key == WAITING_KEY)).all()
    assert waiting == [JobStatus.DEAD]
    _age(runtime)
    with transaction(runtime.sessions) as session:
        assert sweep(session) is True
    _drain(runtime)
    with runtime.sessions() as session:
        assert feed_lag(session)[0] == 0


def _waiting_consumers(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        query = select(Job).where(Job.kind == SYNC_JOB, Job.status == JobStatus.QUEUED)
        return len(session.scalars(query).all())


def test_changes_recorded_in_one_transaction_wake_the_consumer_once_and_survive_a_rolled_back_savepoint(
    runtime: Runtime, world: World
) -> None:
    recorded: list[uuid.UUID] = []

    def change(session: Session, stream: str = "no-such") -> None:
        recorded.append(uuid.uuid4())
        record_changes(session, workspace_id=world.workspace.id, stream=stream, upserted=[recorded[-1]])

    with transaction(runtime.sessions) as session:
        change(session)
        change(session)  # the same transaction: no second wake-up asked for
        change(session, "other")
        savepoint = session.begin_nested()
        change(session)
        savepoint.rollback()  # its change goes, and so would a wake-up only it had asked for
    assert _waiting_consumers(runtime) == 1
    with runtime.sessions() as session:
        changes = {c.stream: set(c.upserted) for c in session.scalars(select(Change))}
    # One change per stream for the whole transaction, without the rolled-back savepoint's.
    assert changes == {"no-such": {str(recorded[0]), str(recorded[1])}, "other": {str(recorded[2])}}
    with transaction(runtime.sessions) as session:
        session.execute(delete(Change))

    with transaction(runtime.sessions) as session:
        session.execute(
            update(Job).where(Job.kind == SYNC_JOB).values(status=JobStatus.SUCCEEDED, idempotency_key="x")
        )
    with transaction(runtime.sessions) as session:
        savepoint = session.begin_nested()
        change(session)
        savepoint.rollback()
        change(session)  # woken inside the savepoint only: it must wake the consumer again
    assert _waiting_consumers(runtime) == 1
