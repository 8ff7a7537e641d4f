"""GDPR erasure and export of what tracking holds about a customer: events, rejected events, sessions,
touchpoints.

Registered with identity (`register_eraser`, `register_exporter`), which calls them with the data subject: the
customer's ids (the survivor and every id merged into it) and identifiers. Events not resolved to a customer
(stored before the person was known, or while an identifier was suppressed) are found by their userId or
anonymousId, or by an email in their traits; refused events of a batch, which are never resolved, the same way.
Phones in traits are not searched: they arrive in too many spellings to match reliably in SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select
from sqlalchemy.orm import Session

from omnicx.identity.schemas import DataSubject, IdentifierKind
from omnicx.kernel.db import rowcount
from omnicx.tracking.models import Event, RejectedEvent, Touchpoint, TrackingSession
from omnicx.tracking.schemas import (
    EventPublic,
    RejectedEventPublic,
    SessionPublic,
    TouchpointPublic,
)

# Where a Segment message carries an email about its sender.
_EMAIL_PATHS = (("traits", "email"), ("context", "traits", "email"))


def _carries_identifiers(payload: Any, subject: DataSubject) -> list[ColumnElement[bool]]:
    """Conditions on a stored message (`payload`) naming one of the subject's user ids, anonymous ids or
    emails."""
    tests: list[ColumnElement[bool]] = []
    for key, kind in (("userId", IdentifierKind.USER_ID), ("anonymousId", IdentifierKind.ANONYMOUS_ID)):
        values = subject.values(kind)
        if values:
            tests.append(payload[key].as_string().in_(values))
    emails = subject.values(IdentifierKind.EMAIL)
    if emails:
        tests.extend(func.lower(payload[path].as_string()).in_(emails) for path in _EMAIL_PATHS)
    return tests


def _events_of(subject: DataSubject) -> ColumnElement[bool]:
    """The subject's events: resolved to one of their ids, or (unresolved) carrying one of their identifiers."""
    matches: list[ColumnElement[bool]] = [Event.customer_id.in_(subject.customer_ids)]
    user_ids = subject.values(IdentifierKind.USER_ID)
    anonymous_ids = subject.values(IdentifierKind.ANONYMOUS_ID)
    if user_ids:
        matches.append(Event.user_id.in_(user_ids))
    if anonymous_ids:
        matches.append(Event.anonymous_id.in_(anonymous_ids))
    emails = subject.values(IdentifierKind.EMAIL)
    if emails:
        by_email = [func.lower(Event.payload[path].as_string()).in_(emails) for path in _EMAIL_PATHS]
        matches.append(Event.customer_id.is_(None) & or_(*by_email))
    return (Event.workspace_id == subject.workspace_id) & or_(*matches)


def _rejected_of(subject: DataSubject) -> ColumnElement[bool]:
    tests = _carries_identifiers(RejectedEvent.payload, subject)
    return (RejectedEvent.workspace_id == subject.workspace_id) & (or_(*tests) if tests else false())


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Delete the customer's touchpoints, sessions, events and refused events in the caller's transaction;
    returns rows deleted."""
    ids = list(subject.customer_ids)
    deleted = rowcount(
        session.execute(
            delete(Touchpoint).where(
                Touchpoint.workspace_id == subject.workspace_id, Touchpoint.customer_id.in_(ids)
            )
        )
    )
    deleted += rowcount(
        session.execute(
            delete(TrackingSession).where(
                TrackingSession.workspace_id == subject.workspace_id, TrackingSession.customer_id.in_(ids)
            )
        )
    )
    deleted += rowcount(session.execute(delete(Event).where(_events_of(subject))))
    deleted += rowcount(session.execute(delete(RejectedEvent).where(_rejected_of(subject))))
    return deleted


def export_customer_data(session: Session, subject: DataSubject) -> dict[str, Any]:
    """Every event (as stored, context included), refused event, session and touchpoint of the customer."""
    ids = list(subject.customer_ids)
    events = session.scalars(select(Event).where(_events_of(subject)).order_by(Event.timestamp, Event.id))
    rejected = session.scalars(
        select(RejectedEvent)
        .where(_rejected_of(subject))
        .order_by(RejectedEvent.received_at, RejectedEvent.id)
    )
    sessions = session.scalars(
        select(TrackingSession)
        .where(TrackingSession.workspace_id == subject.workspace_id, TrackingSession.customer_id.in_(ids))
        .order_by(TrackingSession.started_at, TrackingSession.id)
    )
    touchpoints = session.scalars(
        select(Touchpoint)
        .where(Touchpoint.workspace_id == subject.workspace_id, Touchpoint.customer_id.in_(ids))
        .order_by(Touchpoint.at, Touchpoint.id)
    )
    return {
        "events": [EventPublic.model_validate(e).model_dump(mode="json") for e in events],
        "rejected_events": [RejectedEventPublic.model_validate(r).model_dump(mode="json") for r in rejected],
        "sessions": [SessionPublic.model_validate(s).model_dump(mode="json") for s in sessions],
        "touchpoints": [TouchpointPublic.model_validate(t).model_dump(mode="json") for t in touchpoints],
    }
