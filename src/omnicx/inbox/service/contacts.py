"""Linking a contact whose identity was only claimed to an existing customer: an agent's explicit decision,
taken once they checked who they talk to (an order number, a code sent to the customer's address...), never
an effect of what the sender typed (`inbox/service/claims.py`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicx.analytics.service import Stream
from omnicx.auth import service as auth_service
from omnicx.identity import service as identity_service
from omnicx.inbox.enums import ConversationEventKind, InboxTopic
from omnicx.inbox.errors import LinkRefused
from omnicx.inbox.models import Contact, Conversation, Inbox
from omnicx.inbox.schemas import ConversationSummary
from omnicx.inbox.service.contracts import summary
from omnicx.inbox.service.conversations import load_conversation
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.jobs.feed import record_changes


def link_contact(
    session: Session, *, principal: Principal, conversation_id: uuid.UUID, customer_id: uuid.UUID
) -> ConversationSummary:
    """Link the contact of `conversation_id` (one the caller may see) to customer `customer_id` (of the same
    workspace, followed to its survivor): the contact and every conversation of it then belong to that
    customer (their timeline, previous conversations, notices). Refused for a verified contact. Recorded in the
    conversation's history and the audit log; committed."""
    workspace_id = principal.workspace_id
    conversation = load_conversation(
        session, workspace_id=workspace_id, conversation_id=conversation_id, lock=True, principal=principal
    )
    contact = session.get(Contact, conversation.contact_id, with_for_update=True)
    inbox = session.get(Inbox, conversation.inbox_id)
    assert contact is not None and inbox is not None
    if contact.verified_at is not None:
        raise LinkRefused("this sender proved who they are: their own messages link them to their customer")
    target = identity_service.current_customer_id(session, workspace_id=workspace_id, customer_id=customer_id)
    previous = contact.customer_id
    if previous == target and conversation.customer_id == target:
        return summary(conversation, inbox, contact)
    contact.customer_id = target
    relinked = session.scalars(
        select(Conversation.id).where(
            Conversation.workspace_id == workspace_id, Conversation.contact_id == contact.id
        )
    ).all()
    record_changes(session, workspace_id=workspace_id, stream=Stream.CONVERSATIONS.value, upserted=relinked)
    linked = session.execute(
        update(Conversation)
        .where(Conversation.workspace_id == workspace_id, Conversation.contact_id == contact.id)
        .values(customer_id=target)
    )
    conversation.customer_id = target
    detail = {
        "contact_id": str(contact.id),
        "customer_id": str(target),
        "previous_customer_id": str(previous) if previous else None,
        "conversations": int(getattr(linked, "rowcount", 0) or 0),
    }
    record_event(
        session, conversation, ConversationEventKind.CUSTOMER_LINKED, principal=principal, detail=detail
    )
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        action="inbox.contact_linked",
        target_type="contact",
        target_id=str(contact.id),
        detail={**detail, "conversation_id": str(conversation.id), "claimed": contact.claimed},
    )
    announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "Contact linked to a customer")
    result = summary(conversation, inbox, contact)
    session.commit()
    return result
