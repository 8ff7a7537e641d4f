"""The two engines behind one interface: which one a process uses, read from its settings.

DuckDB over Parquet files in the data directory is the default (nothing to install or start); ClickHouse when
`OMNICX_ANALYTICS_URL` names one. Both keep the copy from the same change feed, with the same turn, batch
numbers and rebuild hold in the store of record; they differ below that line, where a batch lands (files and a
manifest, or MergeTree inserts and a committed batch number), so the seam is the syncer and the query.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from omnicx.analytics import store
from omnicx.analytics.clickhouse import ClickHouseCopy, copy_at
from omnicx.analytics.clickhouse_sync import ClickHouseSyncer
from omnicx.analytics.engine import engine, tables_read
from omnicx.analytics.models import SyncState
from omnicx.analytics.schemas import SyncResult
from omnicx.analytics.sync import Progress, Syncer
from omnicx.analytics.sync import built as sync_built
from omnicx.kernel.settings import Settings

DUCKDB = "duckdb"
CLICKHOUSE = "clickhouse"


class CopySyncer(Protocol):
    """What the service asks of either engine's sync."""

    def run(self, *, max_batches: int | None = None) -> SyncResult: ...

    def rebuild(self, *, progress: Progress | None = None, only_if_never_built: bool = False) -> int: ...


def engine_name(settings: Settings) -> str:
    return CLICKHOUSE if settings.analytics_url else DUCKDB


def built(settings: Settings, state: SyncState) -> bool:
    """Whether the chosen engine's copy was built and kept in step since: the last build was in that engine (a
    ClickHouse build sets the generation, a Parquet one clears it), so a switch either way builds again."""
    return state.generation is not None if settings.analytics_url else sync_built(state)


def clickhouse(settings: Settings) -> ClickHouseCopy | None:
    """The process's ClickHouse copy, when the settings name one."""
    return copy_at(settings.analytics_url, settings.data_dir) if settings.analytics_url else None


def syncer(settings: Settings, sessions: sessionmaker[Session]) -> CopySyncer:
    copy = clickhouse(settings)
    if copy is not None:
        return ClickHouseSyncer(sessions, copy)
    return Syncer(sessions, store.root_of(settings.data_dir), engine())


def run_query(
    session: Session,
    settings: Settings,
    *,
    workspace_id: uuid.UUID,
    sql: str,
    params: Mapping[str, Any] | None,
    views: Mapping[str, str] | None,
) -> list[tuple[Any, ...]]:
    """Run a report's query on the engine the settings choose. What it may read is decided by the store of
    record, in `session`: DuckDB's live files, or ClickHouse's generation and last committed batch."""
    copy = clickhouse(settings)
    if copy is None:
        root = store.root_of(settings.data_dir)
        live = store.live(
            session, workspace_id=workspace_id, tables=tables_read(sql, *(views or {}).values())
        )
        return engine().run(root, live, sql, params, views)
    state = session.get(SyncState, 1)
    return copy.run(
        generation=(state.generation or 0) if state else 0,
        committed=state.seq if state else 0,
        workspace_id=workspace_id,
        sql=sql,
        params=params,
        views=views,
    )
