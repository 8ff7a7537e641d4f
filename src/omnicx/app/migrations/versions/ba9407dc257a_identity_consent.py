"""identity consent

Whether the holder of an identifier agrees to be messaged on a channel (an SMS number that answered STOP).

Revision ID: ba9407dc257a
Revises: 3e92a01b779a
Create Date: 2026-12-06 18:24:02.250429
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicx.kernel.db

revision: str = "ba9407dc257a"
down_revision: str | None = "3e92a01b779a"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "identity_consent",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "anonymous_id",
                "user_id",
                "email",
                "phone",
                "whatsapp",
                "messenger",
                "instagram",
                "telegram",
                "external",
                name="identity_kind",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("opted_out", sa.Boolean(), nullable=False),
        sa.Column("keyword", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("changed_by", sa.String(length=320), nullable=False),
        sa.Column("changed_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_identity_consent_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_consent")),
        sa.UniqueConstraint(
            "workspace_id",
            "kind",
            "value",
            "channel",
            name=op.f("uq_identity_consent_workspace_id_kind_value_channel"),
        ),
    )


def downgrade() -> None:
    op.drop_table("identity_consent")
