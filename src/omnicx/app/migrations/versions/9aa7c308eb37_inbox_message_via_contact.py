"""inbox message via contact

A conversation continued on another channel: a message sent through (or received on) another inbox names the
contact there, so the customer's answers on that channel thread back into the conversation.

Revision ID: 9aa7c308eb37
Revises: ba9407dc257a
Create Date: 2026-12-06 21:07:31.016376
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "9aa7c308eb37"
down_revision: str | None = "ba9407dc257a"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("via_contact_id", sa.Uuid(), nullable=True))
        batch_op.create_index("ix_inbox_message_via_contact", ["via_contact_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_inbox_message_via_contact_id_inbox_contact"),
            "inbox_contact",
            ["via_contact_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("inbox_message", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_inbox_message_via_contact_id_inbox_contact"), type_="foreignkey"
        )
        batch_op.drop_index("ix_inbox_message_via_contact")
        batch_op.drop_column("via_contact_id")
