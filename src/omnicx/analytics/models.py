"""The copy's manifest, in the store of record: which Parquet segments are live, and the sync's state.

A segment is published (and the changes it applies consumed) in one transaction of the store of record, so a
crash before that commit leaves an unlisted file the next sync ignores and later deletes, and a crash after
it leaves nothing to redo: no row is lost or copied twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin


class Segment(IdMixin, Base):
    """One immutable Parquet file of one table's rows (or tombstones) for one workspace."""

    __tablename__ = "analytics_segment"
    __table_args__ = (
        Index("ix_analytics_segment_workspace_table", "workspace_id", "table_name", "retired_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    table_name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # rows | tombstones
    seq: Mapped[int] = mapped_column(BigInteger)
    path: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int]
    min_id: Mapped[uuid.UUID | None]
    max_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class SyncState(Base):
    """The one row the sync serialises on: the batch sequence, a rebuild in progress, the last run."""

    __tablename__ = "analytics_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    rebuilding_until: Mapped[datetime | None]
    #: The batch number of the rebuild in progress: only that rebuild may renew its hold and swap its files in.
    rebuild_seq: Mapped[int | None] = mapped_column(BigInteger)
    last_sync_at: Mapped[datetime | None]
    last_sync_rows: Mapped[int] = mapped_column(default=0)
    rebuilt_at: Mapped[datetime | None]
    #: The rebuild whose tables a ClickHouse copy reads (its batch number); swapped with the rebuild.
    generation: Mapped[int | None] = mapped_column(BigInteger)
