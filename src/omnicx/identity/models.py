"""Tables of the identity graph: customers, the identifiers that point at them, merges, suppressions.

Identifiers always point at a live customer: a merge moves them to the survivor. A merged customer keeps its row
with `merged_into_id` set to the survivor (re-pointed on every later merge, so it is one hop away), so ids kept
by events, conversations or orders still resolve.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.identity.schemas import IdentifierKind, MergeStatus
from omnicx.kernel.db import Base, IdMixin, TimestampMixin

KindType = Enum(
    IdentifierKind, name="identity_kind", values_callable=lambda e: [m.value for m in e], native_enum=False
)
MergeStatusType = Enum(
    MergeStatus,
    name="identity_merge_status",
    values_callable=lambda e: [m.value for m in e],
    native_enum=False,
)


class Customer(IdMixin, TimestampMixin, Base):
    __tablename__ = "identity_customer"
    __table_args__ = (
        # The customer list: live customers of a workspace, most recently seen first.
        Index("ix_identity_customer_ws_merged_seen", "workspace_id", "merged_into_id", "last_seen_at"),
        Index("ix_identity_customer_ws_email", "workspace_id", "email"),
        Index("ix_identity_customer_ws_phone", "workspace_id", "phone"),
        Index("ix_identity_customer_ws_name", "workspace_id", "display_name"),
        Index("ix_identity_customer_merged_into", "merged_into_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(32))
    traits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime | None]
    last_seen_at: Mapped[datetime | None]
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identity_customer.id", ondelete="SET NULL")
    )


class CustomerIdentifier(IdMixin, TimestampMixin, Base):
    __tablename__ = "identity_identifier"
    __table_args__ = (
        # The resolution lookup: (workspace, kind, value) -> customer, one index probe per identifier.
        UniqueConstraint("workspace_id", "kind", "value"),
        Index("ix_identity_identifier_customer_kind", "customer_id", "kind"),
        Index("ix_identity_identifier_ws_value", "workspace_id", "value"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_customer.id", ondelete="CASCADE"))
    kind: Mapped[IdentifierKind] = mapped_column(KindType)
    value: Mapped[str] = mapped_column(String(320))


class Merge(IdMixin, TimestampMixin, Base):
    """The merge log: every merge with its reason, and every merge a per-type limit refused."""

    __tablename__ = "identity_merge"
    __table_args__ = (
        Index("ix_identity_merge_ws_target", "workspace_id", "target_id"),
        Index("ix_identity_merge_ws_source", "workspace_id", "source_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("identity_customer.id", ondelete="CASCADE")
    )
    target_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity_customer.id", ondelete="CASCADE"))
    status: Mapped[MergeStatus] = mapped_column(MergeStatusType)
    reason: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Suppression(IdMixin, TimestampMixin, Base):
    """An identifier omnicx must stop collecting for (checked by tracking, honoured by `resolve`)."""

    __tablename__ = "identity_suppression"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "value"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    kind: Mapped[IdentifierKind] = mapped_column(KindType)
    value: Mapped[str] = mapped_column(String(320))
    created_by: Mapped[str] = mapped_column(String(320), default="")


class Consent(IdMixin, TimestampMixin, Base):
    """Whether the holder of an identifier agrees to be messaged on a channel (an SMS number that answered STOP).

    Kept per identifier, not per customer: it is the number (or address) that opted out, whoever it belongs to
    now, and every sender of the workspace asks here before messaging it. A row records the latest change.
    """

    __tablename__ = "identity_consent"
    __table_args__ = (UniqueConstraint("workspace_id", "kind", "value", "channel"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    kind: Mapped[IdentifierKind] = mapped_column(KindType)
    value: Mapped[str] = mapped_column(String(320))
    channel: Mapped[str] = mapped_column(String(32))  # a messaging channel: sms, whatsapp...
    opted_out: Mapped[bool] = mapped_column(default=False)
    keyword: Mapped[str] = mapped_column(String(40), default="")  # what the customer wrote, when they did
    source: Mapped[str] = mapped_column(String(40), default="")  # "keyword", "api", "cli"...
    changed_by: Mapped[str] = mapped_column(String(320), default="")
    changed_at: Mapped[datetime] = mapped_column()
