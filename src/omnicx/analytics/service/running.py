"""Running the engine: queries for reports, the sync and the rebuild, the status operators watch."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.analytics import store
from omnicx.analytics.catalog import TABLES, TableKind
from omnicx.analytics.engine import engine, tables_read
from omnicx.analytics.feeders import row_feeder
from omnicx.analytics.models import Segment, SyncState
from omnicx.analytics.schemas import AnalyticsStatus, SyncResult, TableStatus
from omnicx.analytics.sync import Progress, Syncer, rebuilding
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
    `views` (named queries over them, shared by several reports) as if they were tables too."""
    root = store.root_of(_settings(session).data_dir)
    tables = tables_read(sql, *(views or {}).values())
    live = store.live(session, workspace_id=workspace_id, tables=tables)
    return engine().run(root, live, sql, params, views)


def _syncer(runtime: Runtime) -> Syncer:
    return Syncer(runtime.sessions, store.root_of(runtime.settings.data_dir), engine())


def sync(runtime: Runtime, *, max_batches: int | None = None) -> SyncResult:
    """Apply every pending change to the copy (the job handler and `omnicx analytics sync` call this)."""
    return _syncer(runtime).run(max_batches=max_batches)


def wake_if_never_built(session: Session) -> bool:
    """Queue the first sync (which builds the copy) when the copy was never built: after an upgrade, reports
    must not wait for the next event to arrive. Commits; returns whether a build was queued."""
    state = session.get(SyncState, 1)
    if state is not None and (state.rebuilt_at is not None or rebuilding(state)):
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


def _last_sync(session: Session, workspace_id: uuid.UUID | None, state: SyncState | None) -> datetime | None:
    if workspace_id is None:
        return state.last_sync_at if state else None
    newest: datetime | None = session.scalar(
        select(func.max(Segment.created_at)).where(Segment.workspace_id == workspace_id)
    )
    return newest


def status(session: Session, *, workspace_id: uuid.UUID | None = None) -> AnalyticsStatus:
    """How far the copy is behind and what it holds: for one workspace, or across all (`None`, an operator's
    view). Row counts are of files; tombstones hide some of them until the next merge."""
    pending, oldest = feed_lag(session, workspace_id=workspace_id)
    state = session.get(SyncState, 1)
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
    tables = [
        TableStatus(
            table=name,
            segments=kinds.get(store.ROWS, (0, 0))[0],
            rows=kinds.get(store.ROWS, (0, 0))[1],
            tombstone_segments=kinds.get(store.TOMBSTONES, (0, 0))[0],
            tombstones=kinds.get(store.TOMBSTONES, (0, 0))[1],
        )
        for name, kinds in by_table.items()
    ]
    return AnalyticsStatus(
        engine="duckdb",
        pending_changes=pending,
        lag_seconds=round((utcnow() - oldest).total_seconds(), 3) if oldest is not None else 0.0,
        last_sync_at=_last_sync(session, workspace_id, state),
        last_sync_rows=(state.last_sync_rows if state else 0) if workspace_id is None else None,
        rebuilt_at=state.rebuilt_at if state else None,
        rebuilding=rebuilding(state) if state else False,
        tables=tables,
    )
