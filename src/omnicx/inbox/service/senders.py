"""Who wrote: an inbound message's sender as a contact of its inbox (found, or created once even when two of
their messages arrive at once), resolved through identity to a customer only as far as the message proves who
sent it (`claims.Proof`; the rule is in `inbox/service/claims.py`).

A returning chat visitor's contact and active conversation are found in one query: the busiest path costs one
statement here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.inbox.errors import UnroutableMessage
from omnicx.inbox.models import Contact, Conversation, Inbox
from omnicx.inbox.schemas import InboundMessage
from omnicx.inbox.service.claims import Proof
from omnicx.inbox.service.placement import active_conversation
from omnicx.kernel.db import new_id

# Built once: building a statement and its cache key costs more than running it.
_CONTACT = select(Contact).where(
    Contact.inbox_id == bindparam("inbox_id"),
    Contact.source_id == bindparam("source_id"),
    Contact.claimed == bindparam("claimed"),
)
_CONTACT_WITH_ACTIVE = (
    select(Contact, Conversation)
    .join(Conversation, Conversation.open_contact_id == Contact.id)
    .where(
        Contact.inbox_id == bindparam("inbox_id"),
        Contact.source_id == bindparam("source_id"),
        Contact.claimed == bindparam("claimed"),
    )
    .with_for_update(of=Conversation)
)


def sender(
    session: Session, inbox: Inbox, message: InboundMessage, proof: Proof, now: datetime
) -> tuple[Contact, bool, Conversation | None]:
    """The sender's contact, whether it was created now, and its active conversation (locked).

    A returning chat visitor has both: one query finds them together. Otherwise the contact is found or created
    and, when it existed, its active conversation looked up on its own.
    """
    key = {"inbox_id": inbox.id, "source_id": _source_id(inbox, message), "claimed": proof.claimed_source}
    row = session.execute(_CONTACT_WITH_ACTIVE, key).first()
    if row is not None:
        contact, active = row
        _refresh_contact(session, inbox, contact, message, proof, now)
        return contact, False, active
    contact, created = contact_for(session, inbox, message, proof, now)
    return contact, created, None if created else active_conversation(session, contact)


def _source_id(inbox: Inbox, message: InboundMessage) -> str:
    source_id = message.source_id.strip()
    if not source_id:
        raise UnroutableMessage("the message names no sender")
    return source_id.lower() if inbox.channel is MessagingChannel.EMAIL else source_id


def contact_for(
    session: Session, inbox: Inbox, message: InboundMessage, proof: Proof, now: datetime
) -> tuple[Contact, bool]:
    """The sender's contact (the claimed one when their address is a claim), and whether it was created now."""
    source_id = _source_id(inbox, message)
    key = {"inbox_id": inbox.id, "source_id": source_id, "claimed": proof.claimed_source}
    contact = session.scalar(_CONTACT, key)
    created = False
    if contact is None:
        contact = _insert_contact(session, inbox, source_id, message, proof, now)
        created = contact is not None
    if contact is None:  # a concurrent message of theirs created it first
        contact = session.scalar(_CONTACT, key)
        if contact is None:
            raise UnroutableMessage("the sender's contact could be neither created nor found")
    _refresh_contact(session, inbox, contact, message, proof, now)
    return contact, created


def _insert_contact(
    session: Session, inbox: Inbox, source_id: str, message: InboundMessage, proof: Proof, now: datetime
) -> Contact | None:
    """A new contact, or None when the same sender's contact was created meanwhile (`ON CONFLICT DO NOTHING`).

    One statement: a savepoint around an ordinary insert cost two more round trips for every new sender,
    and new conversations arriving together made the chat's slowest answers."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = (
        insert(Contact)
        .values(
            id=new_id(),
            workspace_id=inbox.workspace_id,
            inbox_id=inbox.id,
            source_id=source_id,
            claimed=proof.claimed_source,
            name=message.name[:200],
            email=proof.email if proof.verified else message.email,
            verified_at=now if proof.verified else None,
        )
        .on_conflict_do_nothing()
        .returning(Contact)
    )
    return session.scalars(statement).first()


def _refresh_contact(
    session: Session, inbox: Inbox, contact: Contact, message: InboundMessage, proof: Proof, now: datetime
) -> None:
    """What the message tells about its sender. Proven: its identifiers are resolved to a customer (merging)
    with its name, and the contact shows what was proven. Claimed: the name and email fill a contact that never
    proved anything, and a chat visitor's contact joins the profile of their own device, never a customer's."""
    if proof.verified:
        if proof.identifiers:
            customer_id = identity_service.resolve(
                session,
                workspace_id=inbox.workspace_id,
                identifiers=proof.identifiers,
                traits={"name": message.name} if message.name else None,
                seen_at=now,  # the message's time: a message stored late (an import, history) is not news
                reason="inbox",
            )
            if customer_id is not None:
                contact.customer_id = customer_id
        if contact.verified_at is None:
            contact.verified_at = now
        if message.name:
            contact.name = message.name[:200]
        contact.email = proof.email  # a claimed email, left before, is not shown as proven
        return
    if contact.verified_at is None:
        if message.name and not contact.name:
            contact.name = message.name[:200]
        if message.email and not contact.email:
            contact.email = message.email  # a chat visitor left it (no agent online): replies can go by email
    if contact.customer_id is None and message.anonymous_id and not proof.claimed_source:
        customer_id = identity_service.resolve_device(
            session, workspace_id=inbox.workspace_id, anonymous_id=message.anonymous_id, reason="inbox"
        )
        if customer_id is not None:
            contact.customer_id = customer_id
