"""commerce stock keeps its reserved units as a counter

Revision ID: 5c1f0e7a9b42
Revises: d5112764f122
Create Date: 2026-12-02 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "5c1f0e7a9b42"
down_revision: str | None = "d5112764f122"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, never SQLite's copy-and-rename: dropping the old table there would cascade to the
    # reservations and trip the order lines' foreign keys.
    with op.batch_alter_table("commerce_stock", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("reserved", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("reserved_folded_at", sa.DateTime(timezone=True), nullable=True))
    # Every existing hold counts, expired or not: with `reserved_folded_at` null, readers subtract the expired
    # ones and the next lock of the row folds them back, exactly as for holds that expire from now on.
    op.execute(
        "UPDATE commerce_stock SET reserved = ("
        "SELECT COALESCE(SUM(r.quantity), 0) FROM commerce_reservation r WHERE r.stock_id = commerce_stock.id)"
    )


def downgrade() -> None:
    with op.batch_alter_table("commerce_stock", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("reserved_folded_at")
        batch_op.drop_column("reserved")
