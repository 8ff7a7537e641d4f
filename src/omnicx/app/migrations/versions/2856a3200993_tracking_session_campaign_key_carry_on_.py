"""tracking session campaign key: carry on an open session without reading its first event

Revision ID: 2856a3200993
Revises: 5c1f0e7a9b42
Create Date: 2026-12-06 03:20:45.795413
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

revision: str = "2856a3200993"
down_revision: str | None = "5c1f0e7a9b42"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("tracking_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_key", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tracking_session", schema=None) as batch_op:
        batch_op.drop_column("campaign_key")
