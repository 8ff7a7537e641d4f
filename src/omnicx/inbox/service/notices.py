"""Notices: a message the workspace itself sends to a customer (an order ready for pickup...) on the channel
the customer last used, delivered like an agent's reply.

The preferred channel is the one of the customer's most recent conversation, across every contact of the
customer and of the customers merged into them. A customer who never wrote but has an email address gets a new
email conversation, created *resolved*: it waits on nobody, stays out of the agents' queue and SLA clocks, and
the customer's answer reopens it (or starts a new one) through the normal inbound rules.

`notify_customer` writes in the caller's transaction and never commits. The message id is derived from the
caller's `key`, so a replayed call finds the notice already posted, and its delivery job is keyed by that id.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.identity import service as identity_service
from omnicx.identity.errors import CustomerNotFound
from omnicx.identity.schemas import IdentifierKind
from omnicx.inbox.enums import (
    ConversationEventKind,
    ConversationStatus,
    DeliveryStatus,
    InboxTopic,
    MessageKind,
    MessagingChannel,
)
from omnicx.inbox.models import Contact, Conversation, Inbox, Message
from omnicx.inbox.schemas import InboundMessage, NoticeResult
from omnicx.inbox.sentiment import detect_language
from omnicx.inbox.service.claims import Proof
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.inboxes import receives
from omnicx.inbox.service.realtime import announce
from omnicx.inbox.service.replies import (
    DELIVER_ATTEMPTS,
    DELIVER_JOB,
    _message_id_domain,
    _reply_subject,
    _thread_headers,
)
from omnicx.inbox.service.search import add_text
from omnicx.inbox.service.senders import contact_for
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service

_NOTICE_NAMESPACE = uuid.UUID("7b0f3c5e-4a55-4f43-9d8e-0c1f6a2b9e11")


def notice_message_id(workspace_id: uuid.UUID, key: str) -> uuid.UUID:
    """The stable id of the notice posted for `key` in a workspace (same key, same message)."""
    return uuid.uuid5(_NOTICE_NAMESPACE, f"{workspace_id}:{key}")


def notify_customer(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_id: uuid.UUID,
    subject: str,
    text: str,
    key: str,
    now: datetime | None = None,
) -> NoticeResult | None:
    """Post `text` to the customer on their preferred channel and queue its delivery; None if there is none.

    Exactly once per `key`: a second call returns the first notice (`duplicate=True`) and sends nothing.
    """
    message_id = notice_message_id(workspace_id, key)
    existing = _existing(session, workspace_id, message_id)
    if existing is not None:
        return existing
    try:
        lineage = identity_service.customer_lineage(
            session, workspace_id=workspace_id, customer_id=customer_id
        )
    except CustomerNotFound:
        return None  # erased or unknown: nobody to tell
    now = now or utcnow()
    conversation = _latest_conversation(session, workspace_id, lineage)
    created = False
    if conversation is None:
        conversation = _new_email_conversation(session, workspace_id, lineage[0], subject, now)
        created = conversation is not None
    if conversation is None:
        return None
    return _post(session, conversation, message_id, subject, text, now, new_conversation=created)


def customer_language(
    session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID, default: str
) -> str:
    """The language to tell a customer something in: the one they wrote their latest messages in, in any of
    their conversations (merged profiles included), else `default` (the workspace's)."""
    try:
        lineage = identity_service.customer_lineage(
            session, workspace_id=workspace_id, customer_id=customer_id
        )
    except CustomerNotFound:
        return default
    latest = session.scalars(
        select(Message.text)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.customer_id.in_(lineage),
            Message.kind == MessageKind.INCOMING,
        )
        .order_by(Message.created_at.desc())
        .limit(5)
    ).all()
    written = " ".join(latest)[-2000:]
    return detect_language(written) if written.strip() else default


def notify_in_conversation(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    subject: str,
    text: str,
    key: str,
    now: datetime | None = None,
) -> NoticeResult | None:
    """Post `text` in one conversation, on its own channel, and queue its delivery (a question about that
    conversation, such as its satisfaction survey); None if it is not the workspace's or was merged away.

    Exactly once per `key`, as `notify_customer`; the conversation keeps its status.
    """
    message_id = notice_message_id(workspace_id, key)
    existing = _existing(session, workspace_id, message_id)
    if existing is not None:
        return existing
    conversation = session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id, Conversation.workspace_id == workspace_id)
        .with_for_update()
    )
    if conversation is None or conversation.merged_into_id is not None:
        return None
    # It answers within the conversation's thread: "Re: <its subject>", as an agent's reply would.
    return _post(session, conversation, message_id, _reply_subject(subject), text, now or utcnow())


def record_rating(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    conversation_id: uuid.UUID,
    rating: int,
    comment: str,
    scale: int,
) -> None:
    """Write the customer's rating of a conversation into its history and show it live on the agent's screen;
    no commit. The survey and its answer are the feedback domain's; the history only tells the story."""
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.id == conversation_id, Conversation.workspace_id == workspace_id
        )
    )
    if conversation is None:
        return
    record_event(
        session,
        conversation,
        ConversationEventKind.RATED,
        actor_label=_sender_label(session, conversation),
        detail={"rating": rating, "scale": scale, "comment": comment[:500]},
    )
    announce(session, conversation, InboxTopic.CONVERSATION_UPDATED, f"Rated {rating}/{scale}")


def _sender_label(session: Session, conversation: Conversation) -> str:
    contact = session.get(Contact, conversation.contact_id)
    return (contact.name or contact.email or contact.source_id) if contact is not None else ""


def _existing(session: Session, workspace_id: uuid.UUID, message_id: uuid.UUID) -> NoticeResult | None:
    row = session.execute(
        select(Message, Inbox)
        .join(Inbox, Inbox.id == Message.inbox_id)
        .where(Message.id == message_id, Message.workspace_id == workspace_id)
    ).first()
    if row is None:
        return None
    message, inbox = row
    return NoticeResult(
        conversation_id=message.conversation_id,
        message_id=message.id,
        channel=inbox.channel,
        inbox_id=inbox.id,
        inbox_name=inbox.name,
        duplicate=True,
    )


def _latest_conversation(
    session: Session, workspace_id: uuid.UUID, lineage: list[uuid.UUID]
) -> Conversation | None:
    """The customer's most recently active conversation (any contact, any merged id; merged-away ones skipped)."""
    return session.scalar(
        select(Conversation)
        .join(Contact, Contact.id == Conversation.contact_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.merged_into_id.is_(None),
            or_(Conversation.customer_id.in_(lineage), Contact.customer_id.in_(lineage)),
        )
        .order_by(
            func.coalesce(Conversation.last_message_at, Conversation.created_at).desc(),
            Conversation.created_at.desc(),
        )
        .limit(1)
        .with_for_update()
    )


def _email_of(session: Session, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> str | None:
    identifiers = identity_service.list_identifiers(
        session, workspace_id=workspace_id, customer_id=customer_id
    )
    return next((i.value for i in identifiers if i.kind is IdentifierKind.EMAIL), None)


def _new_email_conversation(
    session: Session, workspace_id: uuid.UUID, customer_id: uuid.UUID, subject: str, now: datetime
) -> Conversation | None:
    """A resolved email conversation with the customer's address, on the workspace's first email inbox whose
    address it has proven."""
    email = _email_of(session, workspace_id, customer_id)
    inboxes = session.scalars(
        select(Inbox)
        .where(Inbox.workspace_id == workspace_id, Inbox.channel == MessagingChannel.EMAIL)
        .order_by(Inbox.created_at, Inbox.id)
    )
    # Only from an address the workspace has proven: an unverified inbox neither receives nor sends.
    inbox = next((i for i in inboxes if receives(session, i)), None)
    if email is None or inbox is None:
        return None
    # The address is the customer's own, read from their profile: its contact is the one authenticated mail
    # from it reaches (never a claimed one), linked to them. Nobody wrote: nothing is proven or claimed.
    contact, _ = contact_for(
        session, inbox, InboundMessage(source_id=email, email=email), Proof(verified=False), now
    )
    if contact.customer_id is None:
        contact.customer_id = customer_id
    conversation = Conversation(
        workspace_id=workspace_id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        open_contact_id=None,
        customer_id=contact.customer_id or customer_id,
        subject=subject[:500],
        status=ConversationStatus.RESOLVED,
        resolved_at=now,
        team_id=inbox.team_id,
        created_at=now,
        updated_at=now,
    )
    session.add(conversation)
    session.flush()
    record_event(
        session,
        conversation,
        ConversationEventKind.CREATED,
        actor_label="notice",
        detail={"inbox": inbox.name},
        at=now,
    )
    announce(session, conversation, InboxTopic.CONVERSATION_CREATED, f"Notice to {email}")
    return conversation


def _post(
    session: Session,
    conversation: Conversation,
    message_id: uuid.UUID,
    subject: str,
    text: str,
    now: datetime,
    *,
    new_conversation: bool = False,
) -> NoticeResult:
    """The outgoing message, its event, its delivery job and the live announcement; SLA clocks untouched."""
    inbox = session.get(Inbox, conversation.inbox_id)
    assert inbox is not None
    workspace = auth_service.get_workspace(session, workspace_id=conversation.workspace_id)
    message = Message(
        id=message_id,
        workspace_id=conversation.workspace_id,
        inbox_id=inbox.id,
        conversation_id=conversation.id,
        kind=MessageKind.OUTGOING,
        author_user_id=None,
        author_label=workspace.name,
        subject=subject[:500],
        text=text,
        provider_message_id=f"<{message_id}@{_message_id_domain(inbox)}>",
        references=_thread_headers(session, conversation),
        delivery_status=DeliveryStatus.PENDING,
        created_at=now,
    )
    session.add(message)
    conversation.last_message_at = now
    conversation.updated_at = now
    add_text(conversation, text)
    session.flush()
    record_event(
        session,
        conversation,
        ConversationEventKind.NOTICE_SENT,
        actor_label=workspace.name,
        detail={"message_id": str(message_id)},
        at=now,
    )
    jobs_service.enqueue(
        session,
        kind=DELIVER_JOB,
        payload={"message_id": str(message_id)},
        max_attempts=DELIVER_ATTEMPTS,
        workspace_id=conversation.workspace_id,
        idempotency_key=str(message_id),
    )
    announce(
        session,
        conversation,
        InboxTopic.MESSAGE_CREATED,
        f"{workspace.name}: {text[:80]}",
        message_id=str(message_id),
        kind=MessageKind.OUTGOING.value,
    )
    return NoticeResult(
        conversation_id=conversation.id,
        message_id=message_id,
        channel=inbox.channel,
        inbox_id=inbox.id,
        inbox_name=inbox.name,
        new_conversation=new_conversation,
    )
