"""Retrying a failed outbound message: a NEW provider call through a fresh durable job.

Delivery statuses only move forward (`lifecycle.next_delivery_status`), with this one documented exception: an
agent may send a failed reply again, which moves it failed -> pending; the delivery job then moves it to sent
(or failed again). The message keeps its `provider_message_id` (the email's Message-ID, the idempotency key
given to providers), so a recipient whose server did accept the first attempt sees the message once.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import ConversationEventKind, DeliveryStatus, InboxTopic, MessageKind
from omnicx.inbox.errors import MessageNotFound, RetryRefused
from omnicx.inbox.models import Conversation, Message
from omnicx.inbox.schemas import MessagePublic
from omnicx.inbox.service import visibility
from omnicx.inbox.service.contracts import message_public
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.replies import DELIVER_ATTEMPTS, DELIVER_JOB
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import new_id
from omnicx.kernel.jobs import service as jobs_service


def retry_message(session: Session, *, principal: Principal, message_id: uuid.UUID) -> MessagePublic:
    """Queue a failed reply for a new delivery attempt (same Message-ID); commits."""
    message = session.scalar(
        select(Message)
        .where(Message.id == message_id, Message.workspace_id == principal.workspace_id)
        .with_for_update()
    )
    if message is None:
        raise MessageNotFound(f"message {message_id} not found")
    if message.kind is not MessageKind.OUTGOING or message.delivery_status is not DeliveryStatus.FAILED:
        raise RetryRefused("only a reply whose delivery failed can be sent again")
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    visibility.ensure_visible(session, principal, conversation.id)
    previous_error = message.delivery_error
    message.delivery_status = DeliveryStatus.PENDING
    message.delivery_error = None
    attempt = new_id()
    jobs_service.enqueue(
        session,
        kind=DELIVER_JOB,
        payload={"message_id": str(message.id)},
        max_attempts=DELIVER_ATTEMPTS,
        workspace_id=message.workspace_id,
        idempotency_key=f"{message.id}:retry:{attempt}",
    )
    record_event(
        session,
        conversation,
        ConversationEventKind.DELIVERY_RETRIED,
        principal=principal,
        detail={"message_id": str(message.id), "previous_error": (previous_error or "")[:500]},
    )
    announce(
        session,
        conversation,
        InboxTopic.MESSAGE_STATUS,
        "Message pending",
        message_id=str(message.id),
        delivery_status=DeliveryStatus.PENDING.value,
    )
    result = message_public(message)
    session.commit()
    return result
