"""GDPR erasure of what tracking holds about a customer: events, sessions, touchpoints.

Registered with identity (`register_eraser`), which calls it inside its erasure job with the data subject: the
customer's ids (the survivor and every id merged into it) and identifiers. Events not yet resolved to a customer
are caught by their userId / anonymousId.
"""

from __future__ import annotations

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from omnicx.identity.schemas import DataSubject, IdentifierKind
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.service._sql import rowcount


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Delete the customer's touchpoints, sessions and events in the caller's transaction; returns rows
    deleted."""
    workspace_id = subject.workspace_id
    ids = list(subject.customer_ids)
    user_ids = subject.values(IdentifierKind.USER_ID)
    anonymous_ids = subject.values(IdentifierKind.ANONYMOUS_ID)
    deleted = rowcount(
        session.execute(
            delete(Touchpoint).where(Touchpoint.workspace_id == workspace_id, Touchpoint.customer_id.in_(ids))
        )
    )
    deleted += rowcount(
        session.execute(
            delete(TrackingSession).where(
                TrackingSession.workspace_id == workspace_id, TrackingSession.customer_id.in_(ids)
            )
        )
    )
    matches = [Event.customer_id.in_(ids)]
    if user_ids:
        matches.append(Event.user_id.in_(user_ids))
    if anonymous_ids:
        matches.append(Event.anonymous_id.in_(anonymous_ids))
    deleted += rowcount(
        session.execute(delete(Event).where(Event.workspace_id == workspace_id, or_(*matches)))
    )
    return deleted
