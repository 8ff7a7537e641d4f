"""Contracts of the inbox domain: inboxes, conversations, messages, events, and the normalised messages that
channel adapters hand in (inbound) and receive (outbound)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from omnicx.inbox.enums import (
    AgentScope,
    Availability,
    ConversationEventKind,
    ConversationStatus,
    DeliveryStatus,
    MessageKind,
    MessagingChannel,
    Priority,
)
from omnicx.kernel.text import PlainText

_HHMM = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


class _Public(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class InboxCreate(BaseModel):
    channel: MessagingChannel
    name: PlainText = Field(min_length=1, max_length=200)
    address: PlainText | None = Field(
        default=None, max_length=320, description="The email address (email); generated for chat."
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


class InboxPublic(_Public):
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


class SlaPolicyPublic(_Public):
    id: uuid.UUID
    name: str
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int | None
    business_hours: dict[str, Any]
    holidays: dict[str, Any]


class Attachment(BaseModel):
    """An attachment as a channel delivers it (`data`), before it is stored in the data directory."""

    filename: str = Field(max_length=255)
    content_type: str = "application/octet-stream"
    data: bytes


class AttachmentPublic(BaseModel):
    filename: str
    content_type: str
    size: int
    path: str


class InboundMessage(BaseModel):
    """One inbound message normalised by a channel adapter: where it was sent, who sent it, its dedup key, how
    it threads. `service.ingest` stores it in the inbox receiving at `inbox_address` on `channel`."""

    channel: MessagingChannel | None = Field(default=None, description="The channel it came in on.")
    inbox_address: str | None = Field(
        default=None,
        max_length=320,
        description="Where it was sent (an SMTP recipient, a chat widget's token): the inbox receiving there.",
    )
    source_id: str = Field(min_length=1, max_length=320, description="Sender on this channel (address, id).")
    name: str = ""
    email: str | None = None
    anonymous_id: str | None = Field(default=None, description="The tracking anonymous id (chat visitors).")
    provider_message_id: str | None = Field(default=None, max_length=500, description="Dedup key per inbox.")
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    received_at: AwareDatetime | None = None


class ReceiveResult(BaseModel):
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    contact_id: uuid.UUID
    customer_id: uuid.UUID | None
    duplicate: bool = False
    new_conversation: bool = False


class NoticeResult(BaseModel):
    """Where a workspace notice to a customer went (`notify_customer`); `duplicate` when its key was seen."""

    conversation_id: uuid.UUID
    message_id: uuid.UUID
    channel: MessagingChannel
    inbox_id: uuid.UUID
    inbox_name: str
    new_conversation: bool = False
    duplicate: bool = False


class OutboundMessage(BaseModel):
    """What a channel adapter needs to deliver one agent reply."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    workspace_id: uuid.UUID
    channel: MessagingChannel
    inbox_address: str
    inbox_name: str
    to: str
    to_name: str = ""
    subject: str = ""
    text: str
    html: str | None = None
    provider_message_id: str
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)


class StatusReport(BaseModel):
    """A provider's delivery status callback, normalised."""

    provider_message_id: str
    status: DeliveryStatus
    error: str | None = None


class MessagePublic(_Public):
    id: uuid.UUID
    conversation_id: uuid.UUID
    kind: MessageKind
    author_label: str
    subject: str
    text: str
    html: str | None
    attachments: list[AttachmentPublic] = []
    provider_message_id: str | None
    delivery_status: DeliveryStatus | None
    delivery_error: str | None
    created_at: datetime


class EventPublic(_Public):
    id: uuid.UUID
    kind: ConversationEventKind
    actor_label: str
    detail: dict[str, Any]
    at: datetime


class ContactPublic(_Public):
    id: uuid.UUID
    source_id: str
    name: str
    email: str | None
    customer_id: uuid.UUID | None


class ConversationSummary(_Public):
    id: uuid.UUID
    inbox_id: uuid.UUID
    channel: MessagingChannel
    inbox_name: str
    contact: ContactPublic
    customer_id: uuid.UUID | None
    subject: str
    status: ConversationStatus
    priority: Priority
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    labels: list[str]
    snoozed_until: datetime | None
    waiting_since: datetime | None
    first_reply_at: datetime | None
    last_message_at: datetime | None
    first_response_due_at: datetime | None
    next_response_due_at: datetime | None
    resolution_due_at: datetime | None
    sla_due_at: datetime | None = Field(description="The nearest due time (what the inbox sorts on).")
    preview: str = ""
    created_at: datetime
    intent: str | None = None
    merged_into_id: uuid.UUID | None = None


class ConversationDetail(ConversationSummary):
    messages: list[MessagePublic]
    events: list[EventPublic]


class ReplyCreate(BaseModel):
    text: PlainText = Field(min_length=1, max_length=100_000)
    private: bool = Field(default=False, description="A private note: seen by the team, never sent.")


class ConversationUpdate(BaseModel):
    """Fields to change (absent ones stay); `assignee_id`/`team_id` null unassigns when sent explicitly."""

    status: ConversationStatus | None = None
    priority: Priority | None = None
    assignee_id: uuid.UUID | None = None
    team_id: uuid.UUID | None = None
    labels: list[PlainText] | None = Field(default=None, max_length=50)
    snoozed_until: AwareDatetime | None = None


class InboxView(BaseModel):
    """A list filter: `mine`, `unassigned`, `all`, optionally narrowed by team, label, inbox or status."""

    view: str = Field(default="all", pattern="^(mine|unassigned|all)$")
    status: ConversationStatus | Literal["any"] = Field(
        default=ConversationStatus.OPEN, description="A status, or `any`."
    )
    team_id: uuid.UUID | None = None
    label: str | None = None
    inbox_id: uuid.UUID | None = None
    channel: MessagingChannel | None = None
    q: str | None = Field(
        default=None,
        max_length=200,
        description="Full-text search: every word must appear in a message, the subject or the contact.",
    )
    limit: int = Field(default=100, ge=1, le=500)


# --- Reports (wall-clock seconds; conversations created in the range, workspace time zone) -------------------


class ReportRow(BaseModel):
    """One group of a report (a channel, an agent, a team, or the totals). Times are wall-clock seconds."""

    key: str
    label: str
    conversations: int
    resolved: int
    open: int = Field(description="Not resolved now (open, pending or snoozed).")
    first_response_median_seconds: float | None
    first_response_p90_seconds: float | None
    resolution_median_seconds: float | None
    resolution_p90_seconds: float | None
    sla_hit_rate: float | None = Field(
        description="First responses on time among conversations answered or already past due; null if none."
    )
    sla_breached: int


class ReportDay(BaseModel):
    day: date
    conversations: int
    resolved: int
    sla_hit_rate: float | None


class InboxReport(BaseModel):
    workspace_id: uuid.UUID
    start: date
    end: date
    timezone: str
    totals: ReportRow
    by_channel: list[ReportRow]
    by_agent: list[ReportRow]
    by_team: list[ReportRow]
    daily: list[ReportDay]


class SlaStatusCounts(BaseModel):
    """Unresolved conversations by the worst state of their SLA clocks right now."""

    on_track: int
    warning: int
    breached: int


# --- Intent and the actions that led here --------------------------------------------------------------------


class IntentPublic(BaseModel):
    intent: str
    language: str
    rule: str
    matched: str
    confidence: float


class LeadingAction(BaseModel):
    """One thing the customer did shortly before writing (a product viewed, a cart abandoned, an order)."""

    at: datetime
    kind: Literal["viewed", "cart", "order", "other"]
    title: str
    detail: str = ""


class ConversationInsights(BaseModel):
    conversation_id: uuid.UUID
    intent: IntentPublic | None
    actions: list[LeadingAction]
    window_minutes: int


# --- Merge and retry -------------------------------------------------------------------------------------------


class MergeRequest(BaseModel):
    """Merge `source_id` into the conversation of the URL: its messages and events move there."""

    source_id: uuid.UUID


class MergeResult(BaseModel):
    target_id: uuid.UUID
    source_id: uuid.UUID
    moved_messages: int
    moved_events: int


# --- Agent experience: canned responses, notifications, availability, typing ------------------------------------

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


class CannedResponsePublic(_Public):
    id: uuid.UUID
    shortcut: str
    content: str
    created_at: datetime


class NotificationPublic(_Public):
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


class SlaPolicyUpdate(SlaPolicyCreate):
    """The whole policy, replaced (targets, business hours, holidays); `inbox_ids` are added to it."""


class InboxSettingsPublic(BaseModel):
    """Workspace-wide inbox settings."""

    agent_scope: AgentScope = Field(
        description="Which conversations agents see within their inboxes: inboxes (all), team, or own."
    )


class InboxSettingsUpdate(BaseModel):
    agent_scope: AgentScope
