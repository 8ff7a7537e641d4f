"""The inbox's vocabularies (pure: shared by tables, contracts and the status rules)."""

from __future__ import annotations

from enum import StrEnum


class MessagingChannel(StrEnum):
    CHAT = "chat"
    EMAIL = "email"
    SMS = "sms"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    TELEGRAM = "telegram"


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


class AttachmentStatus(StrEnum):
    """Where an inbound message's attachment stands: stored with the message (chat, email), or named by a
    provider and fetched afterwards by a job (`pending` until then, `failed` when the provider refused it)."""

    STORED = "stored"
    PENDING = "pending"
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


class InboxTopic(StrEnum):
    """What the inbox announces on the realtime bus (`RealtimeEvent.topic`): the screens, the chat widget's
    stream and other domains' pages subscribe to these."""

    CONVERSATION_CREATED = "inbox.conversation.created"
    CONVERSATION_UPDATED = "inbox.conversation.updated"
    MESSAGE_CREATED = "inbox.message.created"
    MESSAGE_STATUS = "inbox.message.status"  # a reply's delivery status moved
    MESSAGE_ATTACHMENT = "inbox.message.attachment"  # an attachment a provider held was fetched (or refused)
    SLA_WARNING = "inbox.sla.warning"
    SLA_BREACHED = "inbox.sla.breached"
    TYPING = "inbox.typing"  # an agent or a visitor types (nothing stored)
    NOTIFICATION_CREATED = "inbox.notification.created"  # to one user only
    AVAILABILITY_UPDATED = "inbox.availability.updated"


class ConversationEventKind(StrEnum):
    """What a conversation event (its history, `inbox_conversation_event.kind`) records."""

    CREATED = "created"
    ASSIGNED = "assigned"
    REPLIED = "replied"
    NOTE_ADDED = "note_added"
    STATUS_CHANGED = "status_changed"
    PRIORITY_CHANGED = "priority_changed"
    LABELS_CHANGED = "labels_changed"
    TEAM_CHANGED = "team_changed"
    REOPENED = "reopened"
    WOKEN = "woken"
    MERGED = "merged"  # another conversation was merged into this one
    MERGED_INTO = "merged_into"  # this conversation was merged into another
    DELIVERY_RETRIED = "delivery_retried"
    NOTICE_SENT = "notice_sent"
    CUSTOMER_LINKED = "customer_linked"  # an agent linked the contact (a claimed identity) to a customer
    QUALIFIED = "qualified"  # an agent marked the customer as a qualified lead from this conversation
    SLA_WARNING = "sla_warning"
    SLA_BREACHED = "sla_breached"
    ERASED = "erased"  # the customer was erased: their messages and contact details are gone
    RATED = "rated"  # the customer answered the satisfaction survey about it


class AuthResult(StrEnum):
    """One mail authentication check's result (RFC 8601 vocabulary)."""

    PASS = "pass"  # noqa: S105 (an authentication result, not a password)
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    TEMPERROR = "temperror"
    PERMERROR = "permerror"


class AuthMethod(StrEnum):
    """What proved a message's sender: a DKIM signature or SPF aligned with the From domain (DMARC), or the
    verdict of a relay the operator trusts."""

    DKIM = "dkim"
    SPF = "spf"
    RELAY = "relay"
