"""Tables of the journeys domain: the funnels a workspace saved to open again, and its journey map's stages."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, TimestampMixin, utcnow


class SavedFunnel(IdMixin, TimestampMixin, Base):
    """A funnel's definition under a name: its steps as written (`event:…`, `page:…`), window and mode. The
    range is not saved: a saved funnel opens on the range the reader picks."""

    __tablename__ = "journeys_saved_funnel"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    window_hours: Mapped[int]
    mode: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(320), default="")


class JourneyMap(TimestampMixin, Base):
    """A workspace's own journey map (the default map applies until one is saved): its stages in order, each a
    name and rules as written (`visit`, `event:…`, `page:…`, `order:…`, `conversation[:intent]`), and the
    texts of the pages whose repeated visits signal friction."""

    __tablename__ = "journeys_map"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), primary_key=True
    )
    stages: Mapped[list[dict[str, object]]] = mapped_column(JSON, default=list)
    friction_pages: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(320), default="")
