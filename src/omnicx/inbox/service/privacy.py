"""GDPR erasure and export of what the inbox holds about a customer, registered with identity by the wiring.

Whose data: the contacts linked to one of the customer's ids, or whose address is one of their identifiers (an
email contact's address, a chat contact's email or visitor id: claims included, because an address is personal
data whoever typed it), and the conversations of those contacts or linked to one of the customer's ids.

Erasing them:
- every message of those conversations is deleted, the customer's and the team's alike: a reply addresses and
  quotes the person, a private note talks about them. Their attachment files are deleted from the data
  directory. A reply still waiting for delivery is never sent (its delivery job finds nothing left to send);
- the conversations stay, as anonymised shells: their inbox, channel, team, assignee, priority, labels and
  times (created, first reply, resolved, SLA due times) are what the inbox report counts and times, and the
  books of the support team should not change because one customer left. Subject, search document, detected
  intent and the link to the customer are cleared; a conversation still active is resolved (nobody is left to
  answer, and its SLA clocks would only announce breaches about an empty thread);
- the contacts are anonymised in place (conversations point at them): no name, no email, no customer, and a
  source id of the form `erased:<contact id>`, so the same person writing again starts a new contact;
- the conversations' history keeps who did what and when, but events the contact caused are no longer signed
  with their address or name; an `erased` event says what happened;
- agents' notifications about those conversations (they quote notes and subjects) are deleted.

Files are deleted inside the job, before it commits: if the job then fails, its retry finds the rows again and
finishes (a missing file is not an error).

Exporting them: the contacts, and each conversation with its customer-visible messages and the names and sizes
of their attachments. Private notes are the team's internal remarks and are left out; agents are not named.
"""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from omnicx.analytics.service import Stream
from omnicx.identity.schemas import DataSubject, IdentifierKind
from omnicx.inbox.enums import (
    ConversationEventKind,
    ConversationStatus,
    InboxTopic,
    MessageKind,
    MessagingChannel,
)
from omnicx.inbox.models import AgentNotification, Contact, Conversation, ConversationEvent, Inbox, Message
from omnicx.inbox.schemas import (
    AttachmentExport,
    ContactExport,
    ConversationExport,
    InboxExport,
    MessageExport,
)
from omnicx.inbox.service.attachments import ATTACHMENTS
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs.feed import record_changes

# Which identifiers a contact's source id is, per channel (an email inbox's sender is their address; a chat
# contact is a visitor id, the tracking anonymous id of the widget's browser).
SOURCE_KINDS: dict[MessagingChannel, tuple[IdentifierKind, ...]] = {
    MessagingChannel.EMAIL: (IdentifierKind.EMAIL,),
    MessagingChannel.CHAT: (IdentifierKind.ANONYMOUS_ID,),
}
ERASED_SOURCE = "erased:{id}"


def _contact_matches(subject: DataSubject) -> ColumnElement[bool]:
    tests: list[ColumnElement[bool]] = [Contact.customer_id.in_(subject.customer_ids)]
    emails = subject.values(IdentifierKind.EMAIL)
    if emails:
        tests.append(func.lower(Contact.email).in_(emails))
    for channel, kinds in SOURCE_KINDS.items():
        values = subject.values(*kinds)
        if values:
            tests.append((Inbox.channel == channel) & Contact.source_id.in_(values))
    return or_(*tests)


def _conversations_of(
    session: Session, subject: DataSubject, contact_ids: list[uuid.UUID], *, lock: bool
) -> list[Conversation]:
    stmt = (
        select(Conversation)
        .where(
            Conversation.workspace_id == subject.workspace_id,
            or_(
                Conversation.customer_id.in_(subject.customer_ids),
                Conversation.contact_id.in_(contact_ids) if contact_ids else false(),
            ),
        )
        .order_by(Conversation.created_at, Conversation.id)
    )
    return list(session.scalars(stmt.with_for_update() if lock else stmt))


def _holdings(
    session: Session, subject: DataSubject, *, lock: bool = False
) -> tuple[list[Contact], list[Conversation]]:
    """The subject's contacts and conversations. A conversation linked to the customer makes its contact
    theirs too (one contact is one sender), and that contact's other conversations with it. With `lock`, the
    conversations are locked as an inbound message locks them, so none of theirs lands while they are erased."""
    contacts = {
        c.id: c
        for c in session.scalars(
            select(Contact)
            .join(Inbox, Inbox.id == Contact.inbox_id)
            .where(Contact.workspace_id == subject.workspace_id, _contact_matches(subject))
        )
    }
    conversations = _conversations_of(session, subject, list(contacts), lock=lock)
    more = {c.contact_id for c in conversations} - set(contacts)
    if more:
        for contact in session.scalars(select(Contact).where(Contact.id.in_(more))):
            contacts[contact.id] = contact
        conversations = _conversations_of(session, subject, list(contacts), lock=lock)
    ordered = sorted(contacts.values(), key=lambda c: (c.created_at, c.id))
    return ordered, conversations


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Erase the customer's messages, attachments, contact details and the notifications quoting them, leaving
    their conversations as anonymised shells (see the module); in the caller's transaction. Returns the rows
    deleted or anonymised."""
    if subject.data_dir is None:
        raise ValueError("erasing the inbox's data needs the data directory (attachments live there)")
    contacts, conversations = _holdings(session, subject, lock=True)
    conversation_ids = [c.id for c in conversations]
    files: list[tuple[uuid.UUID, list[str]]] = []
    touched = 0
    if conversation_ids:
        for message_id, attachments in session.execute(
            select(Message.id, Message.attachments).where(Message.conversation_id.in_(conversation_ids))
        ):
            paths = [
                str(f.get("path", "")) for f in (attachments or {}).get("files", []) if isinstance(f, dict)
            ]
            if paths:
                files.append((message_id, paths))
        erased = session.scalars(
            select(Message.id).where(Message.conversation_id.in_(conversation_ids))
        ).all()
        record_changes(
            session, workspace_id=subject.workspace_id, stream=Stream.MESSAGES.value, deleted=erased
        )
        touched += _deleted(session, delete(Message).where(Message.conversation_id.in_(conversation_ids)))
        touched += _deleted(
            session, delete(AgentNotification).where(AgentNotification.conversation_id.in_(conversation_ids))
        )
        signatures = {s for c in contacts for s in (c.source_id, c.email, c.name) if s}
        if signatures:
            session.execute(
                update(ConversationEvent)
                .where(
                    ConversationEvent.conversation_id.in_(conversation_ids),
                    ConversationEvent.actor_user_id.is_(None),
                    ConversationEvent.actor_label.in_(signatures),
                )
                .values(actor_label="")
                .execution_options(synchronize_session=False)
            )
    now = utcnow()
    for conversation in conversations:
        _anonymise_conversation(session, conversation, now)
    for contact in contacts:
        contact.source_id = ERASED_SOURCE.format(id=contact.id)
        contact.name = ""
        contact.email = None
        contact.customer_id = None
    session.flush()
    touched += len(conversations) + len(contacts)
    _delete_files(subject.data_dir / ATTACHMENTS, subject.workspace_id, files)
    return touched


def _anonymise_conversation(session: Session, conversation: Conversation, now: datetime) -> None:
    conversation.subject = ""
    conversation.search_text = ""
    conversation.intent = None
    conversation.intent_detail = {}
    conversation.customer_id = None
    if conversation.status is not ConversationStatus.RESOLVED:
        conversation.status = ConversationStatus.RESOLVED
        conversation.resolved_at = now
        conversation.open_contact_id = None
        conversation.snoozed_until = None
        conversation.waiting_since = None
        conversation.first_response_due_at = None
        conversation.next_response_due_at = None
        conversation.resolution_due_at = None
    conversation.updated_at = now
    record_event(session, conversation, ConversationEventKind.ERASED, actor_label="omnicx", at=now)
    announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, "Customer data erased")


def _deleted(session: Session, stmt: Any) -> int:
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _delete_files(root: Path, workspace_id: uuid.UUID, files: list[tuple[uuid.UUID, list[str]]]) -> None:
    """Delete the listed attachments and their message's folder; never anything outside `root`."""
    base = root.resolve()
    for message_id, paths in files:
        for relative in paths:
            path = (base / relative).resolve()
            if path.is_relative_to(base) and path != base:
                path.unlink(missing_ok=True)
        folder = (base / str(workspace_id) / str(message_id)).resolve()
        if folder.is_relative_to(base) and folder.is_dir():
            shutil.rmtree(folder)


def export_customer_data(session: Session, subject: DataSubject) -> dict[str, Any]:
    """The customer's contacts and conversations with their customer-visible messages (see the module)."""
    contacts, conversations = _holdings(session, subject)
    inboxes = {
        i.id: i
        for i in session.scalars(
            select(Inbox).where(
                Inbox.id.in_(list({c.inbox_id for c in contacts} | {c.inbox_id for c in conversations}))
            )
        )
    }
    messages: dict[uuid.UUID, list[MessageExport]] = {c.id: [] for c in conversations}
    if conversations:
        rows = session.scalars(
            select(Message)
            .where(Message.conversation_id.in_(list(messages)), Message.kind != MessageKind.NOTE)
            .order_by(Message.created_at, Message.id)
        )
        for message in rows:
            messages[message.conversation_id].append(_message_export(message))
    export = InboxExport(
        contacts=[
            ContactExport(
                inbox=inboxes[c.inbox_id].name,
                channel=inboxes[c.inbox_id].channel,
                source_id=c.source_id,
                name=c.name,
                email=c.email,
                created_at=c.created_at,
            )
            for c in contacts
        ],
        conversations=[
            ConversationExport(
                id=c.id,
                inbox=inboxes[c.inbox_id].name,
                channel=inboxes[c.inbox_id].channel,
                subject=c.subject,
                status=c.status,
                created_at=c.created_at,
                resolved_at=c.resolved_at,
                messages=messages[c.id],
            )
            for c in conversations
        ],
    )
    return export.model_dump(mode="json")


def _message_export(message: Message) -> MessageExport:
    files = (message.attachments or {}).get("files", [])
    return MessageExport(
        direction="from_customer" if message.kind is MessageKind.INCOMING else "to_customer",
        subject=message.subject,
        text=message.text,
        attachments=[
            AttachmentExport(
                filename=str(f.get("filename", "")),
                content_type=str(f.get("content_type", "")),
                size=int(f.get("size", 0)),
            )
            for f in files
            if isinstance(f, dict)
        ],
        created_at=message.created_at,
    )
