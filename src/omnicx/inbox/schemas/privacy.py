"""Contracts of a privacy export: what the inbox holds about one customer, as handed to that person."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from omnicx.inbox.enums import ConversationStatus, MessagingChannel


class ContactExport(BaseModel):
    """One way the customer reached the workspace: an inbox and the address or id they wrote from."""

    inbox: str
    channel: MessagingChannel
    source_id: str
    name: str
    email: str | None
    created_at: datetime


class AttachmentExport(BaseModel):
    filename: str
    content_type: str
    size: int


class MessageExport(BaseModel):
    """A customer-visible message: what they wrote, or what the workspace answered (agents are not named)."""

    direction: Literal["from_customer", "to_customer"]
    subject: str
    text: str
    attachments: list[AttachmentExport]
    created_at: datetime


class ConversationExport(BaseModel):
    id: uuid.UUID
    inbox: str
    channel: MessagingChannel
    subject: str
    status: ConversationStatus
    created_at: datetime
    resolved_at: datetime | None
    messages: list[MessageExport]


class InboxExport(BaseModel):
    """The customer's contacts and conversations (private notes are the team's own and are left out)."""

    contacts: list[ContactExport]
    conversations: list[ConversationExport]
