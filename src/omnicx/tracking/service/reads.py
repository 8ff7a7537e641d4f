"""Reads of a customer's recent events for other domains (what led to a conversation).

Reports over many customers do not read here: they query the analytics copy (`omnicx.analytics`).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.tracking.models import Event
from omnicx.tracking.schemas import EventPublic


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


def recent_anonymous_ids(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, limit: int
) -> list[str]:
    """Devices (tracking anonymous ids) seen since `since`, the latest first, each once."""
    rows = session.execute(
        select(Event.anonymous_id, func.max(Event.timestamp).label("last"))
        .where(Event.workspace_id == workspace_id, Event.timestamp >= since, Event.anonymous_id.is_not(None))
        .group_by(Event.anonymous_id)
        .order_by(func.max(Event.timestamp).desc(), Event.anonymous_id)
        .limit(limit)
    )
    return [str(row.anonymous_id) for row in rows]
