"""Inbound messages: from a channel's normalised message to a contact, a customer, a conversation, a message.

`receive` is safe under concurrency and retries: the message's provider id is unique per inbox (a duplicate
stores nothing: its insert fails and the whole transaction is rolled back), a contact is unique per inbox and
sender, and a contact holds at most one active conversation (`open_contact_id` is unique), so two messages of a
new sender arriving at once create one contact and one conversation. A losing concurrent insert is undone in its
savepoint and the winner's row used.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.inbox.enums import (
    AgentScope,
    ConversationEventKind,
    ConversationStatus,
    InboxTopic,
    MessageKind,
    MessagingChannel,
)
from omnicx.inbox.errors import InboxNotFound
from omnicx.inbox.models import Conversation, Inbox, InboxSettings, Message
from omnicx.inbox.schemas import InboundMessage, ReceiveResult
from omnicx.inbox.service.attachments import store_attachments
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.inboxes import normalise_address
from omnicx.inbox.service.insights import note_inbound
from omnicx.inbox.service.placement import open_new, place
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.senders import sender
from omnicx.inbox.service.sla_clocks import refresh_sla
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
    key = (channel, normalise_address(channel, address))
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
        select(Inbox.id).where(Inbox.channel == channel, Inbox.address == normalise_address(channel, address))
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
    contact, new_contact, active = sender(session, inbox, message)
    if new_contact:
        # A contact created in this transaction has no conversation yet: nothing to look up.
        conversation, created = open_new(session, inbox, contact, message, now)
        appended = False
    else:
        conversation, created, appended = place(session, inbox, contact, active, message, now)
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
            "files": store_attachments(attachments_dir, inbox, stored.id, message.attachments)
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
