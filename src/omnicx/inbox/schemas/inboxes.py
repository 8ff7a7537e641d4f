"""Contracts of inboxes (one per channel account), their SLA policies and the workspace's inbox settings."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints, field_validator

from omnicx.inbox.enums import AgentScope, MessagingChannel
from omnicx.inbox.schemas.base import PublicModel
from omnicx.kernel.text import PlainText

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


_CredentialKey = Annotated[str, StringConstraints(min_length=1, max_length=64)]
_CredentialValue = Annotated[str, StringConstraints(max_length=2000)]


class InboxCreate(BaseModel):
    channel: MessagingChannel
    name: PlainText = Field(min_length=1, max_length=200)
    address: PlainText | None = Field(
        default=None,
        max_length=320,
        description=(
            "The email address (email), the phone number (sms, whatsapp; E.164), the Page id (messenger), the "
            "username (instagram), the bot's username (telegram); generated for chat."
        ),
    )
    credentials: dict[_CredentialKey, _CredentialValue] | None = Field(
        default=None,
        max_length=20,
        description=(
            "The provider account of a provider channel, proven with the provider before the inbox is created "
            "and kept sealed. SMS (Twilio): `account_sid`, `auth_token`. WhatsApp: `phone_number_id`, "
            "`access_token`, `app_secret`, `verify_token`. Messenger (address: the Page id): `access_token`, "
            "`app_secret`, `verify_token`. Instagram (address: the username): `instagram_id` and the same three. "
            "Telegram (address: the bot's username): `bot_token`. Each optionally `api_base`."
        ),
    )
    reopen_window_hours: float = Field(default=72.0, ge=0, le=24 * 365)
    auto_resolve_hours: float | None = Field(
        default=None,
        gt=0,
        le=24 * 365,
        description="Resolve conversations the customer left unanswered for this many hours; null = never.",
    )
    auto_assign: bool = Field(default=False, description="Round robin new conversations to agents.")
    assignment_capacity: int = Field(
        default=0, ge=0, le=1000, description="Active conversations per agent; 0 = no cap."
    )
    team_id: uuid.UUID | None = Field(
        default=None, description="Conversations go to this team (and its agents)."
    )


class InboxPublic(PublicModel):
    id: uuid.UUID
    workspace_id: uuid.UUID
    channel: MessagingChannel
    name: str
    address: str
    reopen_window_hours: float
    auto_resolve_hours: float | None
    auto_assign: bool
    assignment_capacity: int
    team_id: uuid.UUID | None
    sla_policy_id: uuid.UUID | None
    created_at: datetime
    callbacks: dict[str, str] = Field(
        default_factory=dict,
        description="Provider channels: the paths (under the server's public URL) to give the provider.",
    )


class InboxHealth(BaseModel):
    """How an inbox's channel is doing: when it last received and sent, and how its replies fared lately."""

    inbox_id: uuid.UUID
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    replies: int = Field(description="Replies sent to the channel in the window (notes excluded).")
    failed: int = Field(description="Of those, the ones the channel refused or never took.")
    pending: int = Field(description="Replies of the window still waiting for the channel.")
    rejected: int = Field(
        default=0,
        description="Provider webhook calls refused in the window (a signature that does not match).",
    )
    last_rejected_at: datetime | None = None
    window_days: int

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.replies if self.replies else None


class IdentitySecretPublic(BaseModel):
    """A chat inbox's identity secret, for its website's back end to sign signed-in visitors' ids with
    (managers only). `secret` is None when none was generated yet, or it cannot be read any more (the server's
    secret key changed): generate a new one."""

    inbox_id: uuid.UUID
    secret: str | None


class InboxUpdate(BaseModel):
    """Inbox settings to change (absent fields stay; `team_id`, `sla_policy_id` and `auto_resolve_hours` sent
    as null clear them)."""

    name: PlainText | None = Field(default=None, min_length=1, max_length=200)
    reopen_window_hours: float | None = Field(default=None, ge=0, le=24 * 365)
    auto_resolve_hours: float | None = Field(
        default=None,
        gt=0,
        le=24 * 365,
        description="Resolve conversations the customer left unanswered for this many hours; null = never.",
    )
    auto_assign: bool | None = None
    assignment_capacity: int | None = Field(default=None, ge=0, le=1000)
    team_id: uuid.UUID | None = None
    sla_policy_id: uuid.UUID | None = None


class SlaPolicyCreate(BaseModel):
    name: PlainText = Field(min_length=1, max_length=120)
    first_response_minutes: int = Field(default=120, ge=1, le=525_600)
    next_response_minutes: int | None = Field(default=None, ge=1, le=525_600)
    resolution_minutes: int | None = Field(default=None, ge=1, le=525_600)
    business_hours: dict[str, list[tuple[str, str]]] = Field(
        default_factory=dict, description='{"0": [["09:00", "17:00"]]}: Monday = 0; empty = always open.'
    )
    holidays: list[str] = Field(default_factory=list, description="ISO dates on which the clock stops.")
    inbox_ids: list[uuid.UUID] = Field(default_factory=list, description="Inboxes whose clocks follow it.")

    @field_validator("business_hours")
    @classmethod
    def _hours(cls, value: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        for day, intervals in value.items():
            if day not in {"0", "1", "2", "3", "4", "5", "6"}:
                raise ValueError("business hours are keyed by weekday, 0 (Monday) to 6 (Sunday)")
            for start, end in intervals:
                if not (_HHMM.match(start) and _HHMM.match(end)) or start >= end:
                    raise ValueError("each interval is [HH:MM, HH:MM] with the start before the end")
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        for day in value:
            date.fromisoformat(day)
        return value


class SlaPolicyUpdate(SlaPolicyCreate):
    """The whole policy, replaced (targets, business hours, holidays); `inbox_ids` are added to it."""


class SlaPolicyPublic(PublicModel):
    id: uuid.UUID
    name: str
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int | None
    business_hours: dict[str, Any]
    holidays: dict[str, Any]


class InboxSettingsPublic(BaseModel):
    """Workspace-wide inbox settings."""

    agent_scope: AgentScope = Field(
        description="Which conversations agents see within their inboxes: inboxes (all), team, or own."
    )


class InboxSettingsUpdate(BaseModel):
    agent_scope: AgentScope
