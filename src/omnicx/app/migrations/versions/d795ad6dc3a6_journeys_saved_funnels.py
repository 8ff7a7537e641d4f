"""journeys saved funnels: a workspace's funnels under names

Revision ID: d795ad6dc3a6
Revises: 2856a3200993
Create Date: 2026-12-06 04:10:15.060899
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

import omnicx.kernel.db

revision: str = "d795ad6dc3a6"
down_revision: str | None = "2856a3200993"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "journeys_saved_funnel",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("window_hours", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_journeys_saved_funnel_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys_saved_funnel")),
        sa.UniqueConstraint("workspace_id", "name", name=op.f("uq_journeys_saved_funnel_workspace_id_name")),
    )
    with op.batch_alter_table("journeys_saved_funnel", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_journeys_saved_funnel_workspace_id"), ["workspace_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("journeys_saved_funnel", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journeys_saved_funnel_workspace_id"))

    op.drop_table("journeys_saved_funnel")
