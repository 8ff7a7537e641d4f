"""Tables of the ownership domain: one claim per workspace and identifier, proven or waiting for its proof."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, TimestampMixin
from omnicx.ownership.enums import ClaimKind, ProofMethod


class OwnershipClaim(IdMixin, TimestampMixin, Base):
    """A workspace's claim to control an identifier. Many workspaces may wait on the same one; once proven,
    `owned_value` repeats the value under a unique constraint, so one workspace at most owns it."""

    __tablename__ = "ownership_claim"
    __table_args__ = (
        UniqueConstraint("workspace_id", "kind", "value"),
        UniqueConstraint("kind", "owned_value"),
        Index("ix_ownership_claim_scope", "scope"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ClaimKind] = mapped_column(
        Enum(
            ClaimKind,
            name="ownership_claim_kind",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
        )
    )
    value: Mapped[str] = mapped_column(String(320))
    # The domain the identifier lives under: an address's domain, a domain itself (conflicts are found by it).
    scope: Mapped[str] = mapped_column(String(255))
    # The value again once proven, else None (NULLs never collide): the one-owner rule as a constraint.
    owned_value: Mapped[str | None] = mapped_column(String(320), default=None)
    method: Mapped[ProofMethod | None] = mapped_column(
        Enum(
            ProofMethod,
            name="ownership_method",
            values_callable=lambda e: [m.value for m in e],
            native_enum=False,
        ),
        default=None,
    )
    # Domain claims: the token to publish as `omnicx-verification=<token>`. Address claims: the current code's
    # nonce (the code is derived from it with the server's secret and stored nowhere).
    token: Mapped[str] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    code_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Wrong codes typed against the current code; past the limit it is void and a new one must be sent.
    failed_attempts: Mapped[int] = mapped_column(default=0)
    # Codes sent since `codes_window_at` (a day's window), to keep mail to unproven addresses rare.
    codes_sent: Mapped[int] = mapped_column(default=0)
    codes_window_at: Mapped[datetime | None] = mapped_column(default=None)
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    verified_by: Mapped[str] = mapped_column(String(320), default="")
