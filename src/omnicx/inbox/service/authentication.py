"""What a channel found out about who sent an inbound message, kept beside the message for agents to see."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import MessageKind
from omnicx.inbox.errors import MessageNotFound
from omnicx.inbox.models import Message
from omnicx.inbox.schemas import SenderAuthentication


def record_sender_authentication(
    session: Session, *, message_id: uuid.UUID, authentication: SenderAuthentication
) -> bool:
    """Keep how the channel checked the sender of the inbound message `message_id`, once: the first verdict
    stays (a later delivery of the same Message-ID, forged or not, never replaces what was shown for the
    message actually stored). Returns whether it was recorded. Committed."""
    message = session.scalar(
        select(Message)
        .where(Message.id == message_id, Message.kind == MessageKind.INCOMING)
        .with_for_update()
    )
    if message is None:
        raise MessageNotFound(f"inbound message {message_id} not found")
    if message.sender_authentication:
        session.rollback()
        return False
    message.sender_authentication = authentication.model_dump(mode="json")
    session.commit()
    return True
