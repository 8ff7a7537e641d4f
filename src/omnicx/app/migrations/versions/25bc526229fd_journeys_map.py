"""journeys map: a workspace's journey stages and friction pages

Revision ID: 25bc526229fd
Revises: d795ad6dc3a6
Create Date: 2026-12-06 06:32:52.483233
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

import omnicx.kernel.db

revision: str = "25bc526229fd"
down_revision: str | None = "d795ad6dc3a6"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "journeys_map",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("stages", sa.JSON(), nullable=False),
        sa.Column("friction_pages", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_journeys_map_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_journeys_map")),
    )


def downgrade() -> None:
    op.drop_table("journeys_map")
