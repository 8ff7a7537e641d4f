"""Where an inbound message goes: the conversation it threads into, the contact's active one, or their latest
(woken, reopened within the inbox's reopen window), else a new conversation. The rules are pure
(`lifecycle.place_inbound`); this module finds the candidates and applies the outcome.

A contact holds at most one active conversation (`open_contact_id` is unique): two messages of a new sender
arriving at once open one conversation, the losing insert undone in its savepoint and the winner joined.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.inbox import lifecycle
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic
from omnicx.inbox.models import Contact, Conversation, Inbox, Message
from omnicx.inbox.schemas import InboundMessage
from omnicx.inbox.service.answers import taken_as_answer
from omnicx.inbox.service.assignment import auto_assign
from omnicx.inbox.service.history import record_event
from omnicx.inbox.service.realtime import announce
from omnicx.kernel.db import new_id

_ACTIVE = (
    select(Conversation).where(Conversation.open_contact_id == bindparam("contact_id")).with_for_update()
)


def _reopen_window(inbox: Inbox) -> timedelta:
    return timedelta(hours=inbox.reopen_window_hours)


def _thread_conversation(
    session: Session, inbox: Inbox, contact: Contact, message: InboundMessage
) -> Conversation | None:
    """The contact's conversation this message replies to: References first (newest last), then In-Reply-To.

    A thread belonging to another sender is not joined: their reply starts their own conversation. A reply sent
    to this contact from another channel's conversation (`Message.via_contact_id`) is theirs to answer. Mail whose
    From was not authenticated has a contact of its own (`Contact.claimed`), so a forged From with the right
    `In-Reply-To` never joins the authenticated sender's conversations (`inbox/service/claims.py`).
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
            or_(Conversation.contact_id == contact.id, Message.via_contact_id == contact.id),
        )
    ).all()
    by_id = {row[0]: row[1] for row in rows}
    return next((by_id[c] for c in candidates if c in by_id), None)


def active_conversation(session: Session, contact: Contact) -> Conversation | None:
    return session.scalar(_ACTIVE, {"contact_id": contact.id})


def _latest(session: Session, contact: Contact) -> Conversation | None:
    """The contact's latest conversation that may reopen (one merged into another never does): their own, or
    one an agent continued on this contact's channel (`continuation.py`), whichever saw a message last."""
    continued = select(Message.conversation_id).where(Message.via_contact_id == contact.id)
    return session.scalar(
        select(Conversation)
        .where(
            or_(Conversation.contact_id == contact.id, Conversation.id.in_(continued)),
            Conversation.merged_into_id.is_(None),
        )
        .order_by(func.coalesce(Conversation.last_message_at, Conversation.created_at).desc())
        .limit(1)
    )


def place(
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
        reopen_window=_reopen_window(inbox),
    )
    if active is not None and (candidate is not active):
        # The contact already has an active conversation: never open a second one.
        candidate, placement = (
            active,
            lifecycle.place_inbound(
                lifecycle.Candidate(active.status, active.resolved_at),
                now=now,
                reopen_window=_reopen_window(inbox),
            ),
        )
    if (
        candidate is not None
        and candidate.status is ConversationStatus.RESOLVED
        and placement in (lifecycle.Placement.REOPEN, lifecycle.Placement.NEW)
        and taken_as_answer(session, candidate, inbox, contact, message.text, now)
    ):
        return candidate, False, True  # an answer to what was asked after the resolution: it stays resolved
    if placement is lifecycle.Placement.NEW or candidate is None:
        return (*open_new(session, inbox, contact, message, now), False)
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


def open_new(
    session: Session,
    inbox: Inbox,
    contact: Contact,
    message: InboundMessage,
    now: datetime,
    *,
    fresh_contact: bool = False,
) -> tuple[Conversation, bool]:
    """A new active conversation of `contact`, or the one a concurrent message of theirs opened first.

    `fresh_contact`: the contact was created in this transaction, so no other transaction can hold a
    conversation of theirs (it cannot see the contact yet) and the insert needs no savepoint to recover from.
    """
    conversation = Conversation(
        id=new_id(),
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
        last_message_at=now,
        waiting_since=now,
    )
    if fresh_contact:
        session.add(conversation)  # inserted at the next flush, with what the message sets on it
        return _opened(session, inbox, contact, conversation)
    try:
        with session.begin_nested():
            session.add(conversation)
            session.flush()
    except IntegrityError:
        # A concurrent message of the same sender opened it first: join it.
        winner = active_conversation(session, contact)
        if winner is None:
            raise
        return winner, False
    return _opened(session, inbox, contact, conversation)


def _opened(
    session: Session, inbox: Inbox, contact: Contact, conversation: Conversation
) -> tuple[Conversation, bool]:
    record_event(
        session,
        conversation,
        ConversationEventKind.CREATED,
        actor_label=contact.source_id,
        detail={"inbox": inbox.name},
    )
    auto_assign(session, conversation, inbox)
    return conversation, True
