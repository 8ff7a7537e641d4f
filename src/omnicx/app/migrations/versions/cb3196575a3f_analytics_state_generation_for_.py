"""analytics state generation: the rebuild whose tables a ClickHouse copy reads

Revision ID: cb3196575a3f
Revises: 41a698698881
Create Date: 2026-12-04 23:13:23.464414
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

revision: str = "cb3196575a3f"
down_revision: str | None = "41a698698881"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("analytics_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("generation", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analytics_state", schema=None) as batch_op:
        batch_op.drop_column("generation")
