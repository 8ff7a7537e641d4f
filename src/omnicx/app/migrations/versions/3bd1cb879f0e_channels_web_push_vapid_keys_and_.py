"""channels: web push VAPID keys and browser subscriptions

Each workspace's VAPID key pair (the private key sealed), and the browsers subscribed from its sites to its
notifications: endpoint and keys sealed, found again by the endpoint's hash, linked to the device's customer.

Revision ID: 3bd1cb879f0e
Revises: e51c2e7379d5
Create Date: 2026-12-07 00:20:03.354167
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicx.kernel.db

revision: str = "3bd1cb879f0e"
down_revision: str | None = "e51c2e7379d5"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "channels_push_subscription",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("anonymous_id", sa.String(length=200), nullable=False),
        sa.Column("claimed_user_id", sa.String(length=200), nullable=True),
        sa.Column("endpoint_hash", sa.String(length=64), nullable=False),
        sa.Column("endpoint_host", sa.String(length=255), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("open_url", sa.String(length=2048), nullable=False),
        sa.Column("updated_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_channels_push_subscription_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_push_subscription")),
        sa.UniqueConstraint(
            "workspace_id",
            "endpoint_hash",
            name=op.f("uq_channels_push_subscription_workspace_id_endpoint_hash"),
        ),
    )
    with op.batch_alter_table("channels_push_subscription", schema=None) as batch_op:
        batch_op.create_index(
            "ix_channels_push_subscription_customer", ["workspace_id", "customer_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_channels_push_subscription_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "channels_vapid_key",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=320), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_channels_vapid_key_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels_vapid_key")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_channels_vapid_key_workspace_id")),
    )


def downgrade() -> None:
    op.drop_table("channels_vapid_key")
    with op.batch_alter_table("channels_push_subscription", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_push_subscription_workspace_id"))
        batch_op.drop_index("ix_channels_push_subscription_customer")

    op.drop_table("channels_push_subscription")
