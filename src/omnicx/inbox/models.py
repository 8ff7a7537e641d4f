"""Tables of the inbox domain: inboxes, SLA policies, contacts, conversations, messages, conversation events.

One inbox per channel account (a website's chat, an email address). A contact is one sender on one inbox,
resolved to one customer through identity as far as the sender proved who they are (`verified_at`); what an
unproven sender says about themselves is a claim, kept on the contact (`inbox/service/claims.py`). A
conversation belongs to one contact; while it is not resolved, `open_contact_id` holds the contact's id under a
unique constraint, so concurrent inbound messages from one sender can never open two conversations at once.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Enum,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.inbox.enums import (
    AgentScope,
    Availability,
    ConversationStatus,
    DeliveryStatus,
    MessageKind,
    MessagingChannel,
    Priority,
)
from omnicx.kernel.db import Base, IdMixin, JSONType, TimestampMixin

# Priority as a rank (urgent first), as the list query orders it (`_PRIORITY_ORDER`): the queue index serves it.
# Written the way PostgreSQL prints it back (line breaks included) so Alembic's comparison sees no difference.
PRIORITY_RANK_SQL = (
    "(\nCASE priority\n    WHEN 'urgent' THEN 0\n    WHEN 'high' THEN 1\n    WHEN 'medium' THEN 2\n"
    "    WHEN 'low' THEN 3\n    WHEN 'none' THEN 4\n    ELSE 5\nEND)"
)


def _enum(enum: type[StrEnum], name: str, *, length: int | None = None) -> Enum:
    return Enum(
        enum, name=name, values_callable=lambda e: [m.value for m in e], native_enum=False, length=length
    )


class SlaPolicy(IdMixin, TimestampMixin, Base):
    """Response targets and the business hours their clocks run in (the workspace's time zone)."""

    __tablename__ = "inbox_sla_policy"
    __table_args__ = (UniqueConstraint("workspace_id", "name"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    first_response_minutes: Mapped[int] = mapped_column(default=120)
    next_response_minutes: Mapped[int | None] = mapped_column(default=None)
    resolution_minutes: Mapped[int | None] = mapped_column(default=None)
    # {"0": [["09:00", "17:00"]], ...} by ISO weekday - 1 (Monday = 0); empty means around the clock.
    business_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    holidays: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"dates": ["2026-12-25", ...]}


class Inbox(IdMixin, TimestampMixin, Base):
    __tablename__ = "inbox_inbox"
    __table_args__ = (UniqueConstraint("channel", "address"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    # Wide enough for every provider's name, so a new channel needs no migration.
    channel: Mapped[MessagingChannel] = mapped_column(_enum(MessagingChannel, "inbox_channel", length=32))
    name: Mapped[str] = mapped_column(String(200))
    # The email address for email; the widget's public token for chat.
    address: Mapped[str] = mapped_column(String(320))
    reopen_window_hours: Mapped[float] = mapped_column(default=72.0)
    # Conversations answered by an agent and left silent this long are resolved; None = never.
    auto_resolve_hours: Mapped[float | None] = mapped_column(default=None)
    # Round robin: new conversations go to the least busy agent (of the inbox's team, if set) under capacity.
    auto_assign: Mapped[bool] = mapped_column(default=False)
    assignment_capacity: Mapped[int] = mapped_column(default=0)  # active conversations per agent; 0 = no cap
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inbox_sla_policy.id", ondelete="SET NULL"), default=None
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_team.id", ondelete="SET NULL"), default=None
    )
    # Chat: the secret the website signs its signed-in visitors' ids with (`inbox/site_identity.py`), sealed
    # under the server's secret key (`kernel/access/sealing.py`); None for email inboxes and until generated.
    identity_secret: Mapped[str | None] = mapped_column(String(255), default=None)
    # Provider channels (SMS...): the account's credentials as JSON, sealed under the server's secret key
    # (`CREDENTIALS_PURPOSE`); proven against the provider when the inbox was created.
    credentials: Mapped[str | None] = mapped_column(Text, default=None)


class Contact(IdMixin, TimestampMixin, Base):
    """One sender on one inbox (`source_id` = email address, chat visitor id), resolved to a customer.

    `claimed` marks the sender of mail whose From address the channel did not authenticate: they are another
    contact than the authenticated sender of the same address (and than contacts older than verification), so
    a forged From never joins the real sender's conversations. Chat visitor ids are signed by omnicx: a chat
    contact is never `claimed`, though what the visitor types (name, email) is a claim until `verified_at`.
    """

    __tablename__ = "inbox_contact"
    __table_args__ = (UniqueConstraint("inbox_id", "source_id", "claimed"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_inbox.id", ondelete="CASCADE"))
    source_id: Mapped[str] = mapped_column(String(320))
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    claimed: Mapped[bool] = mapped_column(default=False, server_default=false())
    # When a message of this contact first proved who sent it (a signed site identity, authenticated mail).
    # Until then its name and email are what the sender claimed, shown to agents as such.
    verified_at: Mapped[datetime | None] = mapped_column(default=None)


class Conversation(IdMixin, TimestampMixin, Base):
    __tablename__ = "inbox_conversation"
    __table_args__ = (
        Index("ix_inbox_conversation_workspace_status", "workspace_id", "status"),
        Index("ix_inbox_conversation_contact", "contact_id"),
        Index("ix_inbox_conversation_workspace_created", "workspace_id", "created_at"),
        # The inbox's default order (most urgent, then nearest due, then oldest) read straight from an index:
        # the list stays fast with 100,000 conversations (bench/inbox_latency.py).
        Index(
            "ix_inbox_conversation_queue",
            "workspace_id",
            "status",
            text(PRIORITY_RANK_SQL),
            text("coalesce(first_response_due_at, next_response_due_at)"),
            "created_at",
        ),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_inbox.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_contact.id", ondelete="CASCADE"))
    # The contact's id while this conversation is not resolved: at most one active conversation per contact.
    open_contact_id: Mapped[uuid.UUID | None] = mapped_column(unique=True, default=None)
    customer_id: Mapped[uuid.UUID | None] = mapped_column(index=True, default=None)
    subject: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[ConversationStatus] = mapped_column(
        _enum(ConversationStatus, "inbox_conversation_status"), default=ConversationStatus.OPEN
    )
    priority: Mapped[Priority] = mapped_column(_enum(Priority, "inbox_priority"), default=Priority.NONE)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_membership.id", ondelete="SET NULL"), default=None, index=True
    )
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_team.id", ondelete="SET NULL"), default=None
    )
    labels: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"labels": ["vip", ...]}
    snoozed_until: Mapped[datetime | None] = mapped_column(default=None)
    waiting_since: Mapped[datetime | None] = mapped_column(default=None)
    first_reply_at: Mapped[datetime | None] = mapped_column(default=None)
    last_message_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    next_response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(default=None)
    # Which SLA warnings/breaches were already announced: {"first_response:breach:<due iso>": "<at iso>"}.
    sla_notified: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    # The customer's detected intent (inbox/intent.py), refreshed on every inbound message.
    intent: Mapped[str | None] = mapped_column(String(32), default=None)
    intent_detail: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"language", "rule", "confidence"}
    # Normalised text searched by `q` (subject, contact, messages): lower case, accents folded, kept in the
    # same transaction as the message it comes from (inbox/service/search.py).
    search_text: Mapped[str] = mapped_column(Text, default="")
    # Set when this conversation was merged into another (it is then resolved and points there).
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inbox_conversation.id", ondelete="SET NULL"), default=None
    )


class Message(IdMixin, TimestampMixin, Base):
    __tablename__ = "inbox_message"
    __table_args__ = (
        UniqueConstraint("inbox_id", "provider_message_id"),
        Index("ix_inbox_message_conversation_created", "conversation_id", "created_at"),
        Index("ix_inbox_message_via_contact", "via_contact_id"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_inbox.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbox_conversation.id", ondelete="CASCADE")
    )
    kind: Mapped[MessageKind] = mapped_column(_enum(MessageKind, "inbox_message_kind"))
    author_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_user.id", ondelete="SET NULL"), default=None
    )
    author_label: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(500), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text, default=None)
    attachments: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"files": [{name, type, size, path}]}
    # Inbound: the provider's id (an email's Message-ID); outbound: the id omnicx gave it. Unique per inbox.
    provider_message_id: Mapped[str | None] = mapped_column(String(500), default=None)
    references: Mapped[dict[str, Any]] = mapped_column(
        default=dict
    )  # {"in_reply_to": ..., "references": [...]}
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        _enum(DeliveryStatus, "inbox_delivery_status"), default=None
    )
    delivery_error: Mapped[str | None] = mapped_column(Text, default=None)
    # Inbound: how the channel checked the sender (`schemas.SenderAuthentication`); None when not checked.
    sender_authentication: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # A conversation continued on another channel: the contact (of this message's inbox) it went to or came from,
    # when not the conversation's own. Its replies then thread back into the conversation.
    via_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("inbox_contact.id", ondelete="SET NULL"), default=None
    )
    # Inbound: the text's sentiment, VADER's compound score in [-1, 1] (`inbox.sentiment`); None otherwise.
    sentiment: Mapped[float | None] = mapped_column(default=None)


def message_contact_id() -> ColumnElement[uuid.UUID]:
    """The contact a message came from or went to (with `Message` joined to its `Conversation`): the one on
    another channel when the conversation moved there, else the conversation's own."""
    return func.coalesce(Message.via_contact_id, Conversation.contact_id)


class ConversationEvent(IdMixin, Base):
    """Every change to a conversation: who, what, when."""

    __tablename__ = "inbox_conversation_event"
    __table_args__ = (Index("ix_inbox_conversation_event_conversation_at", "conversation_id", "at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbox_conversation.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(64))
    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_user.id", ondelete="SET NULL"), default=None
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    at: Mapped[datetime]


class CannedResponse(IdMixin, TimestampMixin, Base):
    """A saved reply of the workspace, inserted by typing `/shortcut` in the reply box."""

    __tablename__ = "inbox_canned_response"
    __table_args__ = (UniqueConstraint("workspace_id", "shortcut"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    shortcut: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)


class AgentNotification(IdMixin, TimestampMixin, Base):
    """Something an agent should look at: a mention in a private note, a conversation assigned to them."""

    __tablename__ = "inbox_agent_notification"
    __table_args__ = (Index("ix_inbox_agent_notification_user", "workspace_id", "user_id", "read_at"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # "mention" | "assigned"
    conversation_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("inbox_conversation.id", ondelete="CASCADE")
    )
    actor_label: Mapped[str] = mapped_column(String(320), default="")
    text: Mapped[str] = mapped_column(String(500), default="")
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class AgentAvailability(IdMixin, Base):
    """One member's availability; a member without a row is online (the default before anyone sets it)."""

    __tablename__ = "inbox_agent_availability"

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    membership_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_membership.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[Availability] = mapped_column(_enum(Availability, "inbox_availability"))
    updated_at: Mapped[datetime]


class InboxSettings(Base):
    """Workspace-wide inbox settings; a workspace without a row has the defaults."""

    __tablename__ = "inbox_settings"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), primary_key=True
    )
    agent_scope: Mapped[AgentScope] = mapped_column(
        _enum(AgentScope, "inbox_agent_scope"), default=AgentScope.INBOXES
    )


class WebhookRejection(IdMixin, Base):
    """Provider webhook calls an inbox refused (a wrong signature, a wrong secret token), counted per day: channel
    health shows a webhook misconfigured at the provider, or someone forging calls. One row per inbox and day."""

    __tablename__ = "inbox_webhook_rejection"
    __table_args__ = (UniqueConstraint("inbox_id", "day"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("auth_workspace.id", ondelete="CASCADE"))
    inbox_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inbox_inbox.id", ondelete="CASCADE"))
    day: Mapped[date]
    count: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime]
    last_reason: Mapped[str] = mapped_column(String(200), default="")
