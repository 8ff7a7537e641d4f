"""The copy follows the store of record: late events, session rebuilds, merges, offline touches, erasure,
rebuilds, and a sync killed with SIGKILL between writing its files and publishing them."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from omnicx.analytics import service as analytics_service
from omnicx.analytics.models import Segment
from omnicx.identity import service as identity_service
from omnicx.kernel.db import transaction, utcnow
from omnicx.kernel.jobs import registry
from omnicx.kernel.jobs.feed import SYNC_JOB, feed_lag
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service as tracking_service
from omnicx.tracking.models import Event
from tests.analytics.conftest import assert_copy_matches_store, copied
from tests.conftest import World
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import T0, customer_of, drain, page_at, send

ROOT = Path(__file__).resolve().parents[2]


def visits(client: TestClient, source: KeyedSource) -> None:
    """Three visitors over two days, from several channels; one buys."""
    send(
        client,
        source,
        page_at(0, anonymous_id="a", url="https://shop.example/?utm_source=newsletter&utm_medium=email"),
        page_at(5, anonymous_id="a"),
        page_at(
            0,
            anonymous_id="b",
            context={"page": {"url": "https://shop.example/", "referrer": "https://www.google.com/"}},
        ),
        page_at(60 * 24, anonymous_id="c"),
        {
            "type": "track",
            "event": "Order Completed",
            "anonymousId": "a",
            "timestamp": (T0 + timedelta(minutes=7)).isoformat(),
            "properties": {"revenue": 40},
        },
    )


def test_the_copy_follows_late_events_and_session_rebuilds(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    visits(client, source)
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    # A late event inside a's visit, and one that extends c's: their sessions are deleted and rebuilt.
    send(client, source, page_at(2, anonymous_id="a"), page_at(60 * 24 + 10, anonymous_id="c"))
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    with runtime.sessions() as session:
        tombstones = session.scalar(select(func.count()).where(Segment.kind == "tombstones"))
    assert tombstones, "rebuilt sessions left no tombstone: the test did not exercise replacement"


def test_offline_touchpoints_reach_the_copy(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    visits(client, source)
    drain(runtime)
    customer = customer_of(runtime, "b")
    with transaction(runtime.sessions) as session:
        tracking_service.record_touchpoint(
            session,
            workspace_id=world.workspace.id,
            customer_id=customer,
            channel="Store",
            kind="visit",
            at=T0,
        )
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    assert any(row[3] == "Store" for row in copied(runtime, world.workspace.id, "touchpoints"))


def test_a_merge_shows_in_the_next_query_without_rewriting_history(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    visits(client, source)
    drain(runtime)
    a, b = customer_of(runtime, "a"), customer_of(runtime, "b")
    persons = "SELECT count(DISTINCT person_id), count(DISTINCT customer_id) FROM touchpoints"
    with runtime.sessions() as session:
        before = analytics_service.query(session, workspace_id=world.workspace.id, sql=persons)
    assert before == [(3, 3)]
    # a and b sign in as the same user: identity merges them.
    send(
        client,
        source,
        {
            "type": "identify",
            "anonymousId": "a",
            "userId": "u-1",
            "timestamp": (T0 + timedelta(minutes=8)).isoformat(),
        },
        {
            "type": "identify",
            "anonymousId": "b",
            "userId": "u-1",
            "timestamp": (T0 + timedelta(minutes=9)).isoformat(),
        },
    )
    drain(runtime)
    with runtime.sessions() as session:
        current = identity_service.current_customer_ids(
            session, workspace_id=world.workspace.id, customer_ids={a, b}
        )
        events = analytics_service.query(
            session,
            workspace_id=world.workspace.id,
            sql="SELECT count(DISTINCT person_id), count(DISTINCT customer_id) FROM events "
            "WHERE anonymous_id IN ('a', 'b')",
        )
    assert current[a] == current[b]
    assert events[0][0] == 1  # one person now
    assert events[0][1] == 2  # rows keep the customer they were copied with: history is not rewritten
    assert_copy_matches_store(runtime, world.workspace.id)


def _all_rows(runtime: Runtime, workspace_id: uuid.UUID) -> dict[str, object]:
    return {table: copied(runtime, workspace_id, table) for table in ("events", "sessions", "touchpoints")}


def test_rebuilding_twice_gives_the_same_copy_as_syncing(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    visits(client, source)
    drain(runtime)
    send(client, source, page_at(2, anonymous_id="a"))
    drain(runtime)
    synced = _all_rows(runtime, world.workspace.id)
    analytics_service.rebuild(runtime)
    first = _all_rows(runtime, world.workspace.id)
    analytics_service.rebuild(runtime)
    second = _all_rows(runtime, world.workspace.id)
    assert synced == first == second
    with runtime.sessions() as session:
        status = analytics_service.status(session, workspace_id=world.workspace.id)
    assert status.rebuilt_at is not None and status.pending_changes == 0
    assert {t.table: t.tombstones for t in status.tables}["sessions"] == 0  # a rebuild starts clean


def _hold_sync(monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave changes pending: the sync job runs but applies nothing (as if its worker had not come yet)."""
    monkeypatch.setitem(registry._HANDLERS, SYNC_JOB, lambda ctx: None)


def _live_files(runtime: Runtime) -> set[str]:
    with runtime.sessions() as session:
        return set(session.scalars(select(Segment.path).where(Segment.retired_at.is_(None))))


KILLED_SYNC = """
import os, signal, sys
from omnicx.analytics import service, store
from omnicx.app.wiring import wire
from omnicx.kernel.cli_support import open_runtime

publish = store.publish

def publish_then_die(session, segments, *, seq):
    publish(session, segments, seq=seq)
    session.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # files written, manifest rows flushed, nothing committed

store.publish = publish_then_die
wire()
with open_runtime() as runtime:
    service.sync(runtime)
"""


def test_a_sync_killed_before_publishing_loses_and_doubles_nothing(
    client: TestClient,
    source: KeyedSource,
    runtime: Runtime,
    world: World,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visits(client, source)
    drain(runtime)
    before = _live_files(runtime)
    with monkeypatch.context() as patch:
        _hold_sync(patch)
        send(client, source, page_at(2, anonymous_id="a"), page_at(3, anonymous_id="d"))
        worker = Worker(runtime, "held-sync")
        while worker.run_once():
            pass
    with runtime.sessions() as session:
        pending = feed_lag(session, workspace_id=world.workspace.id)[0]
    assert pending > 0
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_SYNC],
        cwd=ROOT,
        env={**os.environ, **cli_env},
        capture_output=True,
        timeout=60,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    root = runtime.settings.data_dir / "analytics"
    written = {str(p.relative_to(root)) for p in root.rglob("*.parquet")}
    assert written - before, "the killed sync wrote no file: it died too early to test anything"
    with runtime.sessions() as session:
        assert feed_lag(session, workspace_id=world.workspace.id)[0] == pending  # nothing consumed
    assert _live_files(runtime) == before  # nothing published
    analytics_service.sync(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    with runtime.sessions() as session:
        doubled = analytics_service.query(
            session,
            workspace_id=world.workspace.id,
            sql="SELECT id FROM sessions GROUP BY id HAVING count(*) > 1 "
            "UNION ALL SELECT id FROM events GROUP BY id HAVING count(*) > 1",
        )
    assert doubled == []


def test_an_erased_customer_leaves_the_copy_files(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    visits(client, source)
    drain(runtime)
    erased = customer_of(runtime, "a")
    # An event no customer was found for: the copy holds it too (a rebuild copies every event); an erasure of
    # someone else must leave it there.
    with transaction(runtime.sessions) as session:
        source_id = session.scalar(select(Event.source_id).limit(1))
        session.add(
            Event(
                workspace_id=world.workspace.id,
                source_id=source_id,
                message_id="nobody",
                type="track",
                event="Page Scrolled",
                timestamp=T0,
                received_at=T0,
                payload={},
            )
        )
    analytics_service.rebuild(runtime)
    unresolved = "SELECT count(*) FROM events WHERE customer_id IS NULL"
    with runtime.sessions() as session:
        assert analytics_service.query(session, workspace_id=world.workspace.id, sql=unresolved) == [(1,)]
    with transaction(runtime.sessions) as session:
        identity_service.erase_customer(
            session, workspace_id=world.workspace.id, customer_id=erased, data_dir=runtime.settings.data_dir
        )
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    with transaction(runtime.sessions) as session:
        from omnicx.analytics import store

        store.collect_garbage(
            session, runtime.settings.data_dir / "analytics", now=utcnow() + timedelta(hours=1)
        )
    files = [str(p) for p in (runtime.settings.data_dir / "analytics").rglob("*.parquet")]
    found = (
        duckdb.connect()
        .execute(
            "SELECT count(*) FROM read_parquet($files, union_by_name = true) WHERE customer_id = $erased",
            {"files": files, "erased": erased},
        )
        .fetchall()
    )
    assert files and found == [(0,)]
    with runtime.sessions() as session:
        assert analytics_service.query(session, workspace_id=world.workspace.id, sql=unresolved) == [(1,)]


@pytest.mark.parametrize("stream", ["no-such-table"])
def test_changes_of_a_stream_no_table_follows_are_consumed(
    runtime: Runtime, world: World, stream: str
) -> None:
    from omnicx.kernel.jobs.feed import record_changes

    with transaction(runtime.sessions) as session:
        record_changes(session, workspace_id=world.workspace.id, stream=stream, upserted=[uuid.uuid4()])
    result = analytics_service.sync(runtime)
    assert result.changes == 1 and result.rows == 0
    with runtime.sessions() as session:
        assert feed_lag(session)[0] == 0


def test_two_rebuilds_started_together_swap_in_one_copy(
    client: TestClient,
    source: KeyedSource,
    runtime: Runtime,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from omnicx.analytics import sync as sync_module
    from omnicx.analytics.models import SyncState

    visits(client, source)
    drain(runtime)
    real = sync_module.Syncer._rebuild_snapshot
    overtaken: list[int] = []

    def overtaken_midway(self: sync_module.Syncer, table: object, seq: int) -> object:
        if not overtaken:  # the first rebuild's hold lapses here, and a second rebuild runs to the end
            overtaken.append(seq)
            with transaction(runtime.sessions) as session:
                session.execute(update(SyncState).values(rebuilding_until=utcnow() - timedelta(seconds=1)))
            assert analytics_service.rebuild(runtime) > 0
        return real(self, table, seq)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_module.Syncer, "_rebuild_snapshot", overtaken_midway)
    assert analytics_service.rebuild(runtime) == 0  # superseded: its files are thrown away, not swapped in
    assert_copy_matches_store(runtime, world.workspace.id)
    root = runtime.settings.data_dir / "analytics"
    on_disk = {str(p.relative_to(root)) for p in root.rglob("*.parquet")}
    with runtime.sessions() as session:
        listed = set(session.scalars(select(Segment.path)))
    assert on_disk <= listed  # nothing of the superseded rebuild is left behind
    # A rebuild while another holds the copy does nothing (the hold is short: `rebuild` then waits for it to
    # lapse before it applies what changed meanwhile).
    with transaction(runtime.sessions) as session:
        session.execute(
            update(SyncState).values(rebuilding_until=utcnow() + timedelta(seconds=3), rebuild_seq=-1)
        )
    assert analytics_service.rebuild(runtime) == 0


def test_small_segments_are_merged_and_the_answers_stay(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    for visitor in range(12):  # twelve syncs, twelve small files per table
        send(
            client,
            source,
            page_at(visitor, anonymous_id=f"v{visitor}"),
            page_at(visitor + 1, anonymous_id="a"),
        )
        drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    with runtime.sessions() as session:
        status = {
            t.table: t for t in analytics_service.status(session, workspace_id=world.workspace.id).tables
        }
    assert status["events"].segments < 12 and status["sessions"].segments < 12


def test_files_nothing_lists_are_deleted_once_old(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    from omnicx.analytics import store

    visits(client, source)
    drain(runtime)
    root = runtime.settings.data_dir / "analytics"
    stray = root / "events" / str(world.workspace.id) / "000000000001-crashed.parquet"
    stray.write_bytes(b"half a file")
    with runtime.sessions() as session:
        assert store.sweep_unlisted(session, root) == 0  # too young: a batch may still be publishing it
        assert store.sweep_unlisted(session, root, now=utcnow() + timedelta(hours=2)) == 1
    assert not stray.exists()
    assert_copy_matches_store(runtime, world.workspace.id)  # listed files stay
