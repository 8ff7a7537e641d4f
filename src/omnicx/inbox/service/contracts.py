"""The inbox's rows as the contracts its face returns: a conversation's summary, a message."""

from __future__ import annotations

from datetime import datetime

from omnicx.inbox.models import Contact, Conversation, Inbox, Message
from omnicx.inbox.schemas import (
    AttachmentPublic,
    ContactPublic,
    ConversationSummary,
    MessagePublic,
    SenderAuthentication,
)

PREVIEW_CHARS = 140


def labels_of(conversation: Conversation) -> list[str]:
    value = (conversation.labels or {}).get("labels", [])
    return [str(v) for v in value] if isinstance(value, list) else []


def nearest_due(conversation: Conversation) -> datetime | None:
    dues = [
        d
        for d in (
            conversation.first_response_due_at,
            conversation.next_response_due_at,
            conversation.resolution_due_at,
        )
        if d is not None
    ]
    return min(dues) if dues else None


def message_public(message: Message) -> MessagePublic:
    files = (message.attachments or {}).get("files", [])
    return MessagePublic(
        id=message.id,
        conversation_id=message.conversation_id,
        inbox_id=message.inbox_id,
        kind=message.kind,
        author_label=message.author_label,
        subject=message.subject,
        text=message.text,
        html=message.html,
        attachments=[AttachmentPublic.model_validate(f) for f in files],
        provider_message_id=message.provider_message_id,
        delivery_status=message.delivery_status,
        delivery_error=message.delivery_error,
        sender_authentication=(
            SenderAuthentication.model_validate(message.sender_authentication)
            if message.sender_authentication
            else None
        ),
        sentiment=message.sentiment,
        created_at=message.created_at,
    )


def summary(
    conversation: Conversation, inbox: Inbox, contact: Contact, preview: str = ""
) -> ConversationSummary:
    return ConversationSummary(
        id=conversation.id,
        inbox_id=inbox.id,
        channel=inbox.channel,
        inbox_name=inbox.name,
        contact=ContactPublic.model_validate(contact),
        customer_id=conversation.customer_id,
        subject=conversation.subject,
        status=conversation.status,
        priority=conversation.priority,
        assignee_id=conversation.assignee_id,
        team_id=conversation.team_id,
        labels=labels_of(conversation),
        snoozed_until=conversation.snoozed_until,
        waiting_since=conversation.waiting_since,
        first_reply_at=conversation.first_reply_at,
        last_message_at=conversation.last_message_at,
        first_response_due_at=conversation.first_response_due_at,
        next_response_due_at=conversation.next_response_due_at,
        resolution_due_at=conversation.resolution_due_at,
        sla_due_at=nearest_due(conversation),
        preview=preview[:PREVIEW_CHARS],
        created_at=conversation.created_at,
        intent=conversation.intent,
        merged_into_id=conversation.merged_into_id,
    )
