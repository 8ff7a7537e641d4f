"""The copy in ClickHouse (its engine in the process: chdb, through clickhouse-connect) follows the store of record
with the guarantees of the Parquet copy: late events and session rebuilds, merges without a rebuild, erasure,
rebuilds that give the same copy, and a sync killed with SIGKILL before its commit."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from omnicx.analytics import clickhouse
from omnicx.analytics import service as analytics_service
from omnicx.analytics.catalog import TABLES, TableKind
from omnicx.analytics.clickhouse_sync import ClickHouseSyncer
from omnicx.analytics.models import SyncState
from omnicx.identity import service as identity_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import transaction, utcnow
from omnicx.kernel.jobs.feed import feed_lag
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from tests.analytics import test_sync
from tests.analytics.chdb_support import chdb_settings, copy_of
from tests.analytics.conftest import assert_copy_matches_store
from tests.conftest import World
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import customer_of, drain, page_at, send

ROOT = Path(__file__).resolve().parents[2]
visits = test_sync.visits


@pytest.fixture
def settings(settings: Settings, chdb_url: str) -> Settings:
    """Every test here runs its server, worker and queries on a ClickHouse copy of its own."""
    return chdb_settings(settings, chdb_url)


# The Parquet copy's own tests that hold for any engine, run again on ClickHouse.
test_a_merge_shows_in_the_next_query_without_rewriting_history = (
    test_sync.test_a_merge_shows_in_the_next_query_without_rewriting_history
)
test_offline_touchpoints_reach_the_copy = test_sync.test_offline_touchpoints_reach_the_copy
test_rebuilding_twice_gives_the_same_copy_as_syncing = (
    test_sync.test_rebuilding_twice_gives_the_same_copy_as_syncing
)


def test_the_copy_follows_late_events_and_session_rebuilds(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    visits(client, source)
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    send(client, source, page_at(2, anonymous_id="a"), page_at(60 * 24 + 10, anonymous_id="c"))
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    with runtime.sessions() as session:
        status = analytics_service.status(session, workspace_id=world.workspace.id)
    assert status.engine == "clickhouse"
    assert {t.table: t.tombstones for t in status.tables}["sessions"], "no session was replaced"


KILLED_SYNC = """
import os, signal
from omnicx.analytics import service
from omnicx.app.wiring import wire
from omnicx.kernel.cli_support import open_runtime
from omnicx.kernel.jobs import feed

def consume_then_die(session, *, ids):
    session.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # rows inserted in ClickHouse, nothing committed

feed.consume = consume_then_die
wire()
with open_runtime() as runtime:
    service.sync(runtime)
"""


def _killed_sync(cli_env: dict[str, str], settings: Settings) -> None:
    """Run a sync in another process that dies after writing to ClickHouse, before its commit. chdb admits one
    process per data path: this one lets go of it meanwhile."""
    clickhouse.close_all()
    env = {**os.environ, **cli_env, "OMNICX_ANALYTICS_URL": str(settings.analytics_url)}
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_SYNC], cwd=ROOT, env=env, capture_output=True, timeout=120
    )
    assert killed.returncode == -9, killed.stderr.decode()


def test_a_sync_killed_before_its_commit_loses_and_doubles_nothing(
    client: TestClient,
    source: KeyedSource,
    runtime: Runtime,
    world: World,
    cli_env: dict[str, str],
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    visits(client, source)
    drain(runtime)
    copy = copy_of(settings)
    before = copy.rows(f"SELECT count() FROM {copy.name('sessions__g' + str(_generation(runtime)))}")
    with monkeypatch.context() as patch:
        test_sync._hold_sync(patch)
        send(client, source, page_at(2, anonymous_id="a"), page_at(3, anonymous_id="d"))
        worker = Worker(runtime, "held-sync")
        while worker.run_once():
            pass
    with runtime.sessions() as session:
        pending = feed_lag(session, workspace_id=world.workspace.id)[0]
    assert pending > 0
    copied = test_sync._all_rows(runtime, world.workspace.id)
    _killed_sync(cli_env, settings)
    assert test_sync._all_rows(runtime, world.workspace.id) == copied  # an uncommitted batch is not read
    after = copy.rows(f"SELECT count() FROM {copy.name('sessions__g' + str(_generation(runtime)))}")
    assert after > before, "the killed sync wrote nothing: it died too early to test anything"
    with runtime.sessions() as session:
        assert feed_lag(session, workspace_id=world.workspace.id)[0] == pending  # nothing consumed
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


def _generation(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        state = session.get(SyncState, 1)
        assert state is not None
        return state.generation or 0


def test_an_erased_customer_leaves_clickhouse(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, settings: Settings
) -> None:
    visits(client, source)
    drain(runtime)
    analytics_service.rebuild(runtime)  # two generations: the erasure must reach the old one too
    erased = customer_of(runtime, "a")
    with transaction(runtime.sessions) as session:
        identity_service.erase_customer(
            session, workspace_id=world.workspace.id, customer_id=erased, data_dir=runtime.settings.data_dir
        )
    drain(runtime)
    assert_copy_matches_store(runtime, world.workspace.id)
    copy = copy_of(settings)
    followed = [t for t in TABLES.values() if t.kind is TableKind.ROWS and t.customer_column]
    left = 0
    for generation in copy.generations():
        for table in followed:
            name = copy.name(clickhouse.table_name(table.name, generation))
            left += copy.rows(
                f"SELECT count() FROM {name} WHERE {table.customer_column} = {{c:UUID}}", {"c": erased}
            )[0][0]
    assert left == 0


def test_old_generations_are_dropped_after_the_grace_period(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, settings: Settings
) -> None:
    visits(client, source)
    drain(runtime)
    first = _generation(runtime)
    analytics_service.rebuild(runtime)
    copy = copy_of(settings)
    syncer = ClickHouseSyncer(runtime.sessions, copy)
    before = set(copy.generations())
    assert first in before and len(before) > 1  # queries begun before the swap may still read the old one
    assert syncer.drop_retired() == 0
    assert syncer.drop_retired(now=utcnow() + timedelta(minutes=5)) == len(before) - 1
    assert set(copy.generations()) == {_generation(runtime)}
    assert_copy_matches_store(runtime, world.workspace.id)


def test_a_workspace_reads_only_its_own_rows(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, other_world: World
) -> None:
    visits(client, source)
    drain(runtime)
    with runtime.sessions() as session:
        mine = analytics_service.query(
            session, workspace_id=world.workspace.id, sql="SELECT count(*) FROM events"
        )
        theirs = analytics_service.query(
            session, workspace_id=other_world.workspace.id, sql="SELECT count(*) FROM events"
        )
    assert mine[0][0] > 0 and theirs == [(0,)]


def test_the_status_names_the_engine_on_the_page_and_the_api(
    client: TestClient, runtime: Runtime, world: World
) -> None:
    headers = world.token(Role.ADMIN)
    analytics_service.sync(runtime)
    page = client.get("/settings/analytics", headers=headers)
    assert page.status_code == 200 and "<code>clickhouse</code>" in page.text
    api = client.get("/api/v1/analytics/status", headers=headers).json()
    assert api["engine"] == "clickhouse" and api["rebuilt_at"] is not None


def test_a_switch_of_engine_builds_the_new_engine_s_copy(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, settings: Settings
) -> None:
    on_duckdb = build_runtime(settings.model_copy(update={"analytics_url": None}))
    try:
        visits(client, source)
        drain(on_duckdb)  # the DuckDB copy is built and in step
        with on_duckdb.sessions() as session:
            assert analytics_service.wake_if_never_built(session) is False
        with runtime.sessions() as session:
            assert analytics_service.wake_if_never_built(session) is True  # nothing in ClickHouse yet
        drain(runtime)
        assert_copy_matches_store(runtime, world.workspace.id)
        send(client, source, page_at(2, anonymous_id="a"))  # while ClickHouse is the engine
        drain(runtime)
        with on_duckdb.sessions() as session:  # back to DuckDB: its files are as old as the switch
            assert analytics_service.wake_if_never_built(session) is True
        drain(on_duckdb)
        assert_copy_matches_store(on_duckdb, world.workspace.id)
        with on_duckdb.sessions() as session:
            assert analytics_service.wake_if_never_built(session) is False  # built once, not at every sync
    finally:
        on_duckdb.close()


def test_addresses_name_a_server_or_an_engine_in_the_process(tmp_path: Path) -> None:
    server = clickhouse.Address.parse("clickhouses://report%40acme:p%2Fss@ch.example:9443/copy", tmp_path)
    assert (server.kind, server.host, server.port, server.secure) == ("http", "ch.example", 9443, True)
    assert (server.username, server.password, server.database) == ("report@acme", "p/ss", "copy")
    plain = clickhouse.Address.parse("clickhouse://ch.example", tmp_path)
    assert (plain.port, plain.secure, plain.username, plain.database) == (8123, False, "default", "omnicx")
    local = clickhouse.Address.parse("chdb:", tmp_path)
    assert (local.kind, local.path, local.database) == ("chdb", str(tmp_path / "analytics-chdb"), "omnicx")
    with pytest.raises(ValueError, match="not a ClickHouse address"):
        clickhouse.Address.parse("postgresql://db/x", tmp_path)
