"""Tables of the Overview: the benchmarks a workspace set for its CX scorecard (defaults live in the code)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base


class Benchmark(Base):
    """One metric's benchmark as the workspace set it; a metric without a row uses the default."""

    __tablename__ = "overview_benchmark"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), primary_key=True
    )
    metric: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[float | None]
    updated_at: Mapped[datetime]
