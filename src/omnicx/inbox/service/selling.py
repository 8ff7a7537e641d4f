"""Social selling from the inbox: an agent (or a social manager answering Instagram DMs) marks the conversation's
customer as a qualified lead, and the attribution report counts it in its qualified stage, credited to the
channel the conversation is on.

The mark is a server-side `Lead Qualified` event (the qualified stage's default event name, so a workspace that
renamed its stage keeps counting what it chose) recorded once per conversation, preceded by a touchpoint on the
conversation's channel at that moment: a last-touch model credits the conversation that qualified the lead.
Only a verified customer can be qualified: a claimed identity never reaches the reports.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox.enums import ConversationEventKind, InboxTopic
from omnicx.inbox.labels import CHANNEL_LABELS
from omnicx.inbox.models import Contact, ConversationEvent, Inbox
from omnicx.inbox.schemas import ConversationSummary
from omnicx.inbox.service.contracts import summary
from omnicx.inbox.service.conversations import load_conversation
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.tracking import service as tracking_service

QUALIFIED_EVENT = "Lead Qualified"


def qualify_lead(
    session: Session,
    *,
    principal: Principal,
    conversation_id: uuid.UUID,
    now: datetime | None = None,
) -> ConversationSummary:
    """Mark the conversation's customer as a qualified lead, credited to its channel; once per conversation
    (marking again records nothing more). Audited, committed."""
    now = now or utcnow()
    conversation = load_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    if conversation.customer_id is None:
        raise Invalid("only a verified customer can be qualified: link the sender to a customer first")
    inbox = session.get(Inbox, conversation.inbox_id)
    contact = session.get(Contact, conversation.contact_id)
    assert inbox is not None and contact is not None
    channel = str(CHANNEL_LABELS.get(inbox.channel, inbox.channel.value))
    key = f"inbox:qualified:{conversation.id}"
    tracking_service.record_touchpoint(
        session,
        workspace_id=principal.workspace_id,
        customer_id=conversation.customer_id,
        channel=channel,
        kind="qualified",
        at=now,
        source="inbox",
        detail={"conversation_id": str(conversation.id), "inbox_id": str(inbox.id), "by": principal.label},
        dedup_key=key,
    )
    new = tracking_service.record_server_event(
        session,
        workspace_id=principal.workspace_id,
        customer_id=conversation.customer_id,
        event=QUALIFIED_EVENT,
        at=now,
        properties={
            "conversation_id": str(conversation.id),
            "channel": channel,
            "qualified_by": principal.label,
        },
        message_id=key,
    )
    if new:
        record_event(
            session,
            conversation,
            ConversationEventKind.QUALIFIED,
            principal=principal,
            detail={"channel": channel},
        )
        auth_service.record_audit(
            session,
            workspace_id=principal.workspace_id,
            principal=principal,
            action="inbox.lead_qualified",
            target_type="conversation",
            target_id=str(conversation.id),
            detail={"customer_id": str(conversation.customer_id), "channel": channel},
        )
        announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "Qualified as a lead")
    result = summary(conversation, inbox, contact)
    session.commit()
    return result


def is_qualified(session: Session, *, conversation_id: uuid.UUID) -> bool:
    """Whether someone marked the conversation's customer as a qualified lead from it."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    ConversationEvent.conversation_id == conversation_id,
                    ConversationEvent.kind == ConversationEventKind.QUALIFIED.value,
                )
            )
        )
    )
