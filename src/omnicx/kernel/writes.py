"""Group commit: small writes from many requests run on one thread, many to a transaction.

A busy chat sends hundreds of tiny writes a second. Given a worker thread and a transaction each, they contend:
for the GIL with the event loop and each other, for SQLite's single write lock, and on PostgreSQL each commit
waits for its own WAL flush. The queue turns that around: one thread takes whatever has queued up since its last
turn and runs it in one transaction, then commits once and answers every caller. When a unit fails, the batch
is rolled back and run again with each unit in a savepoint, so the failing unit is undone alone and its caller
gets the error (savepoints only then: each costs about as much as the commit the batch shares). Nothing is
acknowledged before the commit, so an answer still means durable. An idle server runs batches of one; a busy
one batches more, so the cost per write falls as the load rises instead of the backlog feeding on itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("omnicx.kernel.writes")

T = TypeVar("T")

# Enough to amortise a commit many times over, small enough that one batch never holds the write lock long.
MAX_BATCH = 64


@dataclass(frozen=True)
class Refusal:
    """What a unit returns instead of raising when it refuses before writing anything: its caller gets `error`
    and the batch goes on. A raised error costs the whole batch a rollback and a second run with each unit in
    a savepoint; a refusal read from the database (a sold-out variant) costs nothing more than its read."""

    error: Exception


#: A unit of work: its result, or a `Refusal` its caller gets as an error.
Work = Callable[[Session], "T | Refusal"]
Recover = Callable[[Session, Exception], T]


@dataclass
class _Unit(Generic[T]):
    work: Work[T]
    recover: Recover[T] | None
    future: Future[T] = field(default_factory=Future)


_STOP = object()


class GroupCommit:
    """Runs units of work (`work(session) -> result`) in shared transactions, on `lanes` threads of its own.

    A unit's `key` picks its lane, so the units of one key (one chat visitor) run one after another in the order
    they were queued, and two lanes never fight over one conversation's rows. On PostgreSQL a second lane
    overlaps one batch's round trips with another's Python work; SQLite has one writer, so one lane.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, lanes: int = 1, max_batch: int = MAX_BATCH
    ) -> None:
        if lanes < 1:
            raise ValueError("a write queue needs at least one lane")
        self._sessions = sessions
        self._max_batch = max_batch
        self._queues: list[queue.SimpleQueue[Any]] = [queue.SimpleQueue() for _ in range(lanes)]
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, work: Work[T], *, key: str = "", recover: Recover[T] | None = None) -> Future[T]:
        """Queue `work` in the lane of `key`; the future resolves once its transaction committed.

        `work` runs inside the batch's transaction and must neither commit nor roll back, nor touch anything
        outside the session: it may run twice. When it raises, the batch is rolled back and run again with each
        unit in its own savepoint; the failing unit's savepoint is rolled back and `recover(session, error)`, if
        given, may still produce a result (a retried message finds the one stored before) or raise. A unit that
        refuses having written nothing returns a `Refusal` instead of raising: the batch goes on.
        """
        unit: _Unit[T] = _Unit(work, recover)
        lane = zlib.crc32(key.encode()) % len(self._queues)
        with self._lock:
            if self._closed:
                raise RuntimeError("the write queue is closed")
            if not self._threads:
                self._threads = [
                    threading.Thread(
                        target=self._loop, args=(q,), name=f"omnicx-group-commit-{i}", daemon=True
                    )
                    for i, q in enumerate(self._queues)
                ]
                for thread in self._threads:
                    thread.start()
            self._queues[lane].put(unit)
        return unit.future

    async def run(self, work: Work[T], *, key: str = "", recover: Recover[T] | None = None) -> T:
        """`submit` from the event loop: waits without holding a worker thread."""
        return await asyncio.wrap_future(self.submit(work, key=key, recover=recover))

    def close(self) -> None:
        """Finish what is queued, then stop the threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = self._threads
        if threads:
            for lane in self._queues:
                lane.put(_STOP)
            for thread in threads:
                thread.join(timeout=30)

    def _loop(self, lane: queue.SimpleQueue[Any]) -> None:
        link = _Link(self._sessions)
        try:
            while True:
                first = lane.get()
                if first is _STOP:
                    return
                batch: list[_Unit[Any]] = [first]
                stop = False
                while len(batch) < self._max_batch:
                    try:
                        unit = lane.get_nowait()
                    except queue.Empty:
                        break
                    if unit is _STOP:
                        stop = True
                        break
                    batch.append(unit)
                self._run(batch, link)
                if stop:
                    return
        finally:
            link.close()

    def _run(self, batch: list[_Unit[Any]], link: _Link) -> None:
        live = [unit for unit in batch if unit.future.set_running_or_notify_cancel()]
        if not live:
            return  # every caller went away before its turn (closed connections): nothing was acknowledged
        try:
            done = link.retrying(lambda: _optimistic(link, live))
            if done is None:
                done = _isolated(link, live)
        except Exception as error:
            # The transaction itself failed (a lost connection, a full disk): nothing of it is stored.
            log.exception("a batch of %d writes failed to commit", len(live))
            for unit in live:
                if not unit.future.done():
                    unit.future.set_exception(error)
            return
        for unit, result in done:
            if isinstance(result, Refusal):
                unit.future.set_exception(result.error)
            else:
                unit.future.set_result(result)


class _Link:
    """A lane's own database connection, kept from batch to batch.

    Checking a connection out of the pool for every batch costs a liveness ping (a round trip on PostgreSQL)
    and the pool's bookkeeping. The lane keeps one instead, and opens a new one when it was lost (a database
    restart): the batch that found it lost runs once more on the new one.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._connection: Connection | None = None

    def session(self) -> Session:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self.close()
            engine = self._sessions.kw["bind"]
            self._connection = engine.connect()
        return self._sessions(bind=self._connection)

    def retrying(self, attempt: Callable[[], T]) -> T:
        try:
            return attempt()
        except DBAPIError as error:
            if not _lost(error):
                raise
            log.warning("the database connection was lost; running the batch again on a new one")
            return attempt()

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None


def _optimistic(link: _Link, batch: list[_Unit[Any]]) -> list[tuple[_Unit[Any], Any]] | None:
    """Every unit in one transaction, without savepoints (they cost as much as the commit they share);
    None, with everything rolled back, as soon as one unit fails."""
    with link.session() as session:
        try:
            done = [(unit, unit.work(session)) for unit in batch]
            session.flush()  # what a unit left unflushed fails here, still attributable in savepoints
        except Exception as error:
            if _lost(error):
                raise  # not a unit's fault: the whole batch runs again on a new connection
            session.rollback()
            return None
        session.commit()
    return done


def _isolated(link: _Link, batch: list[_Unit[Any]]) -> list[tuple[_Unit[Any], Any]]:
    """The batch again, each unit in its savepoint: the failing ones are undone alone."""
    with link.session() as session:
        done = []
        for unit in batch:
            outcome = _attempt(session, unit)
            if outcome is not _FAILED:
                done.append((unit, outcome))
        session.commit()
    return done


_FAILED = object()


def _lost(error: Exception) -> bool:
    """Whether `error` means the connection itself was lost (the driver said so), not that a unit failed."""
    return isinstance(error, DBAPIError) and error.connection_invalidated


def _attempt(session: Session, unit: _Unit[Any]) -> Any:
    """Run one unit in its savepoint; its result, or `_FAILED` once its future holds the error."""
    try:
        with session.begin_nested():
            return unit.work(session)
    except Exception as error:
        if unit.recover is not None:
            try:
                return unit.recover(session, error)
            except Exception as final:
                unit.future.set_exception(final)
                return _FAILED
        unit.future.set_exception(error)
        return _FAILED
