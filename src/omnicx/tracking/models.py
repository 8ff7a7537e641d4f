"""Tables of the tracking domain: sources and write keys, the event store, rejections, sessions, touchpoints.

The event store is append-only and deduplicated by `(workspace_id, message_id)`; everything derived from it
(which customer an event belongs to, sessions, session touchpoints) is recomputed by a job and can be rebuilt.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, JSONType, TimestampMixin


class SourceKind(StrEnum):
    """Where a source's events come from; informative only (every kind speaks the same wire protocol)."""

    WEB = "web"
    APP = "app"
    SERVER = "server"
    IMPORT = "import"
    OTHER = "other"


SourceKindType = Enum(
    SourceKind, name="tracking_source_kind", values_callable=lambda e: [m.value for m in e], native_enum=False
)


class Source(IdMixin, TimestampMixin, Base):
    """A site, app or server sending events with its own write key (only the key's SHA-256 is stored)."""

    __tablename__ = "tracking_source"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[SourceKind] = mapped_column(SourceKindType, default=SourceKind.WEB)
    write_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    write_key_prefix: Mapped[str] = mapped_column(String(16))
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]


class Event(IdMixin, Base):
    """One accepted Segment-style message. `payload` is the message as stored (context enriched with the
    caller's IP and the campaign parsed from the page URL); the columns repeat what filters and joins need."""

    __tablename__ = "tracking_event"
    __table_args__ = (
        UniqueConstraint("workspace_id", "message_id"),
        Index("ix_tracking_event_workspace_received", "workspace_id", "received_at"),
        Index("ix_tracking_event_workspace_customer_ts", "workspace_id", "customer_id", "timestamp"),
        Index("ix_tracking_event_workspace_user", "workspace_id", "user_id"),
        Index("ix_tracking_event_workspace_anonymous", "workspace_id", "anonymous_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracking_source.id", ondelete="CASCADE"))
    message_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    event: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[str | None] = mapped_column(String(200))
    anonymous_id: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[datetime]
    original_timestamp: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    received_at: Mapped[datetime]
    customer_id: Mapped[uuid.UUID | None]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class RejectedEvent(IdMixin, Base):
    """An event of an accepted batch that failed validation, kept with its reason so nothing vanishes."""

    __tablename__ = "tracking_rejected_event"
    __table_args__ = (Index("ix_tracking_rejected_event_workspace_received", "workspace_id", "received_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracking_source.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    code: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(String(500))
    message_id: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class TrackingSession(IdMixin, Base):
    """A visit of one customer, derived from their events by the sessioniser (rebuilt for late events)."""

    __tablename__ = "tracking_session"
    __table_args__ = (
        Index("ix_tracking_session_workspace_customer_start", "workspace_id", "customer_id", "started_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID]
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime]
    duration_seconds: Mapped[float]
    device_category: Mapped[str] = mapped_column(String(32))
    landing_page: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(200))
    medium: Mapped[str] = mapped_column(String(200))
    campaign: Mapped[str | None] = mapped_column(String(200))
    #: The campaign key of the session's first event (JSON; "" when it has none, NULL on sessions stored
    #: before it was kept): what decides whether a later event continues the session, without reading it.
    campaign_key: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(100))
    page_views: Mapped[int]
    event_count: Mapped[int]
    engaged: Mapped[bool]
    bounced: Mapped[bool]


class Touchpoint(IdMixin, TimestampMixin, Base):
    """A contact between a customer and a channel: a web/app session, a store visit, a call, a conversation.

    Attribution reads this one table. `dedup_key` makes recording idempotent for callers that may retry.
    """

    __tablename__ = "tracking_touchpoint"
    __table_args__ = (
        UniqueConstraint("workspace_id", "dedup_key"),
        Index("ix_tracking_touchpoint_workspace_customer_at", "workspace_id", "customer_id", "at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    customer_id: Mapped[uuid.UUID]
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("tracking_session.id", ondelete="CASCADE"), index=True
    )
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    dedup_key: Mapped[str | None] = mapped_column(String(200))


class ChannelRule(IdMixin, TimestampMixin, Base):
    """A workspace's own channel rule, tried in `position` order before GA4's default channel group."""

    __tablename__ = "tracking_channel_rule"
    __table_args__ = (Index("ix_tracking_channel_rule_workspace_position", "workspace_id", "position"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    position: Mapped[int]
    channel: Mapped[str] = mapped_column(String(100))
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)


class ImportProgress(IdMixin, TimestampMixin, Base):
    """How far an import of one file got, so a re-run resumes after the last committed chunk."""

    __tablename__ = "tracking_import_progress"
    __table_args__ = (UniqueConstraint("workspace_id", "file_key"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    source_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tracking_source.id", ondelete="CASCADE"))
    file_key: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)
    byte_offset: Mapped[int] = mapped_column(BigInteger, default=0)
    lines_done: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    duplicates: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
