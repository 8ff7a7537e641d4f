"""What other packages hand the analytics engine (feeders) and what it answers (status)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

Row = tuple[Any, ...]


@dataclass(frozen=True)
class RowFeeder:
    """How a row table of the copy reads the store of record (provided by the domain owning the rows).

    `load`: the rows with these ids that still exist, in the table's column order.
    `scan`: every workspace's rows after id `after` (None: from the start), by id, at most `limit`, each with
    its workspace id: a rebuild reads a table with it, page by page.
    `count`: how many rows a rebuild will read (for its progress bar).
    """

    table: str
    load: Callable[[Session, uuid.UUID, Sequence[uuid.UUID]], list[Row]]
    scan: Callable[[Session, uuid.UUID | None, int], list[tuple[uuid.UUID, Row]]]
    count: Callable[[Session], int]


@dataclass(frozen=True)
class SnapshotFeeder:
    """How a snapshot table of the copy reads the store of record: one workspace's whole table, and which
    workspaces have one (for a rebuild)."""

    table: str
    snapshot: Callable[[Session, uuid.UUID], list[Row]]
    owners: Callable[[Session], list[uuid.UUID]]


class TableStatus(BaseModel):
    table: str
    segments: int
    tombstone_segments: int
    rows: int
    tombstones: int


class AnalyticsStatus(BaseModel):
    engine: str
    pending_changes: int
    lag_seconds: float
    #: When this workspace's copy last received rows (the whole copy's last sync in the operator's view).
    last_sync_at: datetime | None
    #: Rows the whole copy's last sync wrote: the operator's view only (a workspace sees no other's activity).
    last_sync_rows: int | None
    rebuilt_at: datetime | None
    rebuilding: bool
    tables: list[TableStatus]


class SyncResult(BaseModel):
    changes: int
    rows: int
    tombstones: int
    compactions: int
