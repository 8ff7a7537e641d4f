"""inbox contacts claimed or verified, chat identity secrets

Unauthenticated mail gets a contact of its own (`claimed`), beside the contact of its address: the unique key
of a contact becomes (inbox, source id, claimed). Contacts that exist already keep their conversations and
links and are not claimed: they predate verification, and only mail arriving from now on is told apart.
`verified_at` stays empty for them (shown as "claimed, not verified" until a message proves who sent it).
Chat inboxes get their identity secret when a manager generates it (it is sealed under the server's secret
key, which a migration does not hold).

Revision ID: 0ae004472ff2
Revises: 0dc2c14f3093
Create Date: 2026-12-04 18:40:49.448078
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (JSONB columns render astext_type=Text())

import omnicx.kernel.db

revision: str = "0ae004472ff2"
down_revision: str | None = "0dc2c14f3093"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(
            sa.Column("verified_at", omnicx.kernel.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.drop_constraint(batch_op.f("uq_inbox_contact_inbox_id_source_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_inbox_contact_inbox_id_source_id_claimed"), ["inbox_id", "source_id", "claimed"]
        )

    with op.batch_alter_table("inbox_inbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity_secret", sa.String(length=255), nullable=True))


def downgrade() -> None:
    # Fails while an address has both a claimed and an unclaimed contact in one inbox: merge or delete first.
    with op.batch_alter_table("inbox_inbox", schema=None) as batch_op:
        batch_op.drop_column("identity_secret")

    with op.batch_alter_table("inbox_contact", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_inbox_contact_inbox_id_source_id_claimed"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_inbox_contact_inbox_id_source_id"), ["inbox_id", "source_id"]
        )
        batch_op.drop_column("verified_at")
        batch_op.drop_column("claimed")
