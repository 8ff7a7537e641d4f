"""The feeders the wiring registers: which domain fills which table of the copy."""

from __future__ import annotations

from omnicx.analytics.catalog import TABLES, TableKind
from omnicx.analytics.schemas import RowFeeder, SnapshotFeeder

_ROWS: dict[str, RowFeeder] = {}
_SNAPSHOTS: dict[str, SnapshotFeeder] = {}


def register_feeder(feeder: RowFeeder | SnapshotFeeder) -> None:
    table = TABLES.get(feeder.table)
    if table is None:
        raise ValueError(f"the copy has no table {feeder.table!r}")
    if isinstance(feeder, RowFeeder) != (table.kind is TableKind.ROWS):
        raise ValueError(f"table {feeder.table!r} needs a {table.kind} feeder")
    if isinstance(feeder, RowFeeder):
        _ROWS[feeder.table] = feeder
    else:
        _SNAPSHOTS[feeder.table] = feeder


def row_feeder(table: str) -> RowFeeder:
    if table not in _ROWS:
        raise LookupError(f"no feeder is registered for table {table!r}: is the process wired?")
    return _ROWS[table]


def snapshot_feeder(table: str) -> SnapshotFeeder:
    if table not in _SNAPSHOTS:
        raise LookupError(f"no feeder is registered for table {table!r}: is the process wired?")
    return _SNAPSHOTS[table]
