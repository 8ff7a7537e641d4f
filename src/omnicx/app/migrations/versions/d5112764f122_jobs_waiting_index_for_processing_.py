"""jobs waiting index: the partial index the processing backlog is counted from (queued and running jobs only)

Revision ID: d5112764f122
Revises: cb3196575a3f
Create Date: 2026-12-05 22:05:37.024762
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

revision: str = "d5112764f122"
down_revision: str | None = "cb3196575a3f"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs_job", schema=None) as batch_op:
        batch_op.create_index(
            "ix_jobs_job_waiting",
            ["kind", "workspace_id", "created_at"],
            unique=False,
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("jobs_job", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_jobs_job_waiting",
            sqlite_where=sa.text("status IN ('queued', 'running')"),
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        )
