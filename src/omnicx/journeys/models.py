"""Tables of the journeys domain: the funnels a workspace saved to open again."""

from __future__ import annotations

import uuid

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, TimestampMixin


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
