"""The change feed: what the store of record changed that a derived copy (the analytics engine) must follow.

A domain that writes rows reports read (events stamped with their customer, sessions rebuilt, touchpoints
recorded, customers merged or erased) records which ids it inserted, replaced or deleted, in the same transaction
as the write. The consumer (`omnicx.analytics`, whose job handler the wiring registers under `SYNC_JOB`) applies
the recorded changes and deletes the rows it applied in the transaction that publishes its copy, so a change is
applied exactly once whatever crashes in between. Rows are consumed rather than read past a watermark: on
PostgreSQL, ids do not commit in the order they are drawn, and a watermark would step over a late commit.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.jobs.models import Change
from omnicx.kernel.jobs.service import release_dead, wake

#: The consumer's job kind: enqueued (once while one is waiting) by every recorded change.
SYNC_JOB = "analytics.sync"
#: The waiting consumer job's idempotency key; the consumer gives its job another key as it starts.
WAITING_KEY = "waiting"


@dataclass(frozen=True, slots=True)
class ChangeRow:
    id: uuid.UUID
    workspace_id: uuid.UUID
    stream: str
    upserted: tuple[uuid.UUID, ...]
    deleted: tuple[uuid.UUID, ...]
    created_at: datetime


def record_changes(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stream: str,
    upserted: Collection[uuid.UUID] = (),
    deleted: Collection[uuid.UUID] = (),
) -> None:
    """Record, in the caller's transaction, that `stream`'s rows `upserted` were written and `deleted` removed,
    and make sure a consumer job is waiting. A change with neither records nothing; a whole-workspace stream
    (the customer map) records an empty change with `upserted` holding the workspace's own id."""
    if not upserted and not deleted:
        return
    session.add(
        Change(
            id=new_id(),
            workspace_id=workspace_id,
            stream=stream,
            upserted=[str(i) for i in upserted],
            deleted=[str(i) for i in deleted],
            created_at=utcnow(),
        )
    )
    wake(session, kind=SYNC_JOB, key=WAITING_KEY)


def pending_changes(session: Session, *, limit: int) -> list[ChangeRow]:
    """The oldest `limit` changes not consumed yet, in the order they were recorded."""
    rows = session.scalars(select(Change).order_by(Change.id).limit(limit))
    return [
        ChangeRow(
            id=row.id,
            workspace_id=row.workspace_id,
            stream=row.stream,
            upserted=tuple(uuid.UUID(i) for i in row.upserted),
            deleted=tuple(uuid.UUID(i) for i in row.deleted),
            created_at=row.created_at,
        )
        for row in rows
    ]


def consume(session: Session, *, ids: Sequence[uuid.UUID]) -> None:
    """Delete applied changes, in the transaction that publishes what they were applied to."""
    for start in range(0, len(ids), 500):
        session.execute(delete(Change).where(Change.id.in_(ids[start : start + 500])))


def feed_lag(session: Session, *, workspace_id: uuid.UUID | None = None) -> tuple[int, datetime | None]:
    """How many changes wait (of one workspace, or of all), and when the oldest was recorded."""
    stmt = select(func.count(), func.min(Change.created_at))
    if workspace_id is not None:
        stmt = stmt.where(Change.workspace_id == workspace_id)
    count, oldest = session.execute(stmt).one()
    return int(count), oldest


#: Changes older than this with no consumer on its way get one (see `sweep`).
SWEEP_AFTER = timedelta(seconds=5)


def sweep(session: Session) -> bool:
    """Wake a consumer if changes have waited longer than `SWEEP_AFTER` (one whose wake-up was missed, or whose
    consumer died); idle workers call this every few seconds. Returns whether changes were waiting."""
    count, oldest = feed_lag(session)
    if not count or oldest is None or oldest > utcnow() - SWEEP_AFTER:
        return False
    release_dead(session, kind=SYNC_JOB, key=WAITING_KEY)
    wake(session, kind=SYNC_JOB, key=WAITING_KEY)
    return True
