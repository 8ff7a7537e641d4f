"""Tables of the channels domain: web push, that is each workspace's VAPID key pair and the browsers subscribed to
its notifications. The messaging connectors keep theirs in the inbox's tables (inboxes, contacts, messages)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, TimestampMixin


class VapidKey(IdMixin, TimestampMixin, Base):
    """A workspace's VAPID key pair (P-256), made the first time it is needed. The public key is the
    `applicationServerKey` sites subscribe with; the private key signs every push, sealed under the server's
    secret key (`kernel/access/sealing.py`). `subject` is who runs the sender, as push services ask."""

    __tablename__ = "channels_vapid_key"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), unique=True
    )
    public_key: Mapped[str] = mapped_column(String(100))
    private_key: Mapped[str] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(320))


class PushSubscription(IdMixin, TimestampMixin, Base):
    """One browser subscribed to a workspace's notifications from a site (by a source's write key).

    The endpoint and the browser's keys are sealed (`sealed`: whoever holds them may push to the browser); the
    endpoint's SHA-256 finds a subscription again, so re-subscribing updates it. `customer_id` is the profile of
    the device (its anonymous id) when nobody identified holds that device, else None: what the site says about
    the visitor is a claim, kept as such (`claimed_user_id`) and never linked to anyone.
    """

    __tablename__ = "channels_push_subscription"
    __table_args__ = (
        UniqueConstraint("workspace_id", "endpoint_hash"),
        Index("ix_channels_push_subscription_customer", "workspace_id", "customer_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    source_id: Mapped[uuid.UUID]
    customer_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    anonymous_id: Mapped[str] = mapped_column(String(200))
    claimed_user_id: Mapped[str | None] = mapped_column(String(200), default=None)
    endpoint_hash: Mapped[str] = mapped_column(String(64))
    endpoint_host: Mapped[str] = mapped_column(String(255))
    sealed: Mapped[str] = mapped_column(Text)
    # The page a click on a notification opens (relative to the site when it is a path).
    open_url: Mapped[str] = mapped_column(String(2048), default="/")
    updated_at: Mapped[datetime]
    last_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
