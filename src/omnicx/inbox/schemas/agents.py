"""Contracts of the agent experience: canned responses, notifications, availability, typing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from omnicx.inbox.enums import Availability
from omnicx.inbox.schemas.base import PublicModel
from omnicx.kernel.text import PlainText

_SHORTCUT = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class CannedResponseCreate(BaseModel):
    shortcut: str = Field(
        pattern=_SHORTCUT,
        description="Typed after `/` in the reply box: lower-case letters, digits, - and _.",
    )
    content: PlainText = Field(min_length=1, max_length=20_000)


class CannedResponseUpdate(BaseModel):
    shortcut: str | None = Field(default=None, pattern=_SHORTCUT)
    content: PlainText | None = Field(default=None, min_length=1, max_length=20_000)


class CannedResponsePublic(PublicModel):
    id: uuid.UUID
    shortcut: str
    content: str
    created_at: datetime


class NotificationPublic(PublicModel):
    id: uuid.UUID
    kind: Literal["mention", "assigned"]
    conversation_id: uuid.UUID
    actor_label: str
    text: str
    read_at: datetime | None
    created_at: datetime


class NotificationList(BaseModel):
    unread: int = Field(description="How many of the caller's notifications are unread.")
    items: list[NotificationPublic] = Field(description="Unread first, then newest first.")


class AvailabilityUpdate(BaseModel):
    status: Availability


class AvailabilityPublic(BaseModel):
    membership_id: uuid.UUID
    status: Availability


class TypingCreate(BaseModel):
    """An agent is typing in a conversation (shown on the visitor's widget; not stored)."""

    private: bool = Field(default=False, description="Typing a private note: not shown to the visitor.")
