"""Inbound messages: the way in for a message a channel received, from its normalised form (`InboundMessage`,
addressed to an inbox by channel and address) to a contact, a customer, a conversation, a message.

`ingest` is what channels call. It stores the message through the runtime's group commit
(`omnicx.kernel.writes.GroupCommit`): the messages that arrive meanwhile share one transaction, the answer comes
only once it is committed (durable before acknowledged), one sender's messages are stored in the order they came
(the sender picks the lane), and a retried delivery gets its first stored message back. `receive` does the same
work in the caller's session and commits, for callers that are not channels (the demo replaying history at
chosen times, tests).

Who the sender is, the message proves or only claims (`claims.proof_of`; the rule in `inbox/service/claims.py`):
a claim never merges, renames or reaches an existing customer's history. Checking a signed site identity
costs no statement: the inbox row read for routing carries its sealed secret.

Both are safe under concurrency and retries: the message's provider id is unique per inbox (a duplicate stores
nothing: its insert fails and its work is rolled back), a contact is unique per inbox and sender, and a contact
holds at most one active conversation (`open_contact_id` is unique), so two messages of a new sender arriving at
once create one contact and one conversation. The contact's insert skips a conflict (`ON CONFLICT DO NOTHING`)
and the loser reads the winner's row; a losing conversation insert is undone in its savepoint and the winner's
conversation joined.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.inbox import sentiment
from omnicx.inbox.enums import (
    AgentScope,
    ConversationEventKind,
    ConversationStatus,
    InboxTopic,
    MessageKind,
    MessagingChannel,
    Priority,
)
from omnicx.inbox.errors import InboxNotFound, UnroutableMessage
from omnicx.inbox.labels import CHANNEL_LABELS
from omnicx.inbox.models import Conversation, Inbox, InboxSettings, Message
from omnicx.inbox.schemas import InboundMessage, ReceiveResult
from omnicx.inbox.service.attachments import (
    ATTACHMENTS,
    FETCH_ATTACHMENTS_ATTEMPTS,
    FETCH_ATTACHMENTS_JOB,
    pending_entries,
    store_attachments,
)
from omnicx.inbox.service.claims import proof_of
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.inboxes import normalise_address
from omnicx.inbox.service.insights import note_inbound
from omnicx.inbox.service.placement import open_new, place
from omnicx.inbox.service.profiles import queue_profile
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.senders import sender
from omnicx.inbox.service.sla_clocks import refresh_sla
from omnicx.inbox.service.visibility import remember_agent_scope
from omnicx.kernel.db import new_id, transaction_memo, utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service as tracking_service

CHANNEL_NAMES = (
    CHANNEL_LABELS  # the marketing channel a conversation's touchpoint is credited to (untranslated)
)
# The hot path's query, built once: building a statement and its cache key costs more than running it.
_INBOX_AT = (
    select(Inbox, InboxSettings.agent_scope)
    .outerjoin(InboxSettings, InboxSettings.workspace_id == Inbox.workspace_id)
    .where(Inbox.channel == bindparam("channel"), Inbox.address == bindparam("address"))
)


async def ingest(runtime: Runtime, *, message: InboundMessage, now: datetime | None = None) -> ReceiveResult:
    """Store one message a channel received in the inbox receiving at `message.inbox_address` on
    `message.channel` (idempotent on its provider id); returns where it went, once committed.

    Raises UnroutableMessage when the message names no inbox or no sender, InboxNotFound when nobody receives
    at its address. `now` stores it as if it arrived then (tests); default the time it is stored.
    """
    if message.channel is None or not message.inbox_address:
        raise UnroutableMessage("the message names no inbox to receive it")
    delivery = _Delivery(
        message,
        channel=message.channel,
        address=message.inbox_address,
        attachments_dir=runtime.settings.data_dir / ATTACHMENTS,
        secret_key=runtime.settings.resolved_secret_key,
        now=now,
    )
    return await runtime.writes.run(delivery.store, key=message.source_id, recover=delivery.stored_before)


@dataclass
class _Delivery:
    """One inbound message as a unit of the group commit. `store` may run twice (when another message of its
    batch fails, the batch runs again with each message in a savepoint), so the message's id is chosen once:
    its attachments are written to the same folder both times."""

    message: InboundMessage
    channel: MessagingChannel
    address: str
    attachments_dir: Path
    secret_key: str
    now: datetime | None
    message_id: uuid.UUID = field(default_factory=new_id)

    def store(self, session: Session) -> ReceiveResult:
        inbox = _receiving(session, self.channel, self.address)
        return _store(
            session,
            inbox,
            self.message,
            message_id=self.message_id,
            attachments_dir=self.attachments_dir,
            secret_key=self.secret_key,
            now=self.now,
        )

    def stored_before(self, session: Session, error: Exception) -> ReceiveResult:
        """After `store` raised `error` and was rolled back: the earlier delivery of the same message (a retry,
        or a concurrent delivery that won), or `error` again when there is none."""
        if not isinstance(error, IntegrityError):
            raise error  # refused before anything was stored (no such inbox, no sender): no first delivery
        inbox_id = session.scalar(
            select(Inbox.id).where(
                Inbox.channel == self.channel, Inbox.address == normalise_address(self.channel, self.address)
            )
        )
        if inbox_id is None:
            raise error
        return _stored_before(session, error, inbox_id=inbox_id, message=self.message)


def receive(
    session: Session,
    *,
    inbox_id: uuid.UUID,
    message: InboundMessage,
    attachments_dir: Path | None = None,
    secret_key: str | None = None,
    now: datetime | None = None,
) -> ReceiveResult:
    """Store one inbound message in `inbox_id` (idempotent on its provider id) in the caller's session, and
    commit; returns where it went. The message's own address, if any, is not read: `inbox_id` says where.
    Without `secret_key` (the server's), a signed site identity (`user_hash`) cannot be checked: a claim."""
    inbox = session.get(Inbox, inbox_id)
    if inbox is None:
        raise InboxNotFound(f"inbox {inbox_id} not found")
    try:
        result = _store(
            session,
            inbox,
            message,
            message_id=new_id(),
            attachments_dir=attachments_dir,
            secret_key=secret_key,
            now=now,
        )
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


def _stored_before(
    session: Session, error: IntegrityError, *, inbox_id: uuid.UUID, message: InboundMessage
) -> ReceiveResult:
    found = _existing(session, inbox_id, message.provider_message_id)
    if found is None:
        raise error
    return found


# A sharply negative message lifts its conversation to high priority (never lowers an urgent one).
_BELOW_HIGH = frozenset({Priority.NONE, Priority.LOW, Priority.MEDIUM})


def _escalate(session: Session, conversation: Conversation) -> None:
    """An unhappy customer is answered first: raise the conversation to high priority, in its history."""
    current = conversation.priority or Priority.NONE  # a conversation created now has its default at flush
    if current not in _BELOW_HIGH:
        return
    record_event(
        session,
        conversation,
        ConversationEventKind.PRIORITY_CHANGED,
        actor_label="omnicx",
        detail={"from": current.value, "to": Priority.HIGH.value, "by": "sentiment"},
    )
    conversation.priority = Priority.HIGH


def _store(
    session: Session,
    inbox: Inbox,
    message: InboundMessage,
    *,
    message_id: uuid.UUID,
    attachments_dir: Path | None,
    secret_key: str | None,
    now: datetime | None,
) -> ReceiveResult:
    """The work of storing one message, in the caller's transaction, which it neither commits nor rolls back.

    The message's insert waits for the next flush (the next message's first query in a group commit, or the
    commit): one flush per message instead of two. A message delivered before fails there with IntegrityError;
    once it is rolled back, `_stored_before` answers with the first delivery (checking first would cost every
    message a query).
    """
    now = now or utcnow()
    proof = proof_of(inbox, message, secret_key=secret_key)
    contact, new_contact, active = sender(session, inbox, message, proof, now)
    if new_contact:
        # A contact created in this transaction has no conversation yet: nothing to look up.
        conversation, created = open_new(session, inbox, contact, message, now, fresh_contact=True)
        appended = False
    else:
        conversation, created, appended = place(session, inbox, contact, active, message, now)
    # Appended to an open conversation already waiting for the team: its SLA clocks are what they were.
    clocks_unchanged = (
        appended and conversation.status is ConversationStatus.OPEN and conversation.waiting_since is not None
    )
    stored = Message(
        id=message_id,  # known now: the insert waits for the next flush
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
        via_contact_id=contact.id if contact.id != conversation.contact_id else None,
    )
    feeling = sentiment.score(message.text)
    stored.sentiment = round(feeling.compound, 3)
    session.add(stored)
    if sentiment.is_sharply_negative(feeling):
        _escalate(session, conversation)
    if message.attachments and attachments_dir is not None:
        session.flush()  # a duplicate fails here, before its files are written
        stored.attachments = {
            "files": store_attachments(attachments_dir, inbox, stored.id, message.attachments)
        }
    if message.remote_attachments:
        _await_remote(session, stored, message)
    if new_contact and message.lookup_profile and not contact.name:
        queue_profile(session, contact)
    conversation.last_message_at = now
    if conversation.waiting_since is None and conversation.status is not ConversationStatus.RESOLVED:
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


def _await_remote(session: Session, stored: Message, message: InboundMessage) -> None:
    """Keep the attachments the provider holds as pending on the message, and queue the job that fetches them
    in the same transaction: the webhook is answered without waiting for a download, and a redelivery (which
    stores nothing) queues nothing."""
    files = [*(stored.attachments or {}).get("files", []), *pending_entries(message.remote_attachments)]
    stored.attachments = {"files": files}
    jobs_service.enqueue(
        session,
        kind=FETCH_ATTACHMENTS_JOB,
        payload={"message_id": str(stored.id)},
        workspace_id=stored.workspace_id,
        max_attempts=FETCH_ATTACHMENTS_ATTEMPTS,
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
