"""Agent replies and private notes, and the delivery of replies through their channel.

A reply is committed first, together with its delivery job (`inbox.deliver`, keyed by the message id); the job
hands it to the channel adapter and records the outcome. Private notes are never given to a channel.
Delivery statuses only move forward (`lifecycle.next_delivery_status`). A text that is exactly `/shortcut`
is replaced by that canned response; `@handle` in a private note notifies the members it names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from omnicx.inbox import lifecycle
from omnicx.inbox.enums import (
    ConversationEventKind,
    ConversationStatus,
    DeliveryStatus,
    InboxTopic,
    MessageKind,
    MessagingChannel,
)
from omnicx.inbox.errors import InvalidTransition, MessageNotFound
from omnicx.inbox.labels import CHANNEL_LABELS
from omnicx.inbox.models import Contact, Conversation, Inbox, Message, message_contact_id
from omnicx.inbox.schemas import MessagePublic, OutboundMessage, ReplyCreate, ReplyPosted, StatusReport
from omnicx.inbox.service.canned import expand_canned
from omnicx.inbox.service.continuation import route_reply
from omnicx.inbox.service.contracts import message_public
from omnicx.inbox.service.conversations import load_conversation
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.notifications import notify_mentions
from omnicx.inbox.service.providers import unseal_credentials
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.search import add_text
from omnicx.inbox.service.sla_clocks import refresh_sla
from omnicx.inbox.service.timers import AUTO_RESOLVE_JOB, schedule
from omnicx.inbox.service.window import check_reply, template_text
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs import service as jobs_service

DELIVER_JOB = "inbox.deliver"
# With the worker's backoff (capped at an hour) a reply keeps trying for about half a day.
DELIVER_ATTEMPTS = 10
MAX_REFERENCES = 20

ReplyListener = Callable[[Session, ReplyPosted], None]
_REPLY_LISTENERS: dict[str, ReplyListener] = {}


def register_reply_listener(name: str, listener: ReplyListener) -> None:
    """Have `listener(session, reply)` run in the transaction of every reply an agent sends (never a private
    note), before it commits: what another domain does about a reply (a web push queued) commits with it or not
    at all, and the inbox imports none of them. The composition root registers them."""
    _REPLY_LISTENERS[name] = listener


def _message_id_domain(inbox: Inbox) -> str:
    return inbox.address.rpartition("@")[2] or "omnicx.local"


# The longest text each provider takes in one message (their documented limits). A longer reply is refused
# before it is stored rather than cut, or split in parts that a retry after a failure would send twice.
MAX_TEXT = {
    MessagingChannel.SMS: 1600,
    MessagingChannel.WHATSAPP: 4096,
    MessagingChannel.MESSENGER: 2000,
    MessagingChannel.INSTAGRAM: 1000,
    MessagingChannel.TELEGRAM: 4096,
}


def check_length(channel: MessagingChannel, text: str) -> None:
    """Refuse (`Invalid`) a reply longer than its channel takes in one message."""
    limit = MAX_TEXT.get(channel)
    if limit is not None and len(text) > limit:
        raise Invalid(
            f"{CHANNEL_LABELS.get(channel, channel.value)} takes at most {limit:,} characters in one message; "
            f"this reply has {len(text):,}: shorten it or send it in parts"
        )


def reply(
    session: Session,
    *,
    principal: Principal,
    conversation_id: uuid.UUID,
    data: ReplyCreate,
    now: datetime | None = None,
) -> MessagePublic:
    """Add an agent's reply (queued for delivery) or private note (never sent); commits.

    `now` records a reply made earlier (imports, the demo's history); default the current time.
    """
    conversation = load_conversation(
        session,
        workspace_id=principal.workspace_id,
        conversation_id=conversation_id,
        lock=True,
        principal=principal,
    )
    home = session.get(Inbox, conversation.inbox_id)
    assert home is not None
    now = now or utcnow()
    message_id = new_id()
    kind = MessageKind.NOTE if data.private else MessageKind.OUTGOING
    inbox, via = home, None
    if kind is MessageKind.OUTGOING and data.via_inbox_id not in (None, home.id):
        assert data.via_inbox_id is not None
        inbox, via = route_reply(session, conversation=conversation, inbox_id=data.via_inbox_id)
    tag = None
    if kind is MessageKind.OUTGOING:
        tag = check_reply(
            session,
            inbox_id=inbox.id,
            contact_id=via.id if via is not None else conversation.contact_id,
            channel=inbox.channel,
            template=data.template,
            now=now,
        )
    text = expand_canned(session, workspace_id=principal.workspace_id, text=data.text)
    if kind is MessageKind.OUTGOING and data.template is None:
        check_length(inbox.channel, text)
    if data.template is not None and not text.strip():
        text = template_text(data.template)
    message = Message(
        id=message_id,
        workspace_id=conversation.workspace_id,
        inbox_id=inbox.id,
        conversation_id=conversation.id,
        kind=kind,
        author_user_id=principal.user_id,
        author_label=principal.label,
        subject=_reply_subject(conversation.subject),
        text=text,
        created_at=now,
        via_contact_id=via.id if via is not None else None,
    )
    if kind is MessageKind.OUTGOING:
        if conversation.status is ConversationStatus.RESOLVED and conversation.open_contact_id is None:
            other = session.scalar(
                select(Conversation.id).where(Conversation.open_contact_id == conversation.contact_id)
            )
            if other is not None:
                raise InvalidTransition("this contact has a newer active conversation; reply there")
        message.provider_message_id = f"<{message_id}@{_message_id_domain(inbox)}>"
        message.references = _thread_headers(session, conversation)
        if data.template is not None:
            message.references = {**message.references, "template": data.template.model_dump()}
        if tag is not None:
            message.references = {**message.references, "tag": tag}
        message.delivery_status = DeliveryStatus.PENDING
        if conversation.first_reply_at is None:
            conversation.first_reply_at = now
        conversation.waiting_since = None
        conversation.last_message_at = now
        conversation.updated_at = now
    session.add(message)
    add_text(conversation, text)
    session.flush()
    if kind is MessageKind.NOTE:
        notify_mentions(session, conversation=conversation, actor=principal, text=text)
    record_event(
        session,
        conversation,
        ConversationEventKind.NOTE_ADDED if data.private else ConversationEventKind.REPLIED,
        principal=principal,
        detail={"message_id": str(message_id)} | ({"via": inbox.name} if via is not None else {}),
        at=now,
    )
    if kind is MessageKind.OUTGOING:
        jobs_service.enqueue(
            session,
            kind=DELIVER_JOB,
            payload={"message_id": str(message_id)},
            max_attempts=DELIVER_ATTEMPTS,
            workspace_id=conversation.workspace_id,
            idempotency_key=str(message_id),
        )
        refresh_sla(session, conversation, home)
        _tell_listeners(session, conversation, message_id, inbox)
        if home.auto_resolve_hours is not None:
            quiet_until = now + timedelta(hours=home.auto_resolve_hours)
            schedule(session, conversation, kind=AUTO_RESOLVE_JOB, at=quiet_until, key=str(message_id))
    announce(
        session,
        conversation,
        InboxTopic.MESSAGE_CREATED,
        f"{principal.label}: {text[:80]}",
        message_id=str(message_id),
        kind=kind.value,
    )
    result = message_public(message)
    session.commit()
    return result


def _tell_listeners(
    session: Session, conversation: Conversation, message_id: uuid.UUID, inbox: Inbox
) -> None:
    posted = ReplyPosted(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        message_id=message_id,
        customer_id=conversation.customer_id,
        channel=inbox.channel,
    )
    for listener in _REPLY_LISTENERS.values():
        listener(session, posted)


def _reply_subject(subject: str) -> str:
    if not subject:
        return ""
    return subject if subject.lower().startswith("re:") else f"Re: {subject}"[:500]


def _thread_headers(session: Session, conversation: Conversation) -> dict[str, object]:
    """In-Reply-To = the newest customer-visible message; References = the thread's ids, oldest first."""
    ids = [
        pid
        for pid in session.scalars(
            select(Message.provider_message_id)
            .where(
                Message.conversation_id == conversation.id,
                Message.kind != MessageKind.NOTE,
                Message.provider_message_id.is_not(None),
            )
            .order_by(Message.created_at, Message.id)
        )
        if pid
    ]
    return {"in_reply_to": ids[-1] if ids else None, "references": ids[-MAX_REFERENCES:]}


def outbound_for(
    session: Session, *, message_id: uuid.UUID, secret_key: str | None = None
) -> OutboundMessage | None:
    """What the channel needs to deliver a reply, or None if there is nothing (left) to send. With the server's
    `secret_key`, a provider channel's account credentials are unsealed into it.

    Notes, inbound messages and replies already handed to their channel return None: a retried delivery job
    never sends twice what was recorded as sent.
    """
    row = session.execute(
        select(Message, Conversation, Inbox, Contact)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Inbox, Inbox.id == Message.inbox_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(Message.id == message_id)
    ).first()
    if row is None:
        return None
    message, conversation, inbox, contact = row
    if message.kind is not MessageKind.OUTGOING or message.delivery_status is not DeliveryStatus.PENDING:
        return None
    if message.via_contact_id is not None:  # continued on another channel: that inbox's contact
        contact = session.get(Contact, message.via_contact_id) or contact
    references = message.references or {}
    refs = references.get("references") or []
    return OutboundMessage(
        message_id=message.id,
        conversation_id=conversation.id,
        workspace_id=conversation.workspace_id,
        inbox_id=inbox.id,
        channel=inbox.channel,
        inbox_address=inbox.address,
        inbox_name=inbox.name,
        to=contact.email or contact.source_id,
        to_name=contact.name,
        subject=message.subject or conversation.subject,
        text=message.text,
        html=message.html,
        provider_message_id=message.provider_message_id or str(message.id),
        in_reply_to=references.get("in_reply_to"),
        references=[str(r) for r in refs],
        credentials=(secret_key and unseal_credentials(secret_key, inbox.credentials)) or {},
        template=references.get("template"),
        tag=references.get("tag"),
    )


# How far back an earlier reply still being delivered holds the next one back: beyond every retry of a delivery
# job, so a reply whose job was lost (its worker died for good) cannot hold its conversation forever.
ORDER_WINDOW = timedelta(days=1)


def earlier_reply_pending(session: Session, *, message_id: uuid.UUID) -> bool:
    """Whether an earlier reply of the same conversation is still waiting for its channel: the later one must
    wait, so a customer reads a conversation's replies in the order they were written even when a provider
    outage made their deliveries retry out of order."""
    message = session.get(Message, message_id)
    if message is None:
        return False
    earlier = select(Message.id).where(
        Message.conversation_id == message.conversation_id,
        Message.kind == MessageKind.OUTGOING,
        Message.delivery_status == DeliveryStatus.PENDING,
        or_(
            Message.created_at < message.created_at,
            and_(Message.created_at == message.created_at, Message.id < message.id),
        ),
        Message.created_at >= message.created_at - ORDER_WINDOW,
    )
    return session.scalar(select(exists(earlier))) or False


def record_delivery(
    session: Session,
    *,
    message_id: uuid.UUID,
    status: DeliveryStatus,
    error: str | None = None,
    provider_message_id: str | None = None,
) -> bool:
    """Record what a channel said about a reply (only forward moves apply), and the provider's own id for it
    (its status callbacks name it); no commit. True if the status changed."""
    message = session.scalar(select(Message).where(Message.id == message_id).with_for_update())
    if message is None:
        raise MessageNotFound(f"message {message_id} not found")
    if provider_message_id:
        message.provider_message_id = provider_message_id
    return _advance(session, message, status, error)


def apply_status(session: Session, *, inbox_id: uuid.UUID, report: StatusReport) -> bool:
    """A provider's status callback for one of this inbox's messages; out-of-order reports never move a
    status back. Commits; True if the status changed."""
    named = (
        Message.id == report.message_id
        if report.message_id is not None
        else Message.provider_message_id == report.provider_message_id
    )
    message = session.scalar(
        select(Message)
        .where(Message.inbox_id == inbox_id, Message.kind == MessageKind.OUTGOING, named)
        .with_for_update()
    )
    if message is None:
        raise MessageNotFound(f"no message {report.message_id or report.provider_message_id} in this inbox")
    changed = _advance(session, message, report.status, report.error)
    session.commit()
    return changed


def advance_until(
    session: Session, *, inbox_id: uuid.UUID, source_id: str, until: datetime, status: DeliveryStatus
) -> int:
    """Move every reply of the inbox to the sender `source_id` made up to `until` forward to `status` (a
    channel's watermark: everything sent before it was delivered, or read). Commits; how many changed."""
    messages = session.scalars(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == message_contact_id())
        .where(
            Message.inbox_id == inbox_id,
            Message.kind == MessageKind.OUTGOING,
            Contact.inbox_id == inbox_id,
            Contact.source_id == source_id,
            Message.delivery_status.in_((DeliveryStatus.SENT, DeliveryStatus.DELIVERED)),
            Message.created_at <= until,
        )
        .order_by(Message.created_at)
        .with_for_update(of=Message)
    ).all()
    changed = sum(_advance(session, message, status, None) for message in messages)
    session.commit()
    return changed


def _advance(session: Session, message: Message, status: DeliveryStatus, error: str | None) -> bool:
    target = lifecycle.next_delivery_status(message.delivery_status, status)
    if target is None or target is message.delivery_status:
        return False
    message.delivery_status = target
    message.delivery_error = (error or "unknown error")[:4000] if target is DeliveryStatus.FAILED else None
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None
    announce(
        session,
        conversation,
        InboxTopic.MESSAGE_STATUS,
        f"Message {target.value}",
        message_id=str(message.id),
        delivery_status=target.value,
    )
    return True
