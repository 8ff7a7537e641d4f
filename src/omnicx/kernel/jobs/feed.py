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
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, event, func, inspect, select
from sqlalchemy.orm import Session, SessionTransaction

from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.jobs.models import Change
from omnicx.kernel.jobs.service import release_dead, wake

#: The consumer's job kind: enqueued (once while one is waiting) by every recorded change.
SYNC_JOB = "analytics.sync"
#: The waiting consumer job's idempotency key; the consumer gives its job another key as it starts.
WAITING_KEY = "waiting"
#: Where a session notes the transaction that last woke the consumer (`_wake_once`).
_WOKEN = "omnicx.feed.woken"


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
    (the customer map) records an empty change with `upserted` holding the workspace's own id.

    Outside a savepoint the ids join what the transaction noted and are recorded as it commits, with the ORM
    writes followed (`_record`): one change per stream and one wake-up per transaction, however many units a
    group commit runs in it (each chat message saved two inserts). An id both deleted and upserted is copied
    again from its current row, which is right in either order. Inside a savepoint the change is written at
    once, so that rolling the savepoint back takes it too.
    """
    if not upserted and not deleted:
        return
    if session.in_nested_transaction():
        session.add(_change(workspace_id, stream, upserted, deleted))
        _wake_once(session)
        return
    _listen()
    pending = _pending(session)
    pending.upserted[(workspace_id, stream)].update(upserted)
    pending.deleted[(workspace_id, stream)].update(deleted)


def _wake_once(session: Session) -> None:
    """Wake the consumer once per transaction (or savepoint): a job recording several streams asks once.
    A savepoint rolled back takes its wake-up with it, so the marker is the innermost transaction itself."""
    current = session.get_nested_transaction() or session.get_transaction()
    if current is not None and session.info.get(_WOKEN) is current:
        return
    wake(session, kind=SYNC_JOB, key=WAITING_KEY)
    session.info[_WOKEN] = current


def _change(
    workspace_id: uuid.UUID, stream: str, upserted: Collection[uuid.UUID], deleted: Collection[uuid.UUID]
) -> Change:
    return Change(
        id=new_id(),
        workspace_id=workspace_id,
        stream=stream,
        upserted=sorted(str(i) for i in upserted),  # sorted as text: no UUID.__lt__ per comparison
        deleted=sorted(str(i) for i in deleted),
        created_at=utcnow(),
    )


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


# -- following ORM writes ------------------------------------------------------------------------------------

#: Resolves changed objects of a followed model to the (workspace id, row id) pairs of a stream to copy again.
Resolver = Callable[[Session, Sequence[Any]], Iterable[tuple[uuid.UUID, uuid.UUID]]]


@dataclass(frozen=True)
class Follower:
    """A stream recorded from ORM writes: rows of `model` itself (`resolve` None: each object's own id and
    workspace), or rows of another model that depend on it (`resolve` finds them, e.g. an SLA policy's
    conversations). With `watch`, only changes to those attributes count (an insert or delete always does)."""

    model: type[Any]
    stream: str
    resolve: Resolver | None = None
    watch: tuple[str, ...] = ()
    #: Only deletions count (a membership removed: its conversations lose their assignee through the
    #: database's ON DELETE SET NULL, which no ORM object shows).
    deletes_only: bool = False


@dataclass
class _Pending:
    upserted: dict[tuple[uuid.UUID, str], set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    deleted: dict[tuple[uuid.UUID, str], set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    dependents: dict[int, list[Any]] = field(default_factory=lambda: defaultdict(list))
    #: Whether the transaction deleted anything (a workspace among it: its changes must not be recorded).
    deleting: bool = False

    def upserted_pairs(self, stream: str, pairs: Iterable[tuple[uuid.UUID, uuid.UUID]]) -> None:
        for workspace_id, row_id in pairs:
            self.upserted[(workspace_id, stream)].add(row_id)


_FOLLOWERS: list[Follower] = []
_PENDING = "omnicx.feed.pending"


def follow(follower: Follower) -> None:
    """Record `follower.stream`'s changes whenever a session commits writes to `follower.model`. For domains
    whose rows change in many places through the ORM (conversations, orders): no write site can forget to
    record. Bulk statements bypass the ORM's unit of work: their callers use `record_changes` themselves."""
    if follower not in _FOLLOWERS:
        _FOLLOWERS.append(follower)
    _listen()


def _listen() -> None:
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "before_flush", _before_deletes)
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "before_commit", _record)
        event.listen(Session, "after_transaction_end", _forget)


def unfollow_all() -> None:
    _FOLLOWERS.clear()


def _changed(session: Session, obj: Any, watch: tuple[str, ...]) -> bool:
    """Whether a dirty object really changed (an attribute set to its own value is no change)."""
    if not watch:
        return session.is_modified(obj, include_collections=False)
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in watch)


def _pending(session: Session) -> _Pending:
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = _Pending()
    return pending


def _before_deletes(session: Session, _context: object, _instances: object) -> None:
    """Before rows are deleted: find the rows that depend on them while the database still links them."""
    for obj in session.deleted:
        for follower in _FOLLOWERS:
            if follower.resolve is not None and isinstance(obj, follower.model):
                found = follower.resolve(session, [obj])
                _pending(session).upserted_pairs(follower.stream, found)


def _collect(session: Session, _context: object) -> None:
    """After each flush: note which followed rows were written (the state before the flush is still visible)."""
    if session.deleted:
        _pending(session).deleting = True
    groups = ((session.new, False), (session.dirty, False), (session.deleted, True))
    for objects, deleted in groups:
        for obj in objects:
            for number, follower in enumerate(_FOLLOWERS):
                if not isinstance(obj, follower.model) or (follower.deletes_only and not deleted):
                    continue
                if not deleted and obj in session.dirty and not _changed(session, obj, follower.watch):
                    continue
                if follower.resolve is None:
                    target = _pending(session).deleted if deleted else _pending(session).upserted
                    target[(obj.workspace_id, follower.stream)].add(obj.id)
                elif not deleted:  # deletions were resolved before the flush
                    _pending(session).dependents[number].append(obj)


def _record(session: Session) -> None:
    """Before the commit: flush what is left, then record the changes noted, in the committing transaction."""
    if not _FOLLOWERS and _PENDING not in session.info:
        return
    session.flush()
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    for number, objects in pending.dependents.items():
        follower = _FOLLOWERS[number]
        if follower.resolve is not None:
            pending.upserted_pairs(follower.stream, follower.resolve(session, objects))
    keys = set(pending.upserted) | set(pending.deleted)
    if pending.deleting:
        keys = {key for key in keys if key[0] in _existing_workspaces(session, {key[0] for key in keys})}
    if not keys:
        return
    # One change per stream and one wake-up for the whole transaction (a chat message costs two inserts more).
    session.add_all(
        _change(
            workspace_id,
            stream,
            pending.upserted.get((workspace_id, stream), ()),
            pending.deleted.get((workspace_id, stream), ()),
        )
        for workspace_id, stream in sorted(keys, key=str)
    )
    wake(session, kind=SYNC_JOB, key=WAITING_KEY)
    session.flush()


def _existing_workspaces(session: Session, ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """Which of `ids` still exist: a workspace deleted in this transaction took its rows with it (the copy's
    files, which nothing lists any more, are swept later), and a change naming it could not be stored."""
    (key,) = Change.__table__.c.workspace_id.foreign_keys
    column = key.column
    return set(session.scalars(select(column).where(column.in_(ids))))


def _forget(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without committing (rolled back) wrote nothing: forget what it noted. Only the
    outermost one: rows flushed before a savepoint rolled back are still written."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
