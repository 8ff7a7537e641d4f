"""What follows a resolution, owned by other domains: listeners the composition root registers run in the
transaction that resolves a conversation (an agent's change or the inactivity timer), before it commits.

A satisfaction survey asked after a resolution commits with it or not at all, and the inbox imports none of
the domains that listen, as with reply listeners (`replies.register_reply_listener`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.orm import Session

from omnicx.inbox.models import Conversation, Inbox
from omnicx.inbox.schemas import ResolvedConversation

ResolvedListener = Callable[[Session, ResolvedConversation], None]
_RESOLVED_LISTENERS: dict[str, ResolvedListener] = {}


def register_resolved_listener(name: str, listener: ResolvedListener) -> None:
    """Have `listener(session, resolved)` run in the transaction of every resolution (registering a name again
    replaces its listener)."""
    _RESOLVED_LISTENERS[name] = listener


def tell_resolved(
    session: Session, conversation: Conversation, inbox: Inbox, *, at: datetime, by_inactivity: bool
) -> None:
    """Tell every listener that `conversation` was just resolved."""
    if not _RESOLVED_LISTENERS:
        return
    resolved = ResolvedConversation(
        workspace_id=conversation.workspace_id,
        conversation_id=conversation.id,
        inbox_id=inbox.id,
        channel=inbox.channel,
        contact_id=conversation.contact_id,
        customer_id=conversation.customer_id,
        assignee_id=conversation.assignee_id,
        team_id=conversation.team_id,
        resolved_at=at,
        by_inactivity=by_inactivity,
    )
    for listener in _RESOLVED_LISTENERS.values():
        listener(session, resolved)
