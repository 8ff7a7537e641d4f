"""`omnicx.kernel.writes.GroupCommit`: units queued meanwhile share one transaction; a failing unit is undone alone and
its caller gets the error; nothing is answered before the commit; a caller gone before its turn never runs."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future

import anyio
import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from omnicx.identity.models import Customer
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.errors import Conflict
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.writes import GroupCommit, Refusal
from tests.conftest import World


@pytest.fixture
def writes(runtime: Runtime) -> Iterator[GroupCommit]:
    queue = GroupCommit(runtime.sessions)
    yield queue
    queue.close()


@pytest.fixture
def commits(runtime: Runtime) -> list[int]:
    """One entry per committed transaction of the runtime's sessions."""
    seen: list[int] = []
    event.listen(runtime.sessions, "after_commit", lambda session: seen.append(1))
    return seen


def _add(workspace_id: uuid.UUID, name: str) -> Callable[[Session], str]:
    def work(session: Session) -> str:
        session.add(Customer(workspace_id=workspace_id, display_name=name))
        session.flush()
        return name

    return work


def _held(writes: GroupCommit) -> tuple[threading.Event, Future[str]]:
    """A first unit that keeps the queue's thread busy until released, so what is queued next forms one batch."""
    started, release = threading.Event(), threading.Event()

    def work(session: Session) -> str:
        started.set()
        release.wait(10)
        return "held"

    future = writes.submit(work)
    assert started.wait(10)
    return release, future


def _names(runtime: Runtime, workspace_id: uuid.UUID) -> set[str]:
    with runtime.sessions() as session:
        return set(
            session.scalars(select(Customer.display_name).where(Customer.workspace_id == workspace_id))
        )


def test_units_queued_meanwhile_share_one_commit(
    runtime: Runtime, world: World, writes: GroupCommit, commits: list[int]
) -> None:
    release, held = _held(writes)
    futures = [writes.submit(_add(world.workspace.id, f"c{i}")) for i in range(10)]
    assert not any(f.done() for f in futures)  # nothing answered before its commit
    release.set()
    assert [f.result(10) for f in futures] == [f"c{i}" for i in range(10)]
    assert held.result(10) == "held"
    assert len(commits) == 2  # the held unit's batch, then the ten together
    assert _names(runtime, world.workspace.id) == {f"c{i}" for i in range(10)}


def test_a_failing_unit_is_undone_alone_and_its_caller_gets_the_error(
    runtime: Runtime, world: World, writes: GroupCommit
) -> None:
    def half_then_fail(session: Session) -> str:
        session.add(Customer(workspace_id=world.workspace.id, display_name="half"))
        session.add(Customer(workspace_id=uuid.uuid4(), display_name="orphan"))  # no such workspace
        session.flush()
        return "never"

    release, _ = _held(writes)
    before = writes.submit(_add(world.workspace.id, "before"))
    failing = writes.submit(half_then_fail)
    after = writes.submit(_add(world.workspace.id, "after"))
    release.set()
    assert (before.result(10), after.result(10)) == ("before", "after")
    with pytest.raises(IntegrityError):
        failing.result(10)
    assert _names(runtime, world.workspace.id) == {"before", "after"}


def test_a_refusal_fails_its_caller_without_running_the_batch_again(
    runtime: Runtime, world: World, writes: GroupCommit, commits: list[int]
) -> None:
    runs: list[str] = []

    def counted(name: str) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            runs.append(name)
            return _add(world.workspace.id, name)(session)

        return work

    def refuse(session: Session) -> Refusal:
        runs.append("refused")
        return Refusal(Conflict("sold out"))

    release, _ = _held(writes)
    before, refused, after = (
        writes.submit(counted("before")),
        writes.submit(refuse),
        writes.submit(counted("after")),
    )
    release.set()
    assert (before.result(10), after.result(10)) == ("before", "after")
    with pytest.raises(Conflict, match="sold out"):
        refused.result(10)
    assert runs == ["before", "refused", "after"]  # once each: no rollback, no second run in savepoints
    assert len(commits) == 2
    assert _names(runtime, world.workspace.id) == {"before", "after"}


def test_recover_turns_a_failure_into_an_answer_inside_the_same_transaction(
    runtime: Runtime, world: World, writes: GroupCommit
) -> None:
    def fail(session: Session) -> str:
        session.add(Customer(workspace_id=uuid.uuid4(), display_name="orphan"))
        session.flush()
        return "never"

    def recover(session: Session, error: Exception) -> str:
        assert isinstance(error, IntegrityError)
        return f"{session.scalar(select(func.count()).select_from(Customer))} customers seen"

    release, _ = _held(writes)
    first = writes.submit(_add(world.workspace.id, "first"))
    recovered = writes.submit(fail, recover=recover)
    release.set()
    assert first.result(10) == "first"
    # The recovery ran after `first` in the batch's transaction, and sees its row.
    with runtime.sessions() as session:
        total = session.scalar(select(func.count()).select_from(Customer))
    assert recovered.result(10) == f"{total} customers seen"


def test_a_transaction_that_cannot_commit_fails_every_caller_of_the_batch(
    runtime: Runtime, world: World, writes: GroupCommit
) -> None:
    def break_the_connection(session: Session) -> str:
        session.connection().invalidate()
        return "looked fine"

    release, _ = _held(writes)
    futures = [writes.submit(_add(world.workspace.id, "lost")), writes.submit(break_the_connection)]
    release.set()
    for future in futures:
        with pytest.raises(SQLAlchemyError):  # whatever the driver reports, nobody is told "stored"
            future.result(10)
    assert "lost" not in _names(runtime, world.workspace.id)
    # The queue goes on with the next batch.
    assert writes.submit(_add(world.workspace.id, "next")).result(10) == "next"


def test_a_caller_gone_before_its_turn_never_runs(
    runtime: Runtime, world: World, writes: GroupCommit
) -> None:
    release, _ = _held(writes)
    gone = writes.submit(_add(world.workspace.id, "gone"))
    kept = writes.submit(_add(world.workspace.id, "kept"))
    assert gone.cancel()
    release.set()
    assert kept.result(10) == "kept"
    assert _names(runtime, world.workspace.id) == {"kept"}


def test_close_finishes_what_is_queued_then_refuses_more(runtime: Runtime, world: World) -> None:
    writes = GroupCommit(runtime.sessions)
    release, _ = _held(writes)
    queued = [writes.submit(_add(world.workspace.id, f"q{i}")) for i in range(3)]
    release.set()
    writes.close()
    assert [f.result(0) for f in queued] == ["q0", "q1", "q2"]
    with pytest.raises(RuntimeError):
        writes.submit(_add(world.workspace.id, "late"))


@pytest.mark.anyio
async def test_only_the_committed_units_events_reach_the_screens(
    runtime: Runtime, world: World, writes: GroupCommit
) -> None:
    def announcing(name: str, *, fail: bool) -> Callable[[Session], str]:
        def work(session: Session) -> str:
            publish(
                session,
                RealtimeEvent(
                    workspace_id=world.workspace.id, topic=f"test.{name}", data={}, action=Action.INBOX_READ
                ),
            )
            if fail:
                raise ValueError(name)
            return name

        return work

    async with runtime.bus.subscribe(workspace_id=world.workspace.id) as subscription:
        release, _ = await anyio.to_thread.run_sync(_held, writes)
        futures = [
            writes.submit(announcing("kept", fail=False)),
            writes.submit(announcing("dropped", fail=True)),
            writes.submit(announcing("also-kept", fail=False)),
        ]
        release.set()
        seen = []
        with anyio.fail_after(10):
            async for item in subscription:
                seen.append(item.topic)
                if len(seen) == 2:
                    break
        assert seen == ["test.kept", "test.also-kept"]
        with pytest.raises(ValueError, match="dropped"):
            futures[1].result(10)


def test_units_of_one_key_run_in_order_whatever_the_number_of_lanes(runtime: Runtime, world: World) -> None:
    writes = GroupCommit(runtime.sessions, lanes=3)
    ran: list[tuple[str, int]] = []
    threads: dict[str, set[str]] = {}

    def step(key: str, n: int) -> Callable[[Session], int]:
        def work(session: Session) -> int:
            ran.append((key, n))
            threads.setdefault(key, set()).add(threading.current_thread().name)
            session.add(Customer(workspace_id=world.workspace.id, display_name=f"{key}-{n}"))
            session.flush()
            return n

        return work

    try:
        futures = [writes.submit(step(f"k{n % 5}", n), key=f"k{n % 5}") for n in range(40)]
        assert [f.result(10) for f in futures] == list(range(40))
    finally:
        writes.close()
    for key in {k for k, _ in ran}:
        assert [n for k, n in ran if k == key] == sorted(n for k, n in ran if k == key)
        assert len(threads[key]) == 1  # one lane per key
    assert len({name for names in threads.values() for name in names}) > 1  # five keys spread over the lanes
    assert len(_names(runtime, world.workspace.id)) == 40
    with pytest.raises(ValueError, match="lane"):
        GroupCommit(runtime.sessions, lanes=0)
