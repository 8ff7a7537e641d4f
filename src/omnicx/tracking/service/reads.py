"""Bulk, column-shaped reads for analytical consumers (attribution, journeys, the Overview).

These return plain tuples rather than schemas: a report over a quarter reads tens of thousands of rows, and one
Pydantic object per row would cost more than the report itself. Customer ids are returned as stored; callers map
merged ids to survivors through the identity service.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.schemas import EventPublic

TouchRow = tuple[uuid.UUID, datetime, str]
EventRow = tuple[uuid.UUID, datetime, str, str | None, dict[str, Any]]


def touchpoint_rows(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> list[TouchRow]:
    """(customer id, time, channel) of every touchpoint in [since, until), by customer then time."""
    stmt = (
        select(Touchpoint.customer_id, Touchpoint.at, Touchpoint.channel)
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.at >= since, Touchpoint.at < until)
        .order_by(Touchpoint.customer_id, Touchpoint.at, Touchpoint.id)
    )
    return [(row[0], row[1], row[2]) for row in session.execute(stmt)]


def conversion_event_rows(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    since: datetime,
    until: datetime,
    event_names: Collection[str],
    types: Collection[str] = (),
) -> list[EventRow]:
    """(customer id, time, type, event name, payload) of resolved events that may be conversions.

    Matches track events by name, and whole message types (e.g. every `identify`); the caller applies the finer
    rules (a trait present, a property value) on the payload.
    """
    matches: list[ColumnElement[bool]] = []
    if event_names:
        matches.append((Event.type == "track") & Event.event.in_(list(event_names)))
    if types:
        matches.append(Event.type.in_(list(types)))
    if not matches:
        return []
    condition = or_(*matches)
    stmt = (
        select(Event.customer_id, Event.timestamp, Event.type, Event.event, Event.payload)
        .where(
            Event.workspace_id == workspace_id,
            Event.timestamp >= since,
            Event.timestamp < until,
            Event.customer_id.is_not(None),
            condition,
        )
        .order_by(Event.timestamp, Event.id)
    )
    return [(row[0], row[1], row[2], row[3], row[4]) for row in session.execute(stmt)]


def session_counts_by_channel(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, int]:
    """Sessions started in [since, until), per channel."""
    stmt = (
        select(TrackingSession.channel, func.count())
        .where(
            TrackingSession.workspace_id == workspace_id,
            TrackingSession.started_at >= since,
            TrackingSession.started_at < until,
        )
        .group_by(TrackingSession.channel)
    )
    return {channel: int(count) for channel, count in session.execute(stmt)}


def session_starts(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> list[tuple[datetime, str]]:
    """(start, channel) of every session started in [since, until), for trends bucketed by the caller.

    Buckets are days in the workspace's time zone, which SQLite and PostgreSQL would compute differently in SQL;
    two narrow columns per session are cheap to bucket in Python.
    """
    stmt = select(TrackingSession.started_at, TrackingSession.channel).where(
        TrackingSession.workspace_id == workspace_id,
        TrackingSession.started_at >= since,
        TrackingSession.started_at < until,
    )
    return [(row[0], row[1]) for row in session.execute(stmt)]


def customer_events_between(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_ids: Collection[uuid.UUID],
    since: datetime,
    until: datetime,
    limit: int = 50,
) -> list[EventPublic]:
    """The customers' resolved events in [since, until), oldest first (e.g. what led to a conversation)."""
    if not customer_ids:
        return []
    stmt = (
        select(Event)
        .where(
            Event.workspace_id == workspace_id,
            Event.customer_id.in_(list(customer_ids)),
            Event.timestamp >= since,
            Event.timestamp < until,
        )
        .order_by(Event.timestamp.desc(), Event.id)
        .limit(limit)
    )
    return [EventPublic.model_validate(row) for row in reversed(list(session.scalars(stmt)))]
