"""Keeping a ClickHouse copy in step: the same change feed, turn, plan and rebuild hold as the Parquet copy's.

A batch takes its turn and number in the store of record (`sync._advance`), writes to ClickHouse while holding
it, and consumes its changes in the same transaction. ClickHouse has no transaction to join, so what makes a
batch count once is the number: readers see only batches the store of record committed, and a batch first
deletes whatever an earlier attempt at its number left (`ClickHouseCopy.begin`). A rebuild fills the tables of
a new generation, named after its number, that nobody reads until its swap sets the generation in the same
transaction that ends its hold; the old generation's tables are dropped a grace period later. MergeTree merges
parts itself: there is no compaction to run.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from omnicx.analytics.catalog import TABLES, CopyTable, TableKind
from omnicx.analytics.clickhouse import ClickHouseCopy
from omnicx.analytics.feeders import row_feeder, snapshot_feeder
from omnicx.analytics.models import SyncState
from omnicx.analytics.schemas import SyncResult
from omnicx.analytics.sync import (
    BATCH_CHANGES,
    REBUILD_HOLD,
    SCAN_PAGE,
    Progress,
    RebuildSuperseded,
    _advance,
    _plan,
    rebuilding,
    renew_hold,
)
from omnicx.kernel.db import transaction, utcnow
from omnicx.kernel.jobs import feed

#: An old generation's tables are dropped this long after the swap (queries that began before it may read them).
RETIRED_GRACE = timedelta(minutes=2)


class ClickHouseSyncer:
    """The sync of one process into a ClickHouse copy (same entry points as `sync.Syncer`)."""

    def __init__(self, sessions: sessionmaker[Session], copy: ClickHouseCopy) -> None:
        self.sessions = sessions
        self.copy = copy

    def run(self, *, max_batches: int | None = None) -> SyncResult:
        """Apply pending changes until none are left (or `max_batches`), then tidy what committed batches left."""
        result = SyncResult(changes=0, rows=0, tombstones=0, compactions=0)
        if self._never_built():
            result.rows += self.rebuild(only_if_never_built=True)
        snapshots: set[tuple[int, uuid.UUID, str]] = set()
        batches = 0
        while max_batches is None or batches < max_batches:
            if not self._batch(result, snapshots):
                break
            batches += 1
        for generation, workspace_id, name in sorted(snapshots, key=str):
            self.copy.drop_old_snapshots(generation, TABLES[name], workspace_id)
        self.drop_retired()
        return result

    def _never_built(self) -> bool:
        """No generation yet: a new installation, or one switching from DuckDB (its copy is of no use here)."""
        with self.sessions() as session:
            state = session.get(SyncState, 1)
            return state is None or (state.generation is None and not rebuilding(state))

    def _batch(self, result: SyncResult, snapshots: set[tuple[int, uuid.UUID, str]]) -> bool:
        with transaction(self.sessions) as session:
            state = _advance(session)
            if rebuilding(state):
                return False
            changes = feed.pending_changes(session, limit=BATCH_CHANGES)
            if not changes:
                return False
            generation, seq = state.generation or 0, state.seq
            self.copy.begin(generation, seq)
            batch = _plan(changes)
            rows = tombstones = 0
            for (workspace_id, name), ops in batch.ops.items():
                copied, hidden = self._apply_rows(session, generation, workspace_id, TABLES[name], ops, seq)
                rows, tombstones = rows + copied, tombstones + hidden
            for workspace_id, name in batch.snapshots:
                loaded = snapshot_feeder(name).snapshot(session, workspace_id)
                self.copy.replace_snapshot(generation, TABLES[name], workspace_id, loaded, seq)
                snapshots.add((generation, workspace_id, name))
                rows += len(loaded)
            for workspace_id, customers in batch.erased.items():
                self.copy.erase(workspace_id, customers)
            feed.consume(session, ids=batch.applied)
            state.last_sync_at = utcnow()
            state.last_sync_rows = rows
            result.changes += len(batch.applied)
            result.rows += rows
            result.tombstones += tombstones
            return True

    def _apply_rows(
        self,
        session: Session,
        generation: int,
        workspace_id: uuid.UUID,
        table: CopyTable,
        ops: dict[uuid.UUID, bool],
        seq: int,
    ) -> tuple[int, int]:
        """New rows for the upserted ids that still exist; tombstones for every named id earlier batches copied."""
        upserted = [i for i, kept in ops.items() if kept]
        rows = row_feeder(table.name).load(session, workspace_id, upserted) if upserted else []
        present = self.copy.present(generation, table, workspace_id, list(ops), seq)
        self.copy.append(generation, table, [(workspace_id, row) for row in rows], seq)
        self.copy.hide(generation, table, workspace_id, sorted(present), seq)
        return len(rows), len(present)

    def drop_retired(self, *, now: datetime | None = None) -> int:
        """Drop generations older than the live one once the grace period has passed, and those of rebuilds that
        never swapped (their number is neither the live one nor the one in progress). Returns how many.
        Tables are listed before the state is read: a rebuild records its number before creating its tables."""
        generations = list(self.copy.generations())
        with self.sessions() as session:
            state = session.get(SyncState, 1)
            if state is None:
                return 0
            live, running = state.generation or 0, state.rebuild_seq
            settled = state.rebuilt_at is not None and state.rebuilt_at < (now or utcnow()) - RETIRED_GRACE
        dropped = 0
        for generation in generations:
            stale = generation < live and settled
            abandoned = generation > live and generation != running
            if stale or abandoned:
                self.copy.drop_generation(generation)
                dropped += 1
        return dropped

    # -- rebuild ---------------------------------------------------------------------------------------

    def rebuild(self, *, progress: Progress | None = None, only_if_never_built: bool = False) -> int:
        """Fill a new generation from the store of record and swap it in (see `sync.Syncer.rebuild`: the same
        hold, numbering and supersession)."""
        with transaction(self.sessions) as session:
            state = _advance(session)
            if rebuilding(state) or (only_if_never_built and state.generation is not None):
                return 0
            seq = state.seq
            self.copy.begin(state.generation or 0, seq)  # a dead batch's rows at this number must not show
            state.rebuilding_until = utcnow() + REBUILD_HOLD
            state.rebuild_seq = seq
        self.copy.ensure(seq)
        try:
            rows = 0
            for table in TABLES.values():
                if table.kind is TableKind.ROWS:
                    rows += self._rebuild_rows(table, seq, progress)
                else:
                    rows += self._rebuild_snapshot(table, seq)
            self._swap(seq)
            return rows
        except RebuildSuperseded:
            self.copy.drop_generation(seq)
            return 0

    def _swap(self, seq: int) -> None:
        with transaction(self.sessions) as session:
            state = _advance(session)
            if state.rebuild_seq != seq:
                raise RebuildSuperseded(seq)
            state.generation = seq
            state.rebuilding_until = None
            state.rebuild_seq = None
            state.rebuilt_at = utcnow()

    def _hold(self, seq: int) -> None:
        renew_hold(self.sessions, seq)

    def _rebuild_rows(self, table: CopyTable, seq: int, progress: Progress | None) -> int:
        feeder = row_feeder(table.name)
        after: uuid.UUID | None = None
        copied = 0
        while True:
            with self.sessions() as session:
                page = feeder.scan(session, after, SCAN_PAGE)
            if not page:
                return copied
            after = page[-1][1][0]
            self._hold(seq)
            self.copy.append(seq, table, page, seq)
            copied += len(page)
            if progress is not None:
                progress(table.name, len(page))

    def _rebuild_snapshot(self, table: CopyTable, seq: int) -> int:
        feeder = snapshot_feeder(table.name)
        copied = 0
        with self.sessions() as session:
            for workspace_id in feeder.owners(session):
                rows = feeder.snapshot(session, workspace_id)
                self.copy.replace_snapshot(seq, table, workspace_id, rows, seq)
                copied += len(rows)
        return copied
