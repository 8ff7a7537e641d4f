"""What the analytics copy reads of tracking (events, sessions, touchpoints), and the changes it is told of.

Rows come out in the column order of the copy's tables (`omnicx.analytics.catalog`); the composition root
registers these functions as their feeders. Event payloads are cut down to what reports read: the properties,
the person's traits and the page address.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.analytics.service import Row
from omnicx.kernel.db import json_dumps
from omnicx.tracking.context import as_dict, text
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.service.processing import traits_of

CHUNK = 2000

_EVENT_COLUMNS = (
    Event.id,
    Event.customer_id,
    Event.type,
    Event.event,
    Event.timestamp,
    Event.received_at,
    Event.anonymous_id,
    Event.user_id,
    Event.payload,
)
_SESSION_COLUMNS = (
    TrackingSession.id,
    TrackingSession.customer_id,
    TrackingSession.started_at,
    TrackingSession.ended_at,
    TrackingSession.duration_seconds,
    TrackingSession.device_category,
    TrackingSession.landing_page,
    TrackingSession.source,
    TrackingSession.medium,
    TrackingSession.campaign,
    TrackingSession.channel,
    TrackingSession.page_views,
    TrackingSession.event_count,
    TrackingSession.engaged,
    TrackingSession.bounced,
)
_TOUCHPOINT_COLUMNS = (
    Touchpoint.id,
    Touchpoint.customer_id,
    Touchpoint.at,
    Touchpoint.channel,
    Touchpoint.kind,
    Touchpoint.source,
    Touchpoint.session_id,
)


def _traits(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The person's traits on an identify call: its own and its context's (a trait set in either counts)."""
    if kind != "identify":
        return traits_of(kind, payload) or {}
    merged = as_dict(as_dict(payload.get("context")).get("traits")).copy()
    for key, value in as_dict(payload.get("traits")).items():
        if value or key not in merged:
            merged[key] = value
    return merged


def _event_row(row: Any) -> Row:
    payload = row.payload or {}
    properties = as_dict(payload.get("properties"))
    traits = _traits(row.type, payload)
    page = as_dict(as_dict(payload.get("context")).get("page"))
    return (
        row.id,
        row.customer_id,
        row.type,
        row.event,
        row.timestamp,
        row.received_at,
        row.anonymous_id,
        row.user_id,
        text(page.get("url")) or None,
        json_dumps(properties) if properties else None,
        json_dumps(traits) if traits else None,
    )


def _by_ids(
    session: Session, columns: Sequence[Any], model: Any, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Any]:
    """Rows found by primary key, any of another workspace left out. The workspace is checked on the rows,
    not in the WHERE clause: with both, SQLite's planner walks the workspace's whole index instead of the ids
    (the sync slowed down as the store grew, as processing once did)."""
    stmt = select(*columns, model.workspace_id.label("row_workspace"))
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        chunk = session.execute(stmt.where(model.id.in_(list(ids[start : start + CHUNK])))).all()
        rows += [row for row in chunk if row.row_workspace == workspace_id]
    return rows


def copy_events(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    """The events with these ids, as the copy holds them (each with its customer once resolved)."""
    return [_event_row(row) for row in _by_ids(session, _EVENT_COLUMNS, Event, workspace_id, ids)]


def copy_sessions(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    return [tuple(row)[:-1] for row in _by_ids(session, _SESSION_COLUMNS, TrackingSession, workspace_id, ids)]


def copy_touchpoints(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    return [tuple(row)[:-1] for row in _by_ids(session, _TOUCHPOINT_COLUMNS, Touchpoint, workspace_id, ids)]


def _scan(
    session: Session, model: Any, columns: Sequence[Any], after: uuid.UUID | None, limit: int
) -> list[tuple[uuid.UUID, Any]]:
    stmt = select(model.workspace_id, *columns).order_by(model.id).limit(limit)
    if after is not None:
        stmt = stmt.where(model.id > after)
    return [(row[0], row[1:]) for row in session.execute(stmt)]


def scan_events(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    """Every workspace's events after id `after`, by id (a rebuild's pages)."""
    stmt = select(Event.workspace_id, *_EVENT_COLUMNS).order_by(Event.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Event.id > after)
    return [(row[0], _event_row(row)) for row in session.execute(stmt)]


def scan_sessions(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    return [(w, tuple(r)) for w, r in _scan(session, TrackingSession, _SESSION_COLUMNS, after, limit)]


def scan_touchpoints(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    return [(w, tuple(r)) for w, r in _scan(session, Touchpoint, _TOUCHPOINT_COLUMNS, after, limit)]


def count_copy_events(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def count_copy_sessions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(TrackingSession)) or 0)


def count_copy_touchpoints(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Touchpoint)) or 0)
