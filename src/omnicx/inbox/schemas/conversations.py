"""Contracts of conversations: the list's summaries and views, one conversation with its thread and history,
the agent's changes and replies, the sidebar's insights, merges."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, Field, model_validator

from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, MessagingChannel, Priority
from omnicx.inbox.schemas.base import PublicModel
from omnicx.inbox.schemas.messages import MessagePublic
from omnicx.kernel.text import PlainText


class EventPublic(PublicModel):
    id: uuid.UUID
    kind: ConversationEventKind
    actor_label: str
    detail: dict[str, Any]
    at: datetime


class ContactPublic(PublicModel):
    """A sender. Until `verified_at`, `name` and `email` are what they claimed, not proven; `claimed` marks mail
    whose From address was not authenticated (another contact than the authenticated sender of it)."""

    id: uuid.UUID
    source_id: str
    name: str
    email: str | None
    customer_id: uuid.UUID | None
    claimed: bool = False
    verified_at: datetime | None = None

    @property
    def verified(self) -> bool:
        return self.verified_at is not None


class ContactLink(BaseModel):
    """Link the conversation's contact (a sender who did not prove who they are) to an existing customer: the
    contact and all its conversations then belong to that customer. Audited."""

    customer_id: uuid.UUID


class ConversationSummary(PublicModel):
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


class TemplateMessage(BaseModel):
    """A message template the provider approved (WhatsApp), the only kind of message its channel lets a business
    send outside the customer service window."""

    name: str = Field(pattern=r"^[a-z0-9_]{1,512}$", description="The template's name, as approved.")
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$", description="Its language code.")
    parameters: list[PlainText] = Field(
        default_factory=list, max_length=10, description="The body's {{1}}, {{2}}... in order."
    )


class ApprovedTemplate(BaseModel):
    """A template the provider approved for the inbox's business account, as the composer offers it: the agent
    chooses it rather than typing its name by heart."""

    name: str = Field(description="The template's name, as approved.")
    language: str = Field(description="Its language code.")
    category: str = Field(default="", description="Meta's category: MARKETING, UTILITY or AUTHENTICATION.")
    body: str = Field(default="", description="Its body text, with the {{1}}, {{2}}... placeholders.")
    parameters: int = Field(default=0, ge=0, description="How many parameters the body takes.")


class ReplyCreate(BaseModel):
    text: PlainText = Field(
        default="", max_length=100_000, description="The reply; may be left empty when a template is sent."
    )
    private: bool = Field(default=False, description="A private note: seen by the team, never sent.")
    template: TemplateMessage | None = Field(
        default=None, description="Send an approved template instead of free text (WhatsApp)."
    )
    via_inbox_id: uuid.UUID | None = Field(
        default=None,
        description=(
            "Answer through another inbox of the workspace (the conversation continues on that channel): one of "
            "`GET /conversations/{id}/reply-channels`. Default: the conversation's own inbox."
        ),
    )

    @model_validator(mode="after")
    def _something_to_send(self) -> ReplyCreate:
        if not self.text.strip() and self.template is None:
            raise ValueError("a reply needs its text (or a template)")
        if self.template is not None and self.private:
            raise ValueError("a private note cannot be a template")
        return self


class ReplyChannelPublic(BaseModel):
    """One way to answer a conversation: the conversation's own inbox, or another that reaches its customer."""

    inbox_id: uuid.UUID
    inbox_name: str
    channel: MessagingChannel
    address: str = Field(description="The customer's address there (email, phone, channel id).")
    own: bool = Field(description="The conversation's own inbox.")


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
    sort: Literal["urgency", "recent"] = Field(
        default="urgency",
        description=(
            "`urgency`: priority, then nearest SLA due time, then oldest; `recent`: latest message first (a "
            "conversation moves up when a message arrives)."
        ),
    )
    limit: int = Field(default=100, ge=1, le=500)


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


class MergeRequest(BaseModel):
    """Merge `source_id` into the conversation of the URL: its messages and events move there."""

    source_id: uuid.UUID


class MergeResult(BaseModel):
    target_id: uuid.UUID
    source_id: uuid.UUID
    moved_messages: int
    moved_events: int
