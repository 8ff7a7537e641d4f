"""Tables of the auth domain: tenants, people, their roles, machine tokens, browser sessions and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import Base, IdMixin, TimestampMixin

RoleType = Enum(Role, name="auth_role", values_callable=lambda e: [m.value for m in e], native_enum=False)


class Workspace(IdMixin, TimestampMixin, Base):
    __tablename__ = "auth_workspace"

    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_language: Mapped[str] = mapped_column(String(8), default="en")


class User(IdMixin, TimestampMixin, Base):
    __tablename__ = "auth_user"

    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    is_active: Mapped[bool] = mapped_column(default=True)


class Membership(IdMixin, TimestampMixin, Base):
    __tablename__ = "auth_membership"
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(RoleType)


class Team(IdMixin, TimestampMixin, Base):
    __tablename__ = "auth_team"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(String(500), default="")


class TeamMember(Base):
    __tablename__ = "auth_team_member"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_team.id", ondelete="CASCADE"), primary_key=True
    )
    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_membership.id", ondelete="CASCADE"), primary_key=True
    )
    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )


class ApiToken(IdMixin, TimestampMixin, Base):
    __tablename__ = "auth_api_token"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(RoleType)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("auth_user.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class BrowserSession(IdMixin, TimestampMixin, Base):
    __tablename__ = "auth_session"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"), index=True)
    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(400), default="")


class LoginAttempt(IdMixin, Base):
    __tablename__ = "auth_login_attempt"
    __table_args__ = (Index("ix_auth_login_attempt_email_at", "email", "at"),)

    email: Mapped[str] = mapped_column(String(320))
    ip: Mapped[str] = mapped_column(String(64), default="")
    succeeded: Mapped[bool]
    at: Mapped[datetime]


class AuditEntry(IdMixin, Base):
    __tablename__ = "auth_audit_log"
    __table_args__ = (Index("ix_auth_audit_log_workspace_at", "workspace_id", "at"),)

    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE")
    )
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("auth_user.id", ondelete="SET NULL"))
    actor_token_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_api_token.id", ondelete="SET NULL")
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(64), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime]


class Invitation(IdMixin, TimestampMixin, Base):
    """An address asked to join a workspace with a role. Only the SHA-256 of its link's token is kept; a new
    token (resend) replaces the old one. Pending while neither accepted nor revoked, usable until it expires."""

    __tablename__ = "auth_invitation"
    __table_args__ = (Index("ix_auth_invitation_workspace_email", "workspace_id", "email"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))
    role: Mapped[Role] = mapped_column(RoleType)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("auth_user.id", ondelete="SET NULL"))
    invited_by: Mapped[str] = mapped_column(String(320), default="")
    sent_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class PasswordReset(IdMixin, TimestampMixin, Base):
    """A link that lets a person set a new password: single use, short-lived, stored as the SHA-256 of its
    token. Every reset of one user ends when any of them is used."""

    __tablename__ = "auth_password_reset"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
