"""Full-text search over conversations: message text, subject, contact name and email.

Each conversation keeps a folded search document (`search_text`: lower case, accents removed) that grows with
every message in the same transaction that stores the message, so a search never misses a committed message
and needs no background indexer. A query matches when every word appears in the document (substring match,
so "refund" finds "refunded"); it runs the same on SQLite and PostgreSQL. `bench/inbox_latency.py` times it
on 100,000 conversations.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement

from omnicx.inbox.folding import fold, terms
from omnicx.inbox.models import Contact, Conversation

MAX_TERMS = 8


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(query: str) -> list[ColumnElement[bool]]:
    """SQL conditions: every word of `query` appears in the conversation's search document."""
    return [
        Conversation.search_text.like(f"%{_escape(term)}%", escape="\\") for term in terms(query)[:MAX_TERMS]
    ]


def add_text(conversation: Conversation, *texts: str | None) -> None:
    """Append texts to the conversation's search document (in the caller's transaction)."""
    added = " ".join(fold(t) for t in texts if t)
    if added:
        conversation.search_text = f"{conversation.search_text or ''} {added}".strip()


def add_contact(conversation: Conversation, contact: Contact) -> None:
    """Make the conversation findable by its contact (once: when its document is still empty)."""
    if not conversation.search_text:
        add_text(conversation, contact.name, contact.email, contact.source_id, conversation.subject)
