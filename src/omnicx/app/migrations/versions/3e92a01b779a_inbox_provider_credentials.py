"""inbox provider credentials

An inbox of a provider channel (SMS...) keeps its account's sealed credentials; the channel column is widened
so that every provider's name fits without another migration.

Revision ID: 3e92a01b779a
Revises: 25bc526229fd
Create Date: 2026-12-06 17:50:35.180856
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "3e92a01b779a"
down_revision: str | None = "25bc526229fd"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credentials", sa.Text(), nullable=True))
        batch_op.alter_column(
            "channel", existing_type=sa.VARCHAR(length=5), type_=sa.String(length=32), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_inbox", schema=None) as batch_op:
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=5), existing_nullable=False
        )
        batch_op.drop_column("credentials")
