"""Names of senders a channel knows only by an id (a Messenger or Instagram sender's page-scoped id): the
provider's profile of the sender is asked once, by a job queued with the contact's first message, so the webhook
is answered without waiting; the contact, and the label of its messages so far, then show the name.

A name the provider gives is the sender's own profile name, as a WhatsApp profile name is: shown, never used to
link anyone to a customer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicx.inbox.enums import InboxTopic, MessagingChannel
from omnicx.inbox.models import Contact, Conversation, Inbox, Message
from omnicx.inbox.service.providers import unseal_credentials
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.jobs import service as jobs_service

FETCH_PROFILE_JOB = "inbox.fetch_profile"
FETCH_PROFILE_ATTEMPTS = 6


@dataclass(frozen=True)
class ProfileRequest:
    """Whom to ask about: the channel, the sender's id there and the inbox's account credentials."""

    contact_id: uuid.UUID
    channel: MessagingChannel
    source_id: str
    credentials: dict[str, str]


def queue_profile(session: Session, contact: Contact) -> None:
    """Ask the provider for the sender's name once per contact, in the message's transaction."""
    jobs_service.enqueue(
        session,
        kind=FETCH_PROFILE_JOB,
        payload={"contact_id": str(contact.id)},
        workspace_id=contact.workspace_id,
        idempotency_key=f"profile:{contact.id}",
        max_attempts=FETCH_PROFILE_ATTEMPTS,
    )


def profile_request(session: Session, *, contact_id: uuid.UUID, secret_key: str) -> ProfileRequest | None:
    """What the job needs to ask the provider, or None when there is nothing to ask (a contact named since,
    gone, or an inbox whose credentials cannot be read)."""
    contact = session.get(Contact, contact_id)
    if contact is None or contact.name:
        return None
    inbox = session.get(Inbox, contact.inbox_id)
    credentials = unseal_credentials(secret_key, inbox.credentials) if inbox is not None else None
    if inbox is None or not credentials:
        return None
    return ProfileRequest(contact.id, inbox.channel, contact.source_id, credentials)


def name_contact(session: Session, *, contact_id: uuid.UUID, name: str) -> bool:
    """Give a contact still without a name the one its provider knows, and relabel its messages shown under its
    id; announces the change. Returns whether anything changed. Commits."""
    contact = session.get(Contact, contact_id, with_for_update=True)
    name = name.strip()[:200]
    if contact is None or contact.name or not name:
        session.rollback()
        return False
    contact.name = name
    own = select(Conversation.id).where(Conversation.contact_id == contact.id)
    session.execute(
        update(Message)
        .where(Message.inbox_id == contact.inbox_id, Message.author_label == contact.source_id)
        .where(Message.conversation_id.in_(own) | (Message.via_contact_id == contact.id))
        .values(author_label=name)
    )
    for conversation in session.scalars(select(Conversation).where(Conversation.contact_id == contact.id)):
        announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, f"{contact.source_id} is {name}")
    session.commit()
    return True
