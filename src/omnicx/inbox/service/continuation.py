"""One conversation across channels: an agent may answer on another channel than the one the customer wrote on
(a visitor who left the chat answered by email or SMS), and the customer's answer there comes back into the same
conversation.

Only a verified customer can be reached elsewhere, and only at what identity holds for them (claims never reach
identity, `inbox/service/claims.py`): an email inbox at their email, an SMS or WhatsApp inbox at their phone, a
Messenger, Instagram or Telegram inbox where they already wrote (those ids belong to one Page or bot). The reply
is stored in the conversation with the other inbox and that inbox's contact (`Message.via_contact_id`), found or
created from the identifier; placement then threads the contact's answers back (`placement.py`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import IdentifierKind
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.errors import InboxNotFound
from omnicx.inbox.models import Contact, Conversation, Inbox
from omnicx.inbox.schemas import ReplyChannelPublic
from omnicx.inbox.service.conversations import load_conversation
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid

# Channels an agent can start writing on from an identifier identity holds.
ADDRESSED_BY = {
    MessagingChannel.EMAIL: IdentifierKind.EMAIL,
    MessagingChannel.SMS: IdentifierKind.PHONE,
    MessagingChannel.WHATSAPP: IdentifierKind.PHONE,
}
# Channels whose ids are scoped to one account: reachable only where the customer already wrote.
ACCOUNT_SCOPED = frozenset(
    {MessagingChannel.MESSENGER, MessagingChannel.INSTAGRAM, MessagingChannel.TELEGRAM}
)


@dataclass(frozen=True)
class ReplyChannel:
    """One way to answer a conversation: an inbox and the customer's address there (its contact, if any)."""

    inbox_id: uuid.UUID
    inbox_name: str
    channel: MessagingChannel
    address: str
    contact_id: uuid.UUID | None
    own: bool = False


def reply_channels(session: Session, *, conversation: Conversation) -> list[ReplyChannel]:
    """The conversation's own inbox first, then every other inbox of the workspace that reaches its customer."""
    own_inbox = session.get(Inbox, conversation.inbox_id)
    own_contact = session.get(Contact, conversation.contact_id)
    assert own_inbox is not None and own_contact is not None
    found = [
        ReplyChannel(
            inbox_id=own_inbox.id,
            inbox_name=own_inbox.name,
            channel=own_inbox.channel,
            address=own_contact.email or own_contact.source_id,
            contact_id=own_contact.id,
            own=True,
        )
    ]
    if conversation.customer_id is None:
        return found
    inboxes = session.scalars(
        select(Inbox)
        .where(Inbox.workspace_id == conversation.workspace_id, Inbox.id != own_inbox.id)
        .order_by(Inbox.name)
    ).all()
    known = _identifiers(session, conversation)
    contacts = _customer_contacts(session, conversation)
    for inbox in inboxes:
        contact = contacts.get(inbox.id)
        kind = ADDRESSED_BY.get(inbox.channel)
        address = contact.source_id if contact is not None else None
        if address is None and kind is not None and known.get(kind):
            address = known[kind][0]
        if address is None or (inbox.channel in ACCOUNT_SCOPED and contact is None):
            continue
        found.append(
            ReplyChannel(
                inbox_id=inbox.id,
                inbox_name=inbox.name,
                channel=inbox.channel,
                address=address,
                contact_id=contact.id if contact is not None else None,
            )
        )
    return found


def conversation_reply_channels(
    session: Session, *, principal: Principal, conversation_id: uuid.UUID
) -> list[ReplyChannelPublic]:
    """Where an agent who may see the conversation can answer it."""
    conversation = load_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    return [
        ReplyChannelPublic(
            inbox_id=c.inbox_id, inbox_name=c.inbox_name, channel=c.channel, address=c.address, own=c.own
        )
        for c in reply_channels(session, conversation=conversation)
    ]


def _identifiers(session: Session, conversation: Conversation) -> dict[IdentifierKind, list[str]]:
    assert conversation.customer_id is not None
    found: dict[IdentifierKind, list[str]] = {}
    for identifier in identity_service.list_identifiers(
        session, workspace_id=conversation.workspace_id, customer_id=conversation.customer_id
    ):
        found.setdefault(identifier.kind, []).append(identifier.value)
    return found


def _customer_contacts(session: Session, conversation: Conversation) -> dict[uuid.UUID, Contact]:
    """The customer's verified contacts by inbox (the newest where there are several)."""
    rows = session.scalars(
        select(Contact)
        .where(
            Contact.workspace_id == conversation.workspace_id,
            Contact.customer_id == conversation.customer_id,
            Contact.claimed.is_(False),
            Contact.verified_at.is_not(None),
        )
        .order_by(Contact.created_at)
    )
    return {contact.inbox_id: contact for contact in rows}


def route_reply(
    session: Session, *, conversation: Conversation, inbox_id: uuid.UUID
) -> tuple[Inbox, Contact]:
    """The inbox a reply goes through and the customer's contact there (created from the identifier identity
    holds when they never wrote on it). Invalid when the inbox cannot reach the conversation's customer."""
    choice = next(
        (c for c in reply_channels(session, conversation=conversation) if c.inbox_id == inbox_id), None
    )
    inbox = session.get(Inbox, inbox_id)
    if inbox is None or inbox.workspace_id != conversation.workspace_id:
        raise InboxNotFound(f"inbox {inbox_id} not found")
    if choice is None:
        raise Invalid(
            f"the customer cannot be reached through {inbox.name}: only a verified customer, at an address "
            "identity holds for them (or where they already wrote)"
        )
    if choice.contact_id is not None:
        contact = session.get(Contact, choice.contact_id)
        assert contact is not None
        return inbox, contact
    return inbox, _new_contact(session, inbox, conversation, choice.address)


def _new_contact(session: Session, inbox: Inbox, conversation: Conversation, address: str) -> Contact:
    """The customer's contact on `inbox` at `address`, verified (identity holds the address for them)."""
    key = (Contact.inbox_id == inbox.id, Contact.source_id == address, Contact.claimed.is_(False))
    existing = session.scalar(select(Contact).where(*key))
    if existing is not None:
        if existing.customer_id != conversation.customer_id:
            raise Invalid(f"{address} on {inbox.name} belongs to another customer")
        return existing
    own = session.get(Contact, conversation.contact_id)
    contact = Contact(
        workspace_id=inbox.workspace_id,
        inbox_id=inbox.id,
        source_id=address,
        claimed=False,
        name=own.name if own is not None else "",
        email=address if inbox.channel is MessagingChannel.EMAIL else None,
        customer_id=conversation.customer_id,
        verified_at=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(contact)
            session.flush()
    except IntegrityError:
        found = session.scalar(select(Contact).where(*key))
        if found is None:
            raise
        return found
    return contact
