"""Answers to a question the workspace asked after a resolution (a satisfaction survey's "reply 1 to 5" on a text
channel): before a customer's message reopens their resolved conversation, the domains that asked something
may take it as their answer; a taken message joins the conversation and leaves it resolved.

The takers are registered by the composition root, and run in the message's transaction: the answer is stored
with the message or not at all, and the inbox imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from omnicx.inbox.models import Contact, Conversation, Inbox
from omnicx.inbox.schemas import InboundAnswer

AnswerTaker = Callable[[Session, InboundAnswer], bool]
_TAKERS: dict[str, AnswerTaker] = {}


def register_answer_taker(name: str, taker: AnswerTaker) -> None:
    """Have `taker(session, answer)` offered each message about to reopen a resolved conversation (or to start
    a new one after it); True means it was an answer and the conversation stays resolved."""
    _TAKERS[name] = taker


def taken_as_answer(
    session: Session, conversation: Conversation, inbox: Inbox, contact: Contact, text: str, now: datetime
) -> bool:
    """Whether a registered taker took `text` as its answer about `conversation` (resolved)."""
    if not _TAKERS or not text.strip():
        return False
    answer = InboundAnswer(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        contact_id=contact.id,
        channel=inbox.channel,
        text=text,
        at=now,
    )
    return any(taker(session, answer) for taker in _TAKERS.values())
