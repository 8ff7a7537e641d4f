"""The inbox's vocabularies (pure: shared by tables, contracts and the status rules)."""

from __future__ import annotations

from enum import StrEnum


class MessagingChannel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"


class ConversationStatus(StrEnum):
    OPEN = "open"
    PENDING = "pending"
    SNOOZED = "snoozed"
    RESOLVED = "resolved"


class Priority(StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


class MessageKind(StrEnum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"
    NOTE = "note"


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"


class Availability(StrEnum):
    """An agent's availability: round robin only gives new conversations to online agents."""

    ONLINE = "online"
    BUSY = "busy"
    OFFLINE = "offline"


class AgentScope(StrEnum):
    """Which conversations agents see, within the inboxes they belong to (a workspace setting).

    `inboxes`: all of them; `team`: their own, their teams', and unassigned ones without a team; `own`: their own
    and unassigned ones (so work can still be picked up).
    """

    INBOXES = "inboxes"
    TEAM = "team"
    OWN = "own"
