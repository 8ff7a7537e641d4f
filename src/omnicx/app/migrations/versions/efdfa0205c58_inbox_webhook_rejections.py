"""inbox webhook rejections

Provider webhook calls an inbox refused, counted per inbox and day, for channel health.

Revision ID: efdfa0205c58
Revises: 9aa7c308eb37
Create Date: 2026-12-06 21:26:21.614834
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicx.kernel.db

revision: str = "efdfa0205c58"
down_revision: str | None = "9aa7c308eb37"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "inbox_webhook_rejection",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("inbox_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_reason", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["inbox_id"],
            ["inbox_inbox.id"],
            name=op.f("fk_inbox_webhook_rejection_inbox_id_inbox_inbox"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_inbox_webhook_rejection_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_webhook_rejection")),
        sa.UniqueConstraint("inbox_id", "day", name=op.f("uq_inbox_webhook_rejection_inbox_id_day")),
    )


def downgrade() -> None:
    op.drop_table("inbox_webhook_rejection")
