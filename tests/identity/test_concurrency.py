"""Two workers resolving the same new identifier at the same moment end up with one customer."""

from __future__ import annotations

import logging
import threading
import time
import uuid

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from omnicx.identity import service
from omnicx.identity.models import Customer
from omnicx.identity.schemas import ResolveItem
from omnicx.kernel.runtime import Runtime
from tests.identity.conftest import anon, email, new_workspace


def _wait_until_blocked(runtime: Runtime, timeout: float = 15.0) -> None:
    """Until another connection waits on a lock (PostgreSQL: `pg_stat_activity`), so the race really happens
    however loaded the machine is; SQLite, where the writer waits on its write turn out of sight, gets half a
    second."""
    if runtime.settings.is_sqlite:
        time.sleep(0.5)
        return
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + timeout
    with runtime.engine.connect() as connection:
        while not connection.execute(waiting).scalar() and time.monotonic() < deadline:
            connection.rollback()
            time.sleep(0.02)


def _resolve_in_thread(runtime: Runtime, workspace_id: uuid.UUID, results: list[uuid.UUID | None]) -> None:
    with runtime.sessions() as session:
        results.append(
            service.resolve(
                session, workspace_id=workspace_id, identifiers=[anon("race"), email("r@example.com")]
            )
        )
        session.commit()


def test_a_concurrent_writer_of_the_same_identifier_is_joined_not_duplicated(
    db: Session, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="omnicx.identity")
    workspace_id = new_workspace(db)
    first = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("race")]
    )  # flushed, not committed
    results: list[uuid.UUID | None] = []
    racer = threading.Thread(target=_resolve_in_thread, args=(runtime, workspace_id, results))
    racer.start()
    _wait_until_blocked(runtime)  # on our uncommitted identifier (PostgreSQL) or on BEGIN (SQLite)
    db.commit()
    racer.join(timeout=30)

    assert results == [first]
    count = db.scalar(select(func.count()).select_from(Customer).where(Customer.workspace_id == workspace_id))
    db.rollback()
    assert count == 1
    if not runtime.settings.is_sqlite:  # SQLite serialises writers: the racer simply waits and finds it
        assert "concurrent writer" in caplog.text


def _attach_in_thread(runtime: Runtime, workspace_id: uuid.UUID, results: list[uuid.UUID | None]) -> None:
    with runtime.sessions() as session:
        results.append(
            service.resolve(
                session, workspace_id=workspace_id, identifiers=[anon("known"), email("k@example.com")]
            )
        )
        session.commit()


def test_two_writers_attaching_the_same_identifier_to_a_known_customer_keep_one(
    db: Session, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """The batched attach (a known customer gaining an identifier) meets a concurrent writer attaching the same
    identifier: the loser's savepoint is undone and the item resolved again, to the same single customer."""
    caplog.set_level(logging.INFO, logger="omnicx.identity")
    workspace_id = new_workspace(db)
    known = service.resolve(db, workspace_id=workspace_id, identifiers=[anon("known")])
    db.commit()
    again = service.resolve(
        db, workspace_id=workspace_id, identifiers=[anon("known"), email("k@example.com")]
    )
    results: list[uuid.UUID | None] = []
    racer = threading.Thread(target=_attach_in_thread, args=(runtime, workspace_id, results))
    racer.start()
    _wait_until_blocked(runtime)  # on our uncommitted identifier (PostgreSQL) or on BEGIN (SQLite)
    db.commit()
    racer.join(timeout=30)

    assert again == known
    assert results == [known]
    identifiers = service.list_identifiers(db, workspace_id=workspace_id, customer_id=known)
    db.rollback()
    assert sorted(i.kind.value for i in identifiers) == ["anonymous_id", "email"]
    if not runtime.settings.is_sqlite:  # SQLite serialises writers: the racer simply waits and finds it
        assert "concurrent writer attached" in caplog.text


def _resolve_visitors(
    runtime: Runtime,
    workspace_id: uuid.UUID,
    numbers: range,
    found: dict[str, uuid.UUID | None],
    written: threading.Event | None = None,
    commit: threading.Event | None = None,
) -> None:
    """Resolve the visitors `numbers` in one batch; with `written` and `commit`, say when the batch is written
    and wait for the word to commit."""
    names = [f"visitor-{n}" for n in numbers]
    with runtime.sessions() as session:
        items = [ResolveItem(identifiers=(anon(name),)) for name in names]
        found.update(
            zip(names, service.resolve_many(session, workspace_id=workspace_id, items=items), strict=True)
        )
        if written is not None and commit is not None:
            written.set()
            commit.wait(timeout=30)
        session.commit()


def test_newcomers_a_concurrent_writer_did_not_take_are_still_created_together(
    db: Session, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    """Two workers process requests of the same new visitors: the batch that loses the race joins the
    customers the other created for the visitors they share, and creates its other newcomers in one more batch
    (not one by one): every visitor ends with exactly one customer."""
    caplog.set_level(logging.INFO, logger="omnicx.identity")
    workspace_id = new_workspace(db)
    db.commit()
    theirs: dict[str, uuid.UUID | None] = {}
    ours: dict[str, uuid.UUID | None] = {}
    written, commit = threading.Event(), threading.Event()
    first = threading.Thread(
        target=_resolve_visitors, args=(runtime, workspace_id, range(0, 40, 2), theirs, written, commit)
    )
    first.start()
    assert written.wait(timeout=30)  # their newcomers are written, not committed
    second = threading.Thread(target=_resolve_visitors, args=(runtime, workspace_id, range(40), ours))
    second.start()
    _wait_until_blocked(runtime)  # on their uncommitted identifiers (PostgreSQL) or on BEGIN (SQLite)
    commit.set()
    first.join(timeout=30)
    second.join(timeout=30)

    assert all(ours[name] == customer for name, customer in theirs.items())
    assert len(set(ours.values())) == 40
    count = db.scalar(select(func.count()).select_from(Customer).where(Customer.workspace_id == workspace_id))
    db.rollback()
    assert count == 40
    if not runtime.settings.is_sqlite:  # SQLite serialises writers: the second batch simply finds theirs
        assert "creating 20 newcomers nobody holds yet again, together" in caplog.text
