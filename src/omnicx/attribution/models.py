"""Tables of the attribution domain: the conversion stages a workspace measures."""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import JSON, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, TimestampMixin


class StageKey(StrEnum):
    """The funnel marketers ask about: who became a contact, a qualified lead, a customer."""

    CONTACT = "contact"
    QUALIFIED = "qualified"
    SALE = "sale"


StageKeyType = Enum(
    StageKey, name="attribution_stage_key", values_callable=lambda e: [m.value for m in e], native_enum=False
)


class Stage(IdMixin, TimestampMixin, Base):
    """How one stage is recognised in the event stream, and how far back its touchpoints count."""

    __tablename__ = "attribution_stage"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[StageKey] = mapped_column(StageKeyType)
    label: Mapped[str] = mapped_column(String(120))
    event_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    identify_trait: Mapped[str | None] = mapped_column(String(64))
    value_property: Mapped[str | None] = mapped_column(String(64))
    lookback_days: Mapped[int] = mapped_column(default=30)
