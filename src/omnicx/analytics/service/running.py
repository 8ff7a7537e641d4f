"""Running the engine: queries for reports, the sync and the rebuild, the status operators watch."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.analytics import backends, store
from omnicx.analytics.catalog import TABLES, TableKind
from omnicx.analytics.feeders import row_feeder
from omnicx.analytics.models import Segment, SyncState
from omnicx.analytics.schemas import AnalyticsStatus, SyncResult, TableStatus
from omnicx.analytics.sync import Progress, rebuilding
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.jobs.feed import SYNC_JOB, WAITING_KEY, feed_lag
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings

#: The job kind of a rebuild requested from the API or the page, and the key of the one waiting to run.
REBUILD_JOB = "analytics.rebuild"
WAITING = "waiting"


def _settings(session: Session) -> Settings:
    settings = session.info.get("settings")
    if not isinstance(settings, Settings):
        raise RuntimeError("this session does not come from a runtime's session factory")
    return settings


def query(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    sql: str,
    params: Mapping[str, Any] | None = None,
    views: Mapping[str, str] | None = None,
) -> list[tuple[Any, ...]]:
    """Run `sql` (DuckDB dialect) over one workspace's copy; it names the copy's tables as plain tables, and
    `views` (named queries over them, shared by several reports) as if they were tables too. The engine the
    settings choose runs it (ClickHouse receives it transpiled)."""
    return backends.run_query(
        session, _settings(session), workspace_id=workspace_id, sql=sql, params=params, views=views
    )


def _syncer(runtime: Runtime) -> backends.CopySyncer:
    return backends.syncer(runtime.settings, runtime.sessions)


#: How long `sync(wait=True)` waits for a rebuild another process runs.
REBUILD_WAIT_SECONDS = 600.0


def sync(runtime: Runtime, *, max_batches: int | None = None, wait: bool = True) -> SyncResult:
    """Apply every pending change to the copy (the job handler and `omnicx analytics sync` call this).

    While a rebuild holds the copy the regular sync stands aside; with `wait` (the CLI, a caller that reads the
    copy next) it waits for the rebuild to finish and then applies what changed meanwhile. The job handler
    does not wait: the rebuild applies pending changes itself as it ends."""
    syncer = _syncer(runtime)
    result = syncer.run(max_batches=max_batches)
    if not wait or not _held_by_rebuild(runtime):
        return result
    deadline = time.monotonic() + REBUILD_WAIT_SECONDS
    while _held_by_rebuild(runtime) and time.monotonic() < deadline:
        time.sleep(0.05)
    more = syncer.run(max_batches=max_batches)
    return SyncResult(
        changes=result.changes + more.changes,
        rows=result.rows + more.rows,
        tombstones=result.tombstones + more.tombstones,
        compactions=result.compactions + more.compactions,
    )


def _held_by_rebuild(runtime: Runtime) -> bool:
    with runtime.sessions() as session:
        state = session.get(SyncState, 1)
        return state is not None and rebuilding(state)


def wake_if_never_built(session: Session) -> bool:
    """Queue the first sync (which builds the copy) when the copy was never built: after an upgrade, reports
    must not wait for the next event to arrive, nor after a switch to ClickHouse. Commits; returns whether a
    build was queued."""
    state = session.get(SyncState, 1)
    if state is not None and (backends.built(_settings(session), state) or rebuilding(state)):
        return False
    jobs_service.wake(session, kind=SYNC_JOB, key=WAITING_KEY)
    session.commit()
    return True


def request_rebuild(session: Session) -> uuid.UUID:
    """Queue a rebuild as a durable job, or join the one already waiting; returns its job id. Commits."""
    jobs_service.wake(session, kind=REBUILD_JOB, key=WAITING)
    job_id = session.scalar(select(Job.id).where(Job.kind == REBUILD_JOB, Job.idempotency_key == WAITING))
    session.commit()
    if job_id is None:  # the row was just written or found: only a broken database gets here
        raise RuntimeError("the rebuild job vanished")
    return job_id


def rebuild(runtime: Runtime, *, progress: Progress | None = None) -> int:
    """Rebuild the copy from the store of record, then apply what changed meanwhile; returns rows copied."""
    rows = _syncer(runtime).rebuild(progress=progress)
    sync(runtime)
    return rows


def source_counts(session: Session) -> dict[str, int]:
    """Rows each row table of the copy would read from the store of record (a rebuild's totals)."""
    return {
        name: row_feeder(name).count(session)
        for name, table in TABLES.items()
        if table.kind is TableKind.ROWS
    }


def _last_sync(
    session: Session, settings: Settings, workspace_id: uuid.UUID | None, state: SyncState | None
) -> datetime | None:
    """When the copy last changed: the whole copy's last batch, or (one workspace) its newest file. A ClickHouse
    copy keeps no time per workspace: a workspace's view shows none rather than another tenant's activity."""
    if workspace_id is None:
        return state.last_sync_at if state else None
    if backends.clickhouse(settings) is not None:
        return None
    newest: datetime | None = session.scalar(
        select(func.max(Segment.created_at)).where(Segment.workspace_id == workspace_id)
    )
    return newest


def status(session: Session, *, workspace_id: uuid.UUID | None = None) -> AnalyticsStatus:
    """How far the copy is behind and what it holds: for one workspace, or across all (`None`, an operator's
    view). Row counts are of files; tombstones hide some of them until the next merge."""
    pending, oldest = feed_lag(session, workspace_id=workspace_id)
    state = session.get(SyncState, 1)
    settings = _settings(session)
    return AnalyticsStatus(
        engine=backends.engine_name(settings),
        pending_changes=pending,
        lag_seconds=round((utcnow() - oldest).total_seconds(), 3) if oldest is not None else 0.0,
        last_sync_at=_last_sync(session, settings, workspace_id, state),
        last_sync_rows=(state.last_sync_rows if state else 0) if workspace_id is None else None,
        rebuilt_at=state.rebuilt_at if state else None,
        rebuilding=rebuilding(state) if state else False,
        tables=_tables(session, settings, workspace_id, state),
    )


def _tables(
    session: Session, settings: Settings, workspace_id: uuid.UUID | None, state: SyncState | None
) -> list[TableStatus]:
    """Per table: rows and tombstones held (files of them for DuckDB; ClickHouse merges its parts itself)."""
    copy = backends.clickhouse(settings)
    if copy is not None:
        held = copy.counts((state.generation or 0) if state else 0, workspace_id)
        return [
            TableStatus(table=name, segments=0, rows=rows, tombstone_segments=0, tombstones=hidden)
            for name, (rows, hidden) in held.items()
        ]
    stmt = (
        select(Segment.table_name, Segment.kind, func.count(), func.coalesce(func.sum(Segment.rows), 0))
        .where(Segment.retired_at.is_(None))
        .group_by(Segment.table_name, Segment.kind)
    )
    if workspace_id is not None:
        stmt = stmt.where(Segment.workspace_id == workspace_id)
    counts = session.execute(stmt).all()
    by_table: dict[str, dict[str, tuple[int, int]]] = {name: {} for name in TABLES}
    for table_name, kind, files, rows in counts:
        by_table.setdefault(table_name, {})[kind] = (int(files), int(rows))
    return [
        TableStatus(
            table=name,
            segments=kinds.get(store.ROWS, (0, 0))[0],
            rows=kinds.get(store.ROWS, (0, 0))[1],
            tombstone_segments=kinds.get(store.TOMBSTONES, (0, 0))[0],
            tombstones=kinds.get(store.TOMBSTONES, (0, 0))[1],
        )
        for name, kinds in by_table.items()
    ]
