"""Analytics fixtures: what the store of record holds against what the copy answers, row for row."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.kernel.runtime import Runtime
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from tests.conftest import World
from tests.tracking.conftest import KeyedSource, make_source


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The one chdb data path of this test process (chdb admits one per process)."""
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture
def chdb_url(chdb_path: Path) -> Iterator[str]:
    """A ClickHouse database of the test's own in the process's chdb, dropped afterwards."""
    from omnicx.analytics import clickhouse
    from tests.analytics.chdb_support import require_chdb

    require_chdb()
    database = f"t_{uuid.uuid4().hex}"
    url = f"chdb://{chdb_path}?database={database}"
    yield url
    copy = clickhouse.copy_at(url, chdb_path)
    copy.command(f"DROP DATABASE IF EXISTS `{database}`")
    clickhouse.close_all()


@pytest.fixture
def source(db: Session, world: World) -> KeyedSource:
    made = make_source(db, world)
    db.close()  # end the fixture's transaction: on SQLite an open one would block the API's writers
    return made


#: Per table: the copy's query and the store's columns, compared row for row. The copy's `person_id` (its
#: customer through the customer map) stands against the store's `customer_id` (rewritten on merges).
COPY_QUERIES = {
    "events": "SELECT id, person_id, type, event, timestamp FROM events WHERE customer_id IS NOT NULL",
    "sessions": "SELECT id, person_id, started_at, ended_at, channel, page_views, event_count FROM sessions",
    "touchpoints": "SELECT id, person_id, touched_at, channel, kind, session_id FROM touchpoints",
}


def copied(runtime: Runtime, workspace_id: uuid.UUID, table: str) -> Counter[tuple[Any, ...]]:
    """Rows the copy answers for one table (a Counter: a row copied twice counts twice)."""
    with runtime.sessions() as session:
        rows = analytics_service.query(session, workspace_id=workspace_id, sql=COPY_QUERIES[table])
    return Counter(tuple(row) for row in rows)


def stored(runtime: Runtime, workspace_id: uuid.UUID, table: str) -> Counter[tuple[Any, ...]]:
    """The same rows read from the store of record (resolved events only: the copy follows processing)."""
    statements = {
        "events": select(Event.id, Event.customer_id, Event.type, Event.event, Event.timestamp).where(
            Event.workspace_id == workspace_id, Event.customer_id.is_not(None)
        ),
        "sessions": select(
            TrackingSession.id,
            TrackingSession.customer_id,
            TrackingSession.started_at,
            TrackingSession.ended_at,
            TrackingSession.channel,
            TrackingSession.page_views,
            TrackingSession.event_count,
        ).where(TrackingSession.workspace_id == workspace_id),
        "touchpoints": select(
            Touchpoint.id,
            Touchpoint.customer_id,
            Touchpoint.at,
            Touchpoint.channel,
            Touchpoint.kind,
            Touchpoint.session_id,
        ).where(Touchpoint.workspace_id == workspace_id),
    }
    with runtime.sessions() as session:
        return Counter(tuple(row) for row in session.execute(statements[table]))


def assert_copy_matches_store(runtime: Runtime, workspace_id: uuid.UUID) -> None:
    for table in COPY_QUERIES:
        copy, store = copied(runtime, workspace_id, table), stored(runtime, workspace_id, table)
        assert copy == store, f"{table}: only in the copy {copy - store}, only in the store {store - copy}"
        assert store, f"{table}: the world wrote nothing to compare"
