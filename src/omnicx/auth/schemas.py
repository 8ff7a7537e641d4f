"""Contracts of the auth domain (request and response models)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.text import PlainText

SLUG_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}$"


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class WorkspaceCreate(BaseModel):
    slug: PlainText = Field(pattern=SLUG_PATTERN)
    name: PlainText = Field(min_length=1, max_length=200)
    timezone: str = "UTC"
    default_language: str = "en"


class WorkspacePublic(_Public):
    id: uuid.UUID
    slug: str
    name: str
    timezone: str
    default_language: str
    created_at: datetime


class UserCreate(BaseModel):
    email: EmailStr
    name: PlainText = Field(default="", max_length=200)
    password: PlainText | None = Field(default=None, min_length=10, max_length=200)
    language: str | None = None


class UserPublic(_Public):
    id: uuid.UUID
    email: str
    name: str
    language: str | None


class MemberUpdate(BaseModel):
    role: Role


class MemberPublic(_Public):
    id: uuid.UUID
    user_id: uuid.UUID
    email: str
    name: str
    role: Role
    created_at: datetime


class InvitationCreate(BaseModel):
    email: EmailStr
    role: Role


class InvitationPublic(_Public):
    """An invitation as the workspace sees it. The answer to an invitation is the same whether or not the
    address has an account anywhere: nothing here depends on it."""

    id: uuid.UUID
    email: str
    role: Role
    invited_by: str
    sent_at: datetime
    expires_at: datetime
    expired: bool = Field(default=False, description="The link no longer works; sending it again renews it.")
    created_at: datetime


class InvitationView(BaseModel):
    """What the holder of an invitation link sees before accepting it."""

    workspace_name: str
    email: str
    role: Role
    invited_by: str
    expires_at: datetime
    has_account: bool = Field(description="Whether the invited address already signs in to omnicx.")


class InvitationDelivery(BaseModel):
    """What the invitation mail says (the job that sends it reads this)."""

    to: str
    workspace_name: str
    invited_by: str
    role: Role
    link: str
    expires_at: datetime


class InvitationAccept(BaseModel):
    """Accepting without being signed in: the existing account's password, or a name and a new password."""

    name: PlainText = Field(default="", max_length=200)
    password: str = Field(max_length=200)


class InvitationAccepted(BaseModel):
    """The membership an accepted invitation made (or found, for someone who was a member already)."""

    workspace: WorkspacePublic
    member: MemberPublic


class PasswordResetRequest(BaseModel):
    email: str = Field(max_length=320)


class PasswordResetRequested(BaseModel):
    message: str = Field(description="Always the same, whether or not an account has this address.")


class PasswordResetConfirm(BaseModel):
    token: str = Field(max_length=200)
    new_password: PlainText = Field(min_length=10, max_length=200)


class PasswordResetDelivery(BaseModel):
    """What the password reset mail says (the job that sends it reads this)."""

    to: str
    name: str
    link: str
    expires_at: datetime


class TeamCreate(BaseModel):
    name: PlainText = Field(min_length=1, max_length=120)
    description: PlainText = Field(default="", max_length=500)


class TeamUpdate(BaseModel):
    name: PlainText | None = Field(default=None, min_length=1, max_length=120)
    description: PlainText | None = Field(default=None, max_length=500)


class TeamPublic(_Public):
    id: uuid.UUID
    name: str
    description: str
    member_ids: list[uuid.UUID] = []
    created_at: datetime


class TeamMemberAdd(BaseModel):
    member_id: uuid.UUID


class TokenCreate(BaseModel):
    name: PlainText = Field(min_length=1, max_length=120)
    role: Role = Role.ANALYST


class TokenPublic(_Public):
    id: uuid.UUID
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(BaseModel):
    token: TokenPublic
    secret: str = Field(description="The token itself. Shown once; only its hash is stored.")


class AuditPublic(_Public):
    id: uuid.UUID
    actor_label: str
    action: str
    target_type: str
    target_id: str
    detail: dict[str, Any]
    ip: str
    at: datetime


class MePublic(BaseModel):
    user: UserPublic | None
    workspace: WorkspacePublic
    role: Role
    actions: list[str]


class SignedIn(BaseModel):
    session_token: str
    user: UserPublic
    workspace: WorkspacePublic
    role: Role


class PasswordChange(BaseModel):
    current_password: str = Field(max_length=200)
    new_password: PlainText = Field(min_length=10, max_length=200)


class PasswordChanged(BaseModel):
    sessions_ended: int = Field(description="The person's other browser sessions, signed out by the change.")
