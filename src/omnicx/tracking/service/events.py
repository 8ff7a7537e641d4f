"""Reading the event store: the event list and debugger, rejected events, counts."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from omnicx.kernel.web.schemas import Page
from omnicx.tracking.errors import EventNotFound
from omnicx.tracking.models import Event, RejectedEvent
from omnicx.tracking.schemas import EventFilter, EventPublic, RejectedEventPublic
from omnicx.tracking.wire import mask_secrets


def _conditions(workspace_id: uuid.UUID, filters: EventFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Event.workspace_id == workspace_id]
    exact: dict[str, Any] = {
        "type": filters.type,
        "event": filters.event,
        "user_id": filters.user_id,
        "anonymous_id": filters.anonymous_id,
        "message_id": filters.message_id,
        "source_id": filters.source_id,
        "customer_id": filters.customer_id,
    }
    conditions += [getattr(Event, column) == value for column, value in exact.items() if value is not None]
    if filters.since is not None:
        conditions.append(Event.timestamp >= filters.since)
    if filters.until is not None:
        conditions.append(Event.timestamp < filters.until)
    return conditions


def list_events(
    session: Session, *, workspace_id: uuid.UUID, filters: EventFilter, offset: int = 0, limit: int = 50
) -> Page[EventPublic]:
    """Events newest first (by arrival), filtered; `total` counts every match."""
    conditions = _conditions(workspace_id, filters)
    total = session.scalar(select(func.count()).select_from(Event).where(*conditions)) or 0
    rows = session.scalars(
        select(Event)
        .where(*conditions)
        .order_by(Event.received_at.desc(), Event.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return Page[EventPublic](
        items=[EventPublic.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )


def get_event(session: Session, *, workspace_id: uuid.UUID, event_id: uuid.UUID) -> EventPublic:
    row = session.scalar(select(Event).where(Event.workspace_id == workspace_id, Event.id == event_id))
    if row is None:
        raise EventNotFound(f"event {event_id} not found")
    return EventPublic.model_validate(row)


def count_events(session: Session, *, workspace_id: uuid.UUID, source_id: uuid.UUID | None = None) -> int:
    stmt = select(func.count()).select_from(Event).where(Event.workspace_id == workspace_id)
    if source_id is not None:
        stmt = stmt.where(Event.source_id == source_id)
    return session.scalar(stmt) or 0


def list_rejected(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    source_id: uuid.UUID | None = None,
    code: str | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[RejectedEventPublic]:
    """Events refused from accepted batches, newest first, with the reason each was refused; secrets in what
    is shown of them masked."""
    conditions: list[ColumnElement[bool]] = [RejectedEvent.workspace_id == workspace_id]
    if source_id is not None:
        conditions.append(RejectedEvent.source_id == source_id)
    if code is not None:
        conditions.append(RejectedEvent.code == code)
    total = session.scalar(select(func.count()).select_from(RejectedEvent).where(*conditions)) or 0
    rows = session.scalars(
        select(RejectedEvent)
        .where(*conditions)
        .order_by(RejectedEvent.received_at.desc(), RejectedEvent.id.desc())
        .offset(offset)
        .limit(limit)
    )
    # Masked again when read: rows stored before rejected payloads were masked may hold write keys.
    items = [
        RejectedEventPublic.model_validate(r).model_copy(update={"payload": mask_secrets(r.payload)})
        for r in rows
    ]
    return Page[RejectedEventPublic](items=items, total=total, offset=offset, limit=limit)
