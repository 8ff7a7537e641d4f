"""Sessions in the database: rebuilt per customer from the affected point onwards, whatever order events land
in.

An event may arrive late (offline device, import, retry). Instead of patching sessions, each touched
customer's sessions from the one containing (or just before) the earliest new event are deleted and recomputed
from their events by the pure sessioniser, with their touchpoints. Recomputing is idempotent, so the job may
safely run twice. One job touches up to a hundred customers, so every step works on all of them at once: a
handful of statements per job, not a handful per customer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, select, text
from sqlalchemy.orm import Session

from omnicx.analytics.enums import Stream
from omnicx.kernel.db import insert_rows, new_id, utcnow
from omnicx.kernel.jobs.feed import record_changes
from omnicx.tracking.channel_grouping import Rule, Traffic, classify
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.schemas import SessionPublic
from omnicx.tracking.sessionize import INACTIVITY, Hit, SessionSpan, sessionize

SESSION_TOUCHPOINT_KIND = "session"
SESSION_TOUCHPOINT_SOURCE = "session"


def _table(model: type[TrackingSession] | type[Touchpoint]) -> Table:
    return model.__table__  # type: ignore[return-value]


def _lock_customers(session: Session, customer_ids: Sequence[uuid.UUID]) -> None:
    """Serialise rebuilds of the same customers until the end of the transaction.

    Two workers rebuilding one customer at once would each delete and re-insert the window and leave both
    copies. On PostgreSQL, transaction-scoped advisory locks keyed on the customers (taken in a fixed order,
    so two jobs cannot deadlock) make the second wait and then see the first one's sessions; SQLite already
    admits one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql" or not customer_ids:
        return
    keys = sorted({int.from_bytes(c.bytes[:8], "big", signed=True) for c in customer_ids})
    session.execute(
        text(
            "SELECT count(pg_advisory_xact_lock(k)) "
            "FROM (SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"
        ),
        {"keys": keys},
    )


def _windows(
    session: Session, workspace_id: uuid.UUID, since: Mapping[uuid.UUID, datetime]
) -> tuple[dict[uuid.UUID, datetime], list[uuid.UUID]]:
    """Per customer, where recomputing begins (the start of the session `since` may extend, else `since`), and
    the ids of the sessions from there on, which are about to be replaced."""
    floor = min(since.values()) - INACTIVITY
    rows = session.execute(
        select(
            TrackingSession.id,
            TrackingSession.customer_id,
            TrackingSession.started_at,
            TrackingSession.ended_at,
        )
        .where(
            TrackingSession.workspace_id == workspace_id,
            TrackingSession.customer_id.in_(list(since)),
            TrackingSession.ended_at >= floor,
        )
        .order_by(TrackingSession.started_at)
    ).all()
    starts = dict(since)
    for row in rows:
        if row.started_at <= since[row.customer_id] <= row.ended_at + INACTIVITY:
            starts[row.customer_id] = min(starts[row.customer_id], row.started_at)
    stale = [row.id for row in rows if row.started_at >= starts[row.customer_id]]
    return starts, stale


PAYLOAD_CHUNK = 5000


def _hits(
    session: Session,
    workspace_id: uuid.UUID,
    starts: Mapping[uuid.UUID, datetime],
    known: Mapping[uuid.UUID, Hit],
) -> dict[uuid.UUID, list[Hit]]:
    """Each customer's hits from its start on, in time order. The window is read without payloads; events the
    caller already holds as `known` hits (the job's own, usually nearly all) are not read or decoded again."""
    rows = session.execute(
        select(Event.id, Event.customer_id, Event.timestamp)
        .where(
            Event.workspace_id == workspace_id,
            Event.customer_id.in_(list(starts)),
            Event.timestamp >= min(starts.values()),
        )
        .order_by(Event.timestamp, Event.id)
    ).all()
    window = [row for row in rows if row.timestamp >= starts[row.customer_id]]
    missing = [row.id for row in window if row.id not in known]
    payloads: dict[uuid.UUID, dict[str, Any]] = {}
    for start in range(0, len(missing), PAYLOAD_CHUNK):
        chunk = missing[start : start + PAYLOAD_CHUNK]
        for event_id, payload in session.execute(select(Event.id, Event.payload).where(Event.id.in_(chunk))):
            payloads[event_id] = payload
    hits: dict[uuid.UUID, list[Hit]] = defaultdict(list)
    for row in window:
        hit = known.get(row.id) or Hit.from_message(str(row.id), row.timestamp, payloads[row.id])
        hits[row.customer_id].append(hit)
    return hits


def _session_row(
    workspace_id: uuid.UUID, customer_id: uuid.UUID, span: SessionSpan, channel: str
) -> dict[str, Any]:
    return {
        "id": new_id(),
        "workspace_id": workspace_id,
        "customer_id": customer_id,
        "started_at": span.start,
        "ended_at": span.end,
        "duration_seconds": span.duration_seconds,
        "device_category": span.device_category,
        "landing_page": span.landing_page,
        "source": span.source[:200],
        "medium": span.medium[:200],
        "campaign": span.campaign[:200] or None,
        "channel": channel,
        "page_views": span.page_views,
        "event_count": len(span.hit_ids),
        "engaged": span.engaged,
        "bounced": span.bounced,
    }


def _touchpoint_row(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A session's touchpoint: at its start, through its channel, for attribution."""
    return {
        "id": new_id(),
        "workspace_id": row["workspace_id"],
        "customer_id": row["customer_id"],
        "at": row["started_at"],
        "channel": row["channel"],
        "kind": SESSION_TOUCHPOINT_KIND,
        "source": SESSION_TOUCHPOINT_SOURCE,
        "session_id": row["id"],
        "detail": {
            "source": row["source"],
            "medium": row["medium"],
            "campaign": row["campaign"],
            "landing_page": row["landing_page"],
            "device_category": row["device_category"],
        },
        "dedup_key": None,
        "created_at": now,
    }


def rebuild_sessions_many(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    since: Mapping[uuid.UUID, datetime],
    rules: Sequence[Rule],
    known: Mapping[uuid.UUID, Hit] | None = None,
) -> int:
    """Recompute the sessions (and their touchpoints) of every customer in `since` from the session containing
    their `since` time onwards; flushes. Returns how many sessions now cover those windows. `known`: hits the
    caller already built from events it loaded (by event id), so they are not read again."""
    if not since:
        return 0
    _lock_customers(session, list(since))
    starts, stale = _windows(session, workspace_id, since)
    stale_touches: list[uuid.UUID] = []
    if stale:
        stale_touches = list(
            session.scalars(
                delete(Touchpoint).where(Touchpoint.session_id.in_(stale)).returning(Touchpoint.id),
                execution_options={"synchronize_session": False},
            )
        )
        session.execute(delete(TrackingSession).where(TrackingSession.id.in_(stale)))
    channels: dict[Traffic, str] = {}  # the same few sources and campaigns recur: classify each once

    def channel_of(span: SessionSpan) -> str:
        traffic = Traffic(span.source, span.medium, span.campaign)
        if traffic not in channels:
            channels[traffic] = classify(traffic, rules)
        return channels[traffic]

    rows = [
        _session_row(workspace_id, customer_id, span, channel_of(span))
        for customer_id, hits in _hits(session, workspace_id, starts, known or {}).items()
        for span in sessionize(hits)
    ]
    touches: list[dict[str, Any]] = []
    if rows:
        now = utcnow()
        touches = [_touchpoint_row(row, now) for row in rows]
        insert_rows(session, _table(TrackingSession), rows)
        insert_rows(session, _table(Touchpoint), touches)
    record_changes(
        session,
        workspace_id=workspace_id,
        stream=Stream.SESSIONS.value,
        upserted=[r["id"] for r in rows],
        deleted=stale,
    )
    record_changes(
        session,
        workspace_id=workspace_id,
        stream=Stream.TOUCHPOINTS.value,
        upserted=[t["id"] for t in touches],
        deleted=stale_touches,
    )
    return len(rows)


def rebuild_sessions(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_id: uuid.UUID,
    since: datetime,
    rules: Sequence[Rule],
) -> int:
    """`rebuild_sessions_many` for one customer."""
    return rebuild_sessions_many(session, workspace_id=workspace_id, since={customer_id: since}, rules=rules)


def list_sessions(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_ids: Sequence[uuid.UUID] | None = None,
    offset: int = 0,
    limit: int = 50,
) -> list[SessionPublic]:
    """Sessions newest first, optionally of some customers."""
    stmt = select(TrackingSession).where(TrackingSession.workspace_id == workspace_id)
    if customer_ids is not None:
        stmt = stmt.where(TrackingSession.customer_id.in_(list(customer_ids)))
    rows = session.scalars(stmt.order_by(TrackingSession.started_at.desc()).offset(offset).limit(limit))
    return [SessionPublic.model_validate(r) for r in rows]
