"""Contracts of messages: what a channel hands in (`InboundMessage`) and gets back (`ReceiveResult`), what it
is given to deliver (`OutboundMessage`) and reports about it (`StatusReport`), and a stored message."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, Field

from omnicx.inbox.enums import (
    AttachmentStatus,
    AuthMethod,
    AuthResult,
    DeliveryStatus,
    MessageKind,
    MessagingChannel,
)
from omnicx.inbox.schemas.base import PublicModel


class Attachment(BaseModel):
    """An attachment as a channel delivers it (`data`), before it is stored in the data directory."""

    filename: str = Field(max_length=255)
    content_type: str = "application/octet-stream"
    data: bytes


class RemoteAttachment(BaseModel):
    """An attachment a provider holds and names in its webhook (a media URL, a media id, a file id): the message
    is stored at once with it pending, and a job fetches it afterwards through the inbox's channel."""

    filename: str = Field(max_length=255, description="What to call it until the provider says better.")
    content_type: str = Field(default="application/octet-stream", max_length=255)
    source: dict[str, str] = Field(
        description="How the channel fetches it, in the channel's own terms (a URL, a media id and its sha256...)."
    )


class AttachmentPublic(BaseModel):
    filename: str
    content_type: str
    size: int = 0
    path: str = Field(default="", description="Under the attachments folder; empty until it is stored.")
    status: AttachmentStatus = AttachmentStatus.STORED
    error: str | None = Field(default=None, description="Why the provider's copy could not be fetched.")


class AttachmentToFetch(BaseModel):
    """One pending attachment of a message, as the job fetching it needs it."""

    index: int
    filename: str
    content_type: str
    source: dict[str, str]


class PendingAttachments(BaseModel):
    """A message's attachments still held by its provider, with the inbox's account to fetch them with."""

    message_id: uuid.UUID
    workspace_id: uuid.UUID
    inbox_id: uuid.UUID
    channel: MessagingChannel
    credentials: dict[str, str] = Field(default_factory=dict, exclude=True, repr=False)
    attachments: list[AttachmentToFetch]


class SenderAuthentication(BaseModel):
    """How a channel checked who sent a message, shown to agents beside it. For email: SPF of the envelope
    sender, DKIM signatures, and whether either aligns with the From domain as its DMARC record asks (or what
    a trusted relay said). `verified` is what decided the message's `sender_verified`."""

    verified: bool = False
    method: AuthMethod | None = Field(default=None, description="What proved the sender, when verified.")
    from_domain: str = ""
    spf: AuthResult = AuthResult.NONE
    spf_domain: str = Field(
        default="", description="The domain SPF checked (MAIL FROM, or HELO for bounces)."
    )
    dkim: AuthResult = AuthResult.NONE
    dkim_domains: list[str] = Field(default_factory=list, description="d= of the signatures that verified.")
    dmarc: AuthResult = AuthResult.NONE
    dmarc_policy: str | None = Field(default=None, description="p= of the From domain's DMARC record.")
    relay: str | None = Field(
        default=None, description="The trusted relay (authserv-id) whose verdict counted."
    )
    reason: str = Field(default="", description="Why the sender is not verified, in a few words.")


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
    phone: str | None = Field(default=None, max_length=64)
    user_id: str | None = Field(
        default=None,
        max_length=200,
        description="The site's id of a signed-in chat visitor (see `user_hash`).",
    )
    user_hash: str | None = Field(
        default=None,
        max_length=128,
        description=(
            "A signed site identity: HMAC-SHA256 (hex) of `user_id`, or of `email` without one, under the "
            "inbox's identity secret. The inbox checks it; when it holds, the signed value is verified."
        ),
    )
    anonymous_id: str | None = Field(default=None, description="The tracking anonymous id (chat visitors).")
    provider_message_id: str | None = Field(default=None, max_length=500, description="Dedup key per inbox.")
    in_reply_to: str | None = None
    references: list[str] = Field(default_factory=list)
    subject: str = ""
    text: str = ""
    html: str | None = None
    attachments: list[Attachment] = Field(default_factory=list)
    remote_attachments: list[RemoteAttachment] = Field(
        default_factory=list,
        max_length=20,
        description="Attachments the provider holds: stored as pending, fetched by a job after the message.",
    )
    received_at: AwareDatetime | None = None
    lookup_profile: bool = Field(
        default=False,
        description="Ask the provider for the sender's profile name (a channel that names senders by id only).",
    )
    sender_verified: bool = Field(
        default=False,
        description=(
            "Whether the channel proved who sent it (DMARC-aligned mail, a provider-authenticated id): its "
            "source id, email, phone and user id are then resolved to a customer (merging) and its name kept. "
            "Otherwise they are claims: they never merge, rename or reach an existing customer's history, and "
            "an unauthenticated sender address is another contact than the authenticated one. A chat message "
            "proves its sender with `user_hash` instead."
        ),
    )


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


class ReplyPosted(BaseModel):
    """An agent's reply (never a private note) as the listeners registered with `register_reply_listener` see
    it, in the reply's transaction. `customer_id` is the conversation's customer, if it has one."""

    workspace_id: uuid.UUID
    conversation_id: uuid.UUID
    message_id: uuid.UUID
    customer_id: uuid.UUID | None
    channel: MessagingChannel


class OutboundMessage(BaseModel):
    """What a channel adapter needs to deliver one agent reply."""

    message_id: uuid.UUID
    conversation_id: uuid.UUID
    workspace_id: uuid.UUID
    inbox_id: uuid.UUID
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
    credentials: dict[str, str] = Field(
        default_factory=dict, exclude=True, repr=False, description="A provider channel's account."
    )
    template: dict[str, Any] | None = Field(
        default=None, description="An approved template to send instead of the text (WhatsApp)."
    )
    tag: str | None = Field(
        default=None,
        description="The message tag the reply must carry (Messenger's `HUMAN_AGENT` after the 24-hour window).",
    )


class StatusReport(BaseModel):
    """A provider's delivery status callback, normalised: the message is the one the provider knows by
    `provider_message_id`, or ours named by `message_id` (a callback URL that carries it, signed by the provider:
    a status may arrive before the send that gave the provider's id was recorded)."""

    provider_message_id: str | None = None
    message_id: uuid.UUID | None = None
    status: DeliveryStatus
    error: str | None = None


class MessagePublic(PublicModel):
    id: uuid.UUID
    conversation_id: uuid.UUID
    inbox_id: uuid.UUID = Field(
        description="The inbox it came in or went out on: another than the conversation's when it moved channel."
    )
    kind: MessageKind
    author_label: str
    subject: str
    text: str
    html: str | None
    attachments: list[AttachmentPublic] = Field(default=[])
    provider_message_id: str | None
    delivery_status: DeliveryStatus | None
    delivery_error: str | None
    sender_authentication: SenderAuthentication | None = Field(
        default=None, description="How the sender was checked (inbound email); null when not checked."
    )
    sentiment: float | None = Field(
        default=None,
        description="Inbound: the text's sentiment from -1 (very negative) to 1 (very positive); null otherwise.",
    )
    created_at: datetime


class ResolvedConversation(BaseModel):
    """A conversation just resolved, as the inbox tells the domains that listen (`register_resolved_listener`):
    who handled it and on which channel, for what follows a resolution (a satisfaction survey)."""

    workspace_id: uuid.UUID
    conversation_id: uuid.UUID
    inbox_id: uuid.UUID
    channel: MessagingChannel
    contact_id: uuid.UUID
    customer_id: uuid.UUID | None
    assignee_id: uuid.UUID | None
    team_id: uuid.UUID | None
    resolved_at: datetime
    by_inactivity: bool = False


class InboundAnswer(BaseModel):
    """A customer's message about to reopen their resolved conversation, offered to the domains that asked them
    something after the resolution (`register_answer_taker`)."""

    workspace_id: uuid.UUID
    conversation_id: uuid.UUID
    contact_id: uuid.UUID
    channel: MessagingChannel
    text: str
    at: datetime
