"""The change feed's one table: a row per (transaction, stream) that changed rows a derived copy follows."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, JSONType


class Change(IdMixin, Base):
    """Ids of one stream's rows a transaction wrote (`upserted`) or removed (`deleted`); consumed by the sync."""

    __tablename__ = "kernel_change"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    stream: Mapped[str] = mapped_column(String(64))
    upserted: Mapped[list[str]] = mapped_column(JSONType, default=list)
    deleted: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
