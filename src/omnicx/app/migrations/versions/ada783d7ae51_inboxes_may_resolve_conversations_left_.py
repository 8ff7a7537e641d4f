"""Inboxes may resolve conversations left silent after an agent's reply

Revision ID: ada783d7ae51
Revises: feefac39756d
Create Date: 2026-11-24 01:23:25.057815
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

revision: str = "ada783d7ae51"
down_revision: str | None = "feefac39756d"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_resolve_hours", sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("inbox_inbox", schema=None) as batch_op:
        batch_op.drop_column("auto_resolve_hours")
