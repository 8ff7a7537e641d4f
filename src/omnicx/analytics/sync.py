"""Keeping the copy in step with the store of record: the change feed applied in batches, compaction, rebuild.

One batch runs in one transaction of the store of record. It first bumps the sync state's sequence, which
serialises batches across processes (a row lock on PostgreSQL, the write lock on SQLite); then it reads the
oldest pending changes, loads the rows they name through the owning domains' feeders, writes new row segments
and tombstones for rows replaced or removed, publishes them in the manifest and deletes the changes it
applied. Until that commit nothing it wrote is listed; after it, nothing is left to redo. A change applied
again (a domain re-recording rows it already recorded) replaces the copied rows instead of duplicating them:
every id is checked against the segments whose id range could hold it.
"""

from __future__ import annotations

import os
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from omnicx.analytics import store
from omnicx.analytics.catalog import SEQ, TABLES, CopyTable, TableKind
from omnicx.analytics.engine import DuckEngine, files
from omnicx.analytics.enums import Stream
from omnicx.analytics.feeders import row_feeder, snapshot_feeder
from omnicx.analytics.models import Segment, SyncState
from omnicx.analytics.schemas import Row, SyncResult
from omnicx.analytics.store import LiveSegments, WrittenSegment
from omnicx.kernel.db import dialect_insert, rowcount, transaction, utcnow
from omnicx.kernel.jobs.feed import ChangeRow, consume, pending_changes

#: Changes applied per batch (one transaction).
BATCH_CHANGES = 200
#: The stream identity records erased customers on: their rows leave every table of the copy.
ERASURE = Stream.ERASURE.value
#: A rebuild holds off the regular sync this long, renewed while it runs (a crashed rebuild stops holding).
REBUILD_HOLD = timedelta(minutes=10)
#: Segments of one size class (by number of digits of their row count) merged once this many pile up.
MERGE_FANIN = 10
#: Rows per segment a rebuild writes.
REBUILD_SEGMENT_ROWS = 1_000_000
SCAN_PAGE = 20_000
#: Files nothing lists are looked for at most this often per process (it walks the whole folder).
SWEEP_UNLISTED_EVERY_SECONDS = 600.0
_LAST_SWEEP: dict[Path, float] = {}

Progress = Callable[[str, int], None]


def _advance(session: Session) -> SyncState:
    """Take the sync's turn for this transaction and the next batch number (creating the state row if a
    database lost it: a copy with no state is one never built)."""
    bump = update(SyncState).where(SyncState.id == 1).values(seq=SyncState.seq + 1)
    if not rowcount(session.execute(bump)):
        state = dialect_insert(session, SyncState).values(id=1, seq=0, last_sync_rows=0)
        session.execute(state.on_conflict_do_nothing())
        session.execute(bump)
    fresh = select(SyncState).where(SyncState.id == 1).execution_options(populate_existing=True)
    return session.scalars(fresh).one()


class RebuildSuperseded(Exception):
    """Another rebuild took the copy over (this one's hold lapsed): this one's files are thrown away."""


def renew_hold(sessions: sessionmaker[Session], seq: int) -> None:
    """Renew rebuild `seq`'s hold on the copy (either engine's), or `RebuildSuperseded` if it no longer holds it."""
    with transaction(sessions) as session:
        held = session.execute(
            update(SyncState)
            .where(SyncState.id == 1, SyncState.rebuild_seq == seq)
            .values(rebuilding_until=utcnow() + REBUILD_HOLD)
        )
        if not rowcount(held):
            raise RebuildSuperseded(seq)


def built(state: SyncState) -> bool:
    """Whether the Parquet copy was built and kept in step since (a ClickHouse build sets a generation)."""
    return state.rebuilt_at is not None and state.generation is None


def rebuilding(state: SyncState) -> bool:
    return state.rebuilding_until is not None and state.rebuilding_until > utcnow()


@dataclass
class _Batch:
    """What a batch of changes asks of each table and workspace."""

    ops: dict[tuple[uuid.UUID, str], dict[uuid.UUID, bool]] = field(default_factory=lambda: defaultdict(dict))
    snapshots: set[tuple[uuid.UUID, str]] = field(default_factory=set)
    erased: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=lambda: defaultdict(set))
    applied: list[uuid.UUID] = field(default_factory=list)


def _plan(changes: Sequence[ChangeRow]) -> _Batch:
    """Fold changes in order (the last word on an id wins). Erasures run in batches of their own, so every
    change before one is applied before the customer's rows are removed."""
    batch = _Batch()
    erasing = changes[0].stream == ERASURE
    for change in changes:
        if (change.stream == ERASURE) != erasing:
            break
        batch.applied.append(change.id)
        table = TABLES.get(change.stream)
        if erasing:
            batch.erased[change.workspace_id].update(change.upserted)
        elif table is None:
            continue  # a stream no table follows (yet): consumed, nothing to copy
        elif table.kind is TableKind.SNAPSHOT:
            batch.snapshots.add((change.workspace_id, table.name))
        else:
            ops = batch.ops[(change.workspace_id, table.name)]
            ops.update(dict.fromkeys(change.deleted, False))
            ops.update(dict.fromkeys(change.upserted, True))
    return batch


def _overlapping(segments: Iterable[Segment], ids: Sequence[uuid.UUID]) -> list[Segment]:
    low, high = min(ids), max(ids)
    return [
        s
        for s in segments
        if s.min_id is not None and s.max_id is not None and s.min_id <= high and low <= s.max_id
    ]


class Syncer:
    """The sync of one process: its root folder, DuckDB engine and session factory."""

    def __init__(self, sessions: sessionmaker[Session], root: Path, engine: DuckEngine) -> None:
        self.sessions = sessions
        self.root = root
        self.engine = engine

    # -- the change feed -------------------------------------------------------------------------------

    def run(self, *, max_batches: int | None = None) -> SyncResult:
        """Apply pending changes until none are left (or `max_batches`), compact, collect garbage."""
        result = SyncResult(changes=0, rows=0, tombstones=0, compactions=0)
        if self._never_built():
            result.rows += self.rebuild(only_if_never_built=True)
        touched: set[tuple[uuid.UUID, str]] = set()
        batches = 0
        while max_batches is None or batches < max_batches:
            applied = self._batch(result, touched)
            if not applied:
                break
            batches += 1
        for workspace_id, table_name in sorted(touched, key=str):
            result.compactions += self._compact(workspace_id, table_name)
        with transaction(self.sessions) as session:
            store.collect_garbage(session, self.root)
        if time.monotonic() - _LAST_SWEEP.get(self.root, float("-inf")) > SWEEP_UNLISTED_EVERY_SECONDS:
            _LAST_SWEEP[self.root] = time.monotonic()
            with self.sessions() as session:
                store.sweep_unlisted(session, self.root)
        return result

    def _never_built(self) -> bool:
        """No Parquet copy in step: none was ever built, or the last one built was in ClickHouse (after a
        switch back, the files are as old as the switch)."""
        with self.sessions() as session:
            state = session.get(SyncState, 1)
            return state is None or (not built(state) and not rebuilding(state))

    def _batch(self, result: SyncResult, touched: set[tuple[uuid.UUID, str]]) -> bool:
        with transaction(self.sessions) as session:
            state = _advance(session)
            if rebuilding(state):
                return False
            changes = pending_changes(session, limit=BATCH_CHANGES)
            if not changes:
                return False
            batch = _plan(changes)
            written: list[WrittenSegment] = []
            retired: list[uuid.UUID] = []
            for (workspace_id, table_name), ops in batch.ops.items():
                written += self._apply_rows(session, workspace_id, TABLES[table_name], ops, state.seq)
                touched.add((workspace_id, table_name))
            for workspace_id, table_name in batch.snapshots:
                segment, old = self._apply_snapshot(session, workspace_id, TABLES[table_name], state.seq)
                written += segment
                retired += old
            for workspace_id, customers in batch.erased.items():
                segments, old = self._erase(session, workspace_id, customers, state.seq)
                written += segments
                retired += old
            store.retire(session, retired)
            store.publish(session, written, seq=state.seq)
            consume(session, ids=batch.applied)
            state.last_sync_at = utcnow()
            state.last_sync_rows = sum(w.rows for w in written if w.kind == store.ROWS)
            result.changes += len(batch.applied)
            result.rows += state.last_sync_rows
            result.tombstones += sum(w.rows for w in written if w.kind == store.TOMBSTONES)
            return True

    def _apply_rows(
        self,
        session: Session,
        workspace_id: uuid.UUID,
        table: CopyTable,
        ops: dict[uuid.UUID, bool],
        seq: int,
    ) -> list[WrittenSegment]:
        """New rows for the upserted ids that still exist; tombstones for every named id the copy holds."""
        upserted = [i for i, kept in ops.items() if kept]
        rows = row_feeder(table.name).load(session, workspace_id, upserted) if upserted else []
        live = store.live(session, workspace_id=workspace_id, tables=[table.name])[table.name]
        ids = list(ops)
        present = self.engine.present(self.root, _overlapping(live.rows, ids), ids)
        written = []
        if rows:
            written.append(store.write_rows(self.root, table, workspace_id, rows, seq))
        if present:
            written.append(store.write_tombstones(self.root, table.name, workspace_id, present, seq))
        return written

    def _apply_snapshot(
        self, session: Session, workspace_id: uuid.UUID, table: CopyTable, seq: int
    ) -> tuple[list[WrittenSegment], list[uuid.UUID]]:
        rows = snapshot_feeder(table.name).snapshot(session, workspace_id)
        live = store.live(session, workspace_id=workspace_id, tables=[table.name])[table.name]
        written = [store.write_rows(self.root, table, workspace_id, rows, seq)] if rows else []
        return written, [s.id for s in live.rows]

    def _erase(
        self, session: Session, workspace_id: uuid.UUID, customers: set[uuid.UUID], seq: int
    ) -> tuple[list[WrittenSegment], list[uuid.UUID]]:
        """Rewrite every row table of the workspace without the erased customers' rows (tombstones would only
        hide them: an erasure must remove them from disk)."""
        names = [t.name for t in TABLES.values()]
        live = store.live(session, workspace_id=workspace_id, tables=names)
        written: list[WrittenSegment] = []
        retired: list[uuid.UUID] = []
        for table in TABLES.values():
            segments = live[table.name]
            # Tables without a customer column (messages, order lines) lose an erased customer's rows through
            # the deletes their domain records as it erases them.
            if table.kind is not TableKind.ROWS or table.customer_column is None or not segments.rows:
                continue
            merged = self._merge(table, segments, erased=customers)
            written += merged
            retired += [s.id for s in segments.rows + segments.tombstones]
        return written, retired

    # -- compaction ------------------------------------------------------------------------------------

    def _compact(self, workspace_id: uuid.UUID, table_name: str) -> int:
        """Merge segments of one size class once `MERGE_FANIN` pile up; fold every tombstone in (and drop
        them) once they are many. Returns the number of merges.

        The merged file is written outside any transaction (on SQLite a transaction holds the one write lock,
        and a large merge takes seconds); it is published only if every segment it replaces is still live.
        Segments published meanwhile stay live beside it: their rows and tombstones are newer than it.
        """
        table = TABLES[table_name]
        with self.sessions() as session:
            live = store.live(session, workspace_id=workspace_id, tables=[table_name])[table_name]
        rows = sum(s.rows for s in live.rows)
        hidden = sum(s.rows for s in live.tombstones)
        full = bool(live.tombstones) and (hidden * 20 > rows or len(live.tombstones) >= MERGE_FANIN)
        chosen = live if full else _size_class(live)
        if chosen is None or not chosen.rows:
            return 0
        written = self._merge(table, chosen)
        replaced = [s.id for s in chosen.rows + (chosen.tombstones if full else [])]
        with transaction(self.sessions) as session:
            state = _advance(session)
            if rebuilding(state) or store.count_live(session, replaced) != len(replaced):
                for segment in written:
                    (self.root / segment.path).unlink(missing_ok=True)
                return 0
            store.retire(session, replaced)
            store.publish(session, written, seq=state.seq)
        return 1

    def _merge(
        self,
        table: CopyTable,
        segments: LiveSegments,
        *,
        erased: set[uuid.UUID] | None = None,
    ) -> list[WrittenSegment]:
        """One segment holding `segments.rows` minus what their tombstones hide (minus erased customers).
        Rows keep their batch number, so tombstones left out of a partial merge still apply to them."""
        params: dict[str, object] = {"rows": files(self.root, segments.rows)}
        query = "SELECT r.* FROM read_parquet($rows) r"
        if segments.tombstones:
            params["tombstones"] = files(self.root, segments.tombstones)
            query += (
                f" ANTI JOIN (SELECT id, max({SEQ}) AS hidden_before FROM read_parquet($tombstones) GROUP BY id) t"
                f" ON r.id = t.id AND t.hidden_before > r.{SEQ}"
            )
        if erased:
            # The erased lineage lists every customer merged into the erased one. Rows of no customer stay.
            column = table.customer_column
            query += f" WHERE r.{column} IS NULL OR r.{column} NOT IN (SELECT unnest($erased))"
            params["erased"] = sorted(erased)
        if table.sort_column:
            query += f" ORDER BY r.{table.sort_column}"
        first = segments.rows[0]
        relative = store.merged_path(first.table_name, first.workspace_id)
        target = self.root / relative
        temporary = target.with_suffix(".tmp")
        cursor = self.engine.cursor()
        try:
            # COPY's target cannot be a parameter; the path is one this module made (`store.merged_path`).
            target_sql = str(temporary).replace("'", "''")
            cursor.execute(
                f"COPY ({query}) TO '{target_sql}' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 256000)",
                params,
            )
            count = cursor.execute(
                "SELECT count(*) FROM read_parquet($file)", {"file": str(temporary)}
            ).fetchone()
        finally:
            cursor.close()
        with open(temporary, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temporary, target)
        return [store.merged_segment(segments.rows, relative, int(count[0]) if count else 0)]

    # -- rebuild ---------------------------------------------------------------------------------------

    def rebuild(self, *, progress: Progress | None = None, only_if_never_built: bool = False) -> int:
        """Rebuild the whole copy from the store of record; returns the rows copied (0 when another rebuild
        holds the copy, or, with `only_if_never_built`, when it was built already).

        The regular sync holds off while it runs. Changes recorded meanwhile stay pending and are applied
        after the swap; applying one the rebuild already saw replaces the row, so nothing is doubled. The
        rebuild is numbered by its batch; only the rebuild holding that number renews its hold and swaps its
        files in, so two rebuilds started close together (two workers, a request and the CLI) never both do.
        """
        with transaction(self.sessions) as session:
            state = _advance(session)
            if rebuilding(state) or (only_if_never_built and built(state)):
                return 0
            seq = state.seq
            state.rebuilding_until = utcnow() + REBUILD_HOLD
            state.rebuild_seq = seq
        written: list[WrittenSegment] = []
        try:
            for table in TABLES.values():
                if table.kind is TableKind.ROWS:
                    written += self._rebuild_rows(table, seq, progress)
                else:
                    written += self._rebuild_snapshot(table, seq)
            return self._swap(seq, written)
        except RebuildSuperseded:
            for segment in written:  # never published: nothing lists them
                (self.root / segment.path).unlink(missing_ok=True)
            return 0

    def _swap(self, seq: int, written: list[WrittenSegment]) -> int:
        with transaction(self.sessions) as session:
            state = _advance(session)
            if state.rebuild_seq != seq:
                raise RebuildSuperseded(seq)
            store.retire_before(session, seq)
            store.publish(session, written, seq=seq)
            state.rebuilding_until = None
            state.rebuild_seq = None
            state.rebuilt_at = utcnow()
            state.generation = None  # the copy now lives in Parquet files (see `built`)
        return sum(w.rows for w in written)

    def _hold(self, seq: int) -> None:
        renew_hold(self.sessions, seq)

    def _rebuild_rows(self, table: CopyTable, seq: int, progress: Progress | None) -> list[WrittenSegment]:
        feeder = row_feeder(table.name)
        buffers: dict[uuid.UUID, list[Row]] = defaultdict(list)
        written: list[WrittenSegment] = []
        after: uuid.UUID | None = None
        while True:
            with self.sessions() as session:
                page = feeder.scan(session, after, SCAN_PAGE)
            if not page:
                break
            after = page[-1][1][0]
            for workspace_id, row in page:
                buffers[workspace_id].append(row)
                if len(buffers[workspace_id]) >= REBUILD_SEGMENT_ROWS:
                    written.append(
                        store.write_rows(self.root, table, workspace_id, buffers.pop(workspace_id), seq)
                    )
            self._hold(seq)
            if progress is not None:
                progress(table.name, len(page))
        for workspace_id, rows in buffers.items():
            written.append(store.write_rows(self.root, table, workspace_id, rows, seq))
        return written

    def _rebuild_snapshot(self, table: CopyTable, seq: int) -> list[WrittenSegment]:
        feeder = snapshot_feeder(table.name)
        written = []
        with self.sessions() as session:
            for workspace_id in feeder.owners(session):
                rows = feeder.snapshot(session, workspace_id)
                if rows:
                    written.append(store.write_rows(self.root, table, workspace_id, rows, seq))
        return written


def _size_class(live: LiveSegments) -> LiveSegments | None:
    """The smallest size class (by digits in the row count) holding `MERGE_FANIN` segments or more."""
    classes: dict[int, list[Segment]] = defaultdict(list)
    for segment in live.rows:
        classes[len(str(segment.rows))].append(segment)
    for _digits, segments in sorted(classes.items()):
        if len(segments) >= MERGE_FANIN:
            return LiveSegments(rows=segments, tombstones=live.tombstones)
    return None
