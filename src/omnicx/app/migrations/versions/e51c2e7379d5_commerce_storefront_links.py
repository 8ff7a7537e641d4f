"""commerce storefront links

Where the workspace's shop lives on the web (its product page pattern and its cart page), for the product cards
and cart links agents send from conversations.

Revision ID: e51c2e7379d5
Revises: efdfa0205c58
Create Date: 2026-12-07 00:16:20.834442
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import omnicx.kernel.db

revision: str = "e51c2e7379d5"
down_revision: str | None = "efdfa0205c58"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "commerce_storefront",
        sa.Column("workspace_id", sa.Uuid(), nullable=False),
        sa.Column("product_url", sa.String(length=2000), nullable=False),
        sa.Column("cart_url", sa.String(length=2000), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["auth_workspace.id"],
            name=op.f("fk_commerce_storefront_workspace_id_auth_workspace"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commerce_storefront")),
        sa.UniqueConstraint("workspace_id", name=op.f("uq_commerce_storefront_workspace_id")),
    )


def downgrade() -> None:
    op.drop_table("commerce_storefront")
