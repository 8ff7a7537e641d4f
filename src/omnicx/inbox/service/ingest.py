"""Inbound messages: from a channel's normalised message to a contact, a customer, a conversation, a message.

`receive` is safe under concurrency and retries: the message's provider id is unique per inbox (a duplicate
stores nothing: its insert fails and the whole transaction is rolled back), a contact is unique per inbox and
sender, and a contact holds at most one active conversation (`open_contact_id` is unique), so two messages of a
new sender arriving at once create one contact and one conversation. A losing concurrent insert is undone in its
savepoint and the winner's row used.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import lifecycle
from omnicx.inbox.enums import (
    AgentScope,
    ConversationEventKind,
    ConversationStatus,
    InboxTopic,
    MessageKind,
    MessagingChannel,
)
from omnicx.inbox.errors import InboxNotFound, UnroutableMessage
from omnicx.inbox.models import Contact, Conversation, Inbox, InboxSettings, Message
from omnicx.inbox.schemas import Attachment, InboundMessage, ReceiveResult
from omnicx.inbox.service._common import announce, record_event, refresh_sla, reopen_window
from omnicx.inbox.service.assignment import auto_assign
from omnicx.inbox.service.inboxes import _normalise_address
from omnicx.inbox.service.insights import note_inbound
from omnicx.inbox.service.visibility import remember_agent_scope
from omnicx.kernel.db import new_id, transaction_memo, utcnow
from omnicx.tracking import service as tracking_service

CHANNEL_NAMES = {MessagingChannel.EMAIL: "Email", MessagingChannel.CHAT: "Live chat"}

# The hot path's queries, built once: building a statement and its cache key costs more than running it.
_INBOX_AT = (
    select(Inbox, InboxSettings.agent_scope)
    .outerjoin(InboxSettings, InboxSettings.workspace_id == Inbox.workspace_id)
    .where(Inbox.channel == bindparam("channel"), Inbox.address == bindparam("address"))
)
_CONTACT = select(Contact).where(
    Contact.inbox_id == bindparam("inbox_id"), Contact.source_id == bindparam("source_id")
)
_ACTIVE = (
    select(Conversation).where(Conversation.open_contact_id == bindparam("contact_id")).with_for_update()
)
_CONTACT_WITH_ACTIVE = (
    select(Contact, Conversation)
    .join(Conversation, Conversation.open_contact_id == Contact.id)
    .where(Contact.inbox_id == bindparam("inbox_id"), Contact.source_id == bindparam("source_id"))
    .with_for_update(of=Conversation)
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def receive(
    session: Session,
    *,
    inbox_id: uuid.UUID,
    message: InboundMessage,
    attachments_dir: Path | None = None,
    now: datetime | None = None,
) -> ReceiveResult:
    """Store one inbound message (idempotent on its provider id) and commit; returns where it went."""
    inbox = session.get(Inbox, inbox_id)
    if inbox is None:
        raise InboxNotFound(f"inbox {inbox_id} not found")
    return _receive_and_commit(session, inbox, message, attachments_dir=attachments_dir, now=now)


def receive_at(
    session: Session,
    *,
    channel: MessagingChannel,
    address: str,
    message: InboundMessage,
    attachments_dir: Path | None = None,
    now: datetime | None = None,
) -> ReceiveResult:
    """`receive` for the inbox receiving at `address` on `channel` (a widget token, an SMTP recipient), and
    commit. Raises InboxNotFound when nobody receives there."""
    inbox = _receiving(session, channel, address)
    return _receive_and_commit(session, inbox, message, attachments_dir=attachments_dir, now=now)


def stage_at(
    session: Session,
    *,
    channel: MessagingChannel,
    address: str,
    message: InboundMessage,
    attachments_dir: Path | None = None,
    now: datetime | None = None,
) -> ReceiveResult:
    """The work of `receive_at` inside the caller's transaction, which it neither commits nor rolls back (a
    group commit runs many in one). The message's insert waits for the next flush (the next message's first
    query, or the commit): one flush per message instead of two. A message delivered before raises
    IntegrityError there; once rolled back, `stored_before` answers with the first delivery. Checking first
    would cost every message a query.
    """
    inbox = _receiving(session, channel, address)
    return _receive(session, inbox, message, attachments_dir=attachments_dir, now=now)


def _receive_and_commit(
    session: Session,
    inbox: Inbox,
    message: InboundMessage,
    *,
    attachments_dir: Path | None,
    now: datetime | None,
) -> ReceiveResult:
    inbox_id = inbox.id
    try:
        result = _receive(session, inbox, message, attachments_dir=attachments_dir, now=now)
        session.flush()
    except IntegrityError as error:
        session.rollback()
        return _stored_before(session, error, inbox_id=inbox_id, message=message)
    session.commit()
    return result


_RECEIVING_KEY = "omnicx.inbox.receiving"


def _receiving(session: Session, channel: MessagingChannel, address: str) -> Inbox:
    """The inbox receiving at `address`, found with its workspace's agent scope in one query, once per
    transaction: a group commit stores many messages to the same chat in one, and every statement counts."""
    inboxes = transaction_memo(session, _RECEIVING_KEY)
    key = (channel, _normalise_address(channel, address))
    found: tuple[Inbox, AgentScope] | None = inboxes.get(key)
    if found is None:
        row = session.execute(_INBOX_AT, {"channel": key[0], "address": key[1]}).first()
        if row is None:
            raise InboxNotFound(f"no {channel.value} inbox receives at {address!r}")
        found = inboxes[key] = (row[0], row[1] or AgentScope.INBOXES)
    inbox, scope = found
    remember_agent_scope(session, workspace_id=inbox.workspace_id, scope=scope)
    return inbox


def stored_before(
    session: Session, error: Exception, *, channel: MessagingChannel, address: str, message: InboundMessage
) -> ReceiveResult:
    """After `stage_at` raised `error` and was rolled back: the earlier delivery of the same message (a retry,
    or a concurrent delivery that won), or `error` again when there is none."""
    if not isinstance(error, IntegrityError):
        raise error  # refused before anything was stored (unknown chat, bad signature): no first delivery
    inbox_id = session.scalar(
        select(Inbox.id).where(
            Inbox.channel == channel, Inbox.address == _normalise_address(channel, address)
        )
    )
    if inbox_id is None:
        raise error
    return _stored_before(session, error, inbox_id=inbox_id, message=message)


def _stored_before(
    session: Session, error: IntegrityError, *, inbox_id: uuid.UUID, message: InboundMessage
) -> ReceiveResult:
    found = _existing(session, inbox_id, message.provider_message_id)
    if found is None:
        raise error
    return found


def _receive(
    session: Session,
    inbox: Inbox,
    message: InboundMessage,
    *,
    attachments_dir: Path | None,
    now: datetime | None,
) -> ReceiveResult:
    now = now or utcnow()
    contact, new_contact, active = _sender(session, inbox, message)
    if new_contact:
        # A contact created in this transaction has no conversation yet: nothing to look up.
        conversation, created = _open_new(session, inbox, contact, message, now)
        appended = False
    else:
        conversation, created, appended = _conversation(session, inbox, contact, active, message, now)
    # Appended to an open conversation already waiting for the team: its SLA clocks are what they were.
    clocks_unchanged = (
        appended and conversation.status is ConversationStatus.OPEN and conversation.waiting_since is not None
    )
    stored = Message(
        id=new_id(),  # known now: the insert waits for the next flush
        workspace_id=inbox.workspace_id,
        inbox_id=inbox.id,
        conversation_id=conversation.id,
        kind=MessageKind.INCOMING,
        author_label=message.name or message.source_id,
        subject=message.subject[:500],
        text=message.text,
        html=message.html,
        provider_message_id=message.provider_message_id,
        references={"in_reply_to": message.in_reply_to, "references": message.references},
        created_at=message.received_at or now,
    )
    session.add(stored)
    if message.attachments and attachments_dir is not None:
        session.flush()  # a duplicate fails here, before its files are written
        stored.attachments = {
            "files": _store_attachments(attachments_dir, inbox, stored.id, message.attachments)
        }
    conversation.last_message_at = now
    if conversation.waiting_since is None:
        conversation.waiting_since = now
    if conversation.status is ConversationStatus.PENDING:
        conversation.status = ConversationStatus.OPEN
        record_event(
            session,
            conversation,
            ConversationEventKind.STATUS_CHANGED,
            actor_label=contact.source_id,
            detail={"to": "open"},
        )
    if not conversation.subject and message.subject:
        conversation.subject = message.subject[:500]
    note_inbound(conversation, contact, message.subject, message.text)
    conversation.updated_at = now
    if not clocks_unchanged:
        refresh_sla(session, conversation, inbox)
    if created and conversation.customer_id is not None:
        tracking_service.record_touchpoint(
            session,
            workspace_id=inbox.workspace_id,
            customer_id=conversation.customer_id,
            channel=CHANNEL_NAMES.get(inbox.channel, inbox.channel.value),
            kind="conversation",
            at=now,
            source="inbox",
            detail={"conversation_id": str(conversation.id), "inbox_id": str(inbox.id)},
            dedup_key=f"inbox:conversation:{conversation.id}",
        )
    label = message.name or message.source_id
    if created:
        announce(session, conversation, InboxTopic.CONVERSATION_CREATED, f"New conversation from {label}")
    announce(
        session,
        conversation,
        InboxTopic.MESSAGE_CREATED,
        f"{label}: {message.text[:80]}",
        message_id=str(stored.id),
        kind=MessageKind.INCOMING.value,
    )
    return ReceiveResult(
        conversation_id=conversation.id,
        message_id=stored.id,
        contact_id=contact.id,
        customer_id=conversation.customer_id,
        new_conversation=created,
    )


def _existing(session: Session, inbox_id: uuid.UUID, provider_message_id: str | None) -> ReceiveResult | None:
    if not provider_message_id:
        return None
    row = session.execute(
        select(Message, Conversation)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.inbox_id == inbox_id, Message.provider_message_id == provider_message_id)
    ).first()
    if row is None:
        return None
    stored, conversation = row
    return ReceiveResult(
        conversation_id=conversation.id,
        message_id=stored.id,
        contact_id=conversation.contact_id,
        customer_id=conversation.customer_id,
        duplicate=True,
    )


def _identifiers(message: InboundMessage) -> list[Identifier]:
    found: list[Identifier] = []
    if message.email:
        found.append(Identifier(kind=IdentifierKind.EMAIL, value=message.email))
    if message.anonymous_id:
        found.append(Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=message.anonymous_id))
    return found


def _sender(
    session: Session, inbox: Inbox, message: InboundMessage
) -> tuple[Contact, bool, Conversation | None]:
    """The sender's contact, whether it was created now, and its active conversation (locked).

    A returning chat visitor has both: one query finds them together. Otherwise the contact is found or created
    and, when it existed, its active conversation looked up on its own.
    """
    row = session.execute(
        _CONTACT_WITH_ACTIVE, {"inbox_id": inbox.id, "source_id": _source_id(inbox, message)}
    ).first()
    if row is not None:
        contact, active = row
        _refresh_contact(session, inbox, contact, message)
        return contact, False, active
    contact, created = _contact(session, inbox, message)
    return contact, created, None if created else _active(session, contact)


def _source_id(inbox: Inbox, message: InboundMessage) -> str:
    source_id = message.source_id.strip()
    if not source_id:
        raise UnroutableMessage("the message names no sender")
    return source_id.lower() if inbox.channel is MessagingChannel.EMAIL else source_id


def _contact(session: Session, inbox: Inbox, message: InboundMessage) -> tuple[Contact, bool]:
    """The sender's contact, and whether it was created now."""
    source_id = _source_id(inbox, message)
    key = {"inbox_id": inbox.id, "source_id": source_id}
    contact = session.scalar(_CONTACT, key)
    created = False
    if contact is None:
        try:
            with session.begin_nested():
                contact = Contact(
                    workspace_id=inbox.workspace_id,
                    inbox_id=inbox.id,
                    source_id=source_id,
                    name=message.name[:200],
                    email=message.email,
                )
                session.add(contact)
                session.flush()
            created = True
        except IntegrityError:
            contact = session.scalar(_CONTACT, key)
            if contact is None:
                raise
    _refresh_contact(session, inbox, contact, message)
    return contact, created


def _refresh_contact(session: Session, inbox: Inbox, contact: Contact, message: InboundMessage) -> None:
    """What the message tells about its sender: identifiers (resolved to a customer), a name, an email."""
    identifiers = _identifiers(message)
    if identifiers:
        customer_id = identity_service.resolve(
            session,
            workspace_id=inbox.workspace_id,
            identifiers=identifiers,
            traits={"name": message.name} if message.name else None,
            reason="inbox",
        )
        if customer_id is not None:
            contact.customer_id = customer_id
    if message.name and not contact.name:
        contact.name = message.name[:200]
    if message.email and not contact.email:
        contact.email = message.email  # a chat visitor left it (no agent online): replies can go by email


def _thread_conversation(
    session: Session, inbox: Inbox, contact: Contact, message: InboundMessage
) -> Conversation | None:
    """The contact's conversation this message replies to: References first (newest last), then In-Reply-To.

    A thread belonging to another sender is not joined: their reply starts their own conversation.
    """
    candidates = [*reversed(message.references), *([message.in_reply_to] if message.in_reply_to else [])]
    candidates = [c for c in dict.fromkeys(candidates) if c]
    if not candidates:
        return None
    rows = session.execute(
        select(Message.provider_message_id, Conversation)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.inbox_id == inbox.id,
            Message.provider_message_id.in_(candidates),
            Conversation.contact_id == contact.id,
        )
    ).all()
    by_id = {row[0]: row[1] for row in rows}
    return next((by_id[c] for c in candidates if c in by_id), None)


def _active(session: Session, contact: Contact) -> Conversation | None:
    return session.scalar(_ACTIVE, {"contact_id": contact.id})


def _latest(session: Session, contact: Contact) -> Conversation | None:
    """The contact's newest conversation that may reopen (one merged into another never does)."""
    return session.scalar(
        select(Conversation)
        .where(Conversation.contact_id == contact.id, Conversation.merged_into_id.is_(None))
        .order_by(Conversation.created_at.desc())
    )


def _conversation(
    session: Session,
    inbox: Inbox,
    contact: Contact,
    active: Conversation | None,
    message: InboundMessage,
    now: datetime,
) -> tuple[Conversation, bool, bool]:
    """The conversation the message joins (`active`: the contact's active conversation, locked), whether it was
    created now, and whether the message was simply appended (it was open or pending and nothing changed)."""
    threaded = _thread_conversation(session, inbox, contact, message)
    candidate = threaded or active or _latest(session, contact)
    placement = lifecycle.place_inbound(
        lifecycle.Candidate(candidate.status, candidate.resolved_at) if candidate else None,
        now=now,
        reopen_window=reopen_window(inbox),
    )
    if active is not None and (candidate is not active):
        # The contact already has an active conversation: never open a second one.
        candidate, placement = (
            active,
            lifecycle.place_inbound(
                lifecycle.Candidate(active.status, active.resolved_at),
                now=now,
                reopen_window=reopen_window(inbox),
            ),
        )
    if placement is lifecycle.Placement.NEW or candidate is None:
        return (*_open_new(session, inbox, contact, message, now), False)
    if placement is lifecycle.Placement.WAKE:
        candidate.status = ConversationStatus.OPEN
        candidate.snoozed_until = None
        record_event(
            session,
            candidate,
            ConversationEventKind.WOKEN,
            actor_label=contact.source_id,
            detail={"by": "message"},
        )
    elif placement is lifecycle.Placement.REOPEN:
        candidate.status = ConversationStatus.OPEN
        candidate.resolved_at = None
        candidate.open_contact_id = contact.id
        candidate.waiting_since = None
        record_event(
            session,
            candidate,
            ConversationEventKind.REOPENED,
            actor_label=contact.source_id,
            detail={"by": "message"},
        )
        announce(session, candidate, InboxTopic.CONVERSATION_UPDATED, "Conversation reopened")
    if contact.customer_id is not None:
        candidate.customer_id = contact.customer_id
    return candidate, False, placement is lifecycle.Placement.APPEND


def _open_new(
    session: Session, inbox: Inbox, contact: Contact, message: InboundMessage, now: datetime
) -> tuple[Conversation, bool]:
    conversation = Conversation(
        workspace_id=inbox.workspace_id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        open_contact_id=contact.id,
        customer_id=contact.customer_id,
        subject=message.subject[:500],
        status=ConversationStatus.OPEN,
        team_id=inbox.team_id,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(conversation)
            session.flush()
    except IntegrityError:
        # A concurrent message of the same sender opened it first: join it.
        winner = _active(session, contact)
        if winner is None:
            raise
        return winner, False
    record_event(
        session,
        conversation,
        ConversationEventKind.CREATED,
        actor_label=contact.source_id,
        detail={"inbox": inbox.name},
    )
    auto_assign(session, conversation, inbox)
    return conversation, True


def _store_attachments(
    root: Path, inbox: Inbox, message_id: uuid.UUID, attachments: list[Attachment]
) -> list[dict[str, object]]:
    """Write attachments under `<data dir>/attachments/<workspace>/<message>/`; names are made safe."""
    folder = root / str(inbox.workspace_id) / str(message_id)
    folder.mkdir(parents=True, exist_ok=True)
    stored: list[dict[str, object]] = []
    for index, attachment in enumerate(attachments):
        name = _UNSAFE_NAME.sub("_", attachment.filename).strip("._")[:120] or f"attachment-{index}"
        path = folder / f"{index}-{name}"
        path.write_bytes(attachment.data)
        stored.append(
            {
                "filename": attachment.filename[:255],
                "content_type": attachment.content_type,
                "size": len(attachment.data),
                "path": str(path.relative_to(root)),
            }
        )
    return stored
