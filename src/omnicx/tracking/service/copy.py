"""What the analytics copy reads of tracking (events, sessions, touchpoints), and the changes it is told of.

Rows come out in the column order of the copy's tables (`omnicx.analytics.catalog`); the composition root
registers these functions as their feeders. Event payloads are cut down to what reports read: the properties,
the person's traits and the page address.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
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
    connection = session.connection()  # Core rows: the ORM's result layer cost as much as the query
    for start in range(0, len(ids), CHUNK):
        chunk = connection.execute(stmt.where(model.id.in_(list(ids[start : start + CHUNK])))).all()
        rows += [row for row in chunk if row.row_workspace == workspace_id]
    return rows


def copy_events(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    """The events with these ids, as the copy holds them (each with its customer once resolved)."""
    return [_event_row(row) for row in _by_ids(session, _EVENT_COLUMNS, Event, workspace_id, ids)]


def _plain(row: Any) -> Row:
    """A row's columns without the workspace selected after them."""
    return tuple(row)[:-1]


def copy_sessions(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    return [_plain(row) for row in _by_ids(session, _SESSION_COLUMNS, TrackingSession, workspace_id, ids)]


def copy_touchpoints(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    return [_plain(row) for row in _by_ids(session, _TOUCHPOINT_COLUMNS, Touchpoint, workspace_id, ids)]


def _scan(
    session: Session,
    model: Any,
    columns: Sequence[Any],
    after: uuid.UUID | None,
    limit: int,
    row_of: Callable[[Any], Row] | None = None,
) -> list[tuple[uuid.UUID, Row]]:
    """Every workspace's rows after id `after`, by id, at most `limit` (a rebuild's pages), each with its
    workspace."""
    stmt = select(*columns, model.workspace_id.label("row_workspace")).order_by(model.id).limit(limit)
    if after is not None:
        stmt = stmt.where(model.id > after)
    return [(row.row_workspace, (row_of or _plain)(row)) for row in session.connection().execute(stmt)]


def scan_events(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    return _scan(session, Event, _EVENT_COLUMNS, after, limit, _event_row)


def scan_sessions(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    return _scan(session, TrackingSession, _SESSION_COLUMNS, after, limit)


def scan_touchpoints(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    return _scan(session, Touchpoint, _TOUCHPOINT_COLUMNS, after, limit)


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def count_copy_events(session: Session) -> int:
    return _count(session, Event)


def count_copy_sessions(session: Session) -> int:
    return _count(session, TrackingSession)


def count_copy_touchpoints(session: Session) -> int:
    return _count(session, Touchpoint)
