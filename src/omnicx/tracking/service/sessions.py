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
from dataclasses import dataclass, field
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
from omnicx.tracking.sessionize import INACTIVITY, Hit, OpenSession, SessionSpan, resume, sessionize

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


@dataclass
class _Window:
    """What a rebuild may replace: per customer, where recomputing begins (the start of the session `since`
    may extend, else `since`) and the stored sessions from there on (oldest first)."""

    since: Mapping[uuid.UUID, datetime]
    starts: dict[uuid.UUID, datetime]
    stale: dict[uuid.UUID, list[Any]]

    def open_session(self, customer_id: uuid.UUID) -> Any | None:
        """The session the customer's new events would only carry on: the stale one that ends last (alone),
        when all the new events come after its end. Sessions before it cannot change then."""
        sessions = self.stale.get(customer_id, [])
        if not sessions:
            return None
        last = max(sessions, key=lambda row: row.ended_at)
        if sum(1 for row in sessions if row.ended_at == last.ended_at) > 1:
            return None
        return last if last.ended_at < self.since[customer_id] else None


def _windows(session: Session, workspace_id: uuid.UUID, since: Mapping[uuid.UUID, datetime]) -> _Window:
    floor = min(since.values()) - INACTIVITY
    rows = (
        session.connection()
        .execute(
            select(*SESSION_SUMMARY)
            .where(
                TrackingSession.workspace_id == workspace_id,
                TrackingSession.customer_id.in_(list(since)),
                TrackingSession.ended_at >= floor,
            )
            .order_by(TrackingSession.started_at)
        )
        .all()
    )
    starts = dict(since)
    for row in rows:
        if row.started_at <= since[row.customer_id] <= row.ended_at + INACTIVITY:
            starts[row.customer_id] = min(starts[row.customer_id], row.started_at)
    stale: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        if row.started_at >= starts[row.customer_id]:
            stale[row.customer_id].append(row)
    return _Window(since, starts, stale)


SESSION_SUMMARY = (
    TrackingSession.id,
    TrackingSession.customer_id,
    TrackingSession.started_at,
    TrackingSession.ended_at,
    TrackingSession.event_count,
    TrackingSession.page_views,
    TrackingSession.engaged,
    TrackingSession.device_category,
    TrackingSession.landing_page,
    TrackingSession.source,
    TrackingSession.medium,
    TrackingSession.campaign,
)
PAYLOAD_CHUNK = 5000


@dataclass
class _Hits:
    """Each customer's hits to sessionise from its start, or (`resumed`) its open session and the hits that
    follow it."""

    full: dict[uuid.UUID, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    resumed: dict[uuid.UUID, tuple[OpenSession, list[Hit]]] = field(default_factory=dict)
    #: The stored sessions these hits replace: all the stale ones, or just the open one carried on.
    replaced: list[uuid.UUID] = field(default_factory=list)


def _hits(
    session: Session, workspace_id: uuid.UUID, window: _Window, known: Mapping[uuid.UUID, Hit]
) -> _Hits:
    """The hits to sessionise, read without payloads; events the caller already holds as `known` hits (the
    job's own, usually nearly all) are not read or decoded again. A customer whose open session the new events
    only follow (all known) is carried on from its row and its first event: of that session only the first
    event's body is read, and only from its start (the sessions before it cannot change)."""
    opens = {c: stored for c in window.starts if (stored := window.open_session(c)) is not None}
    bounds = {c: opens[c].started_at if c in opens else start for c, start in window.starts.items()}
    rows = _rows_from(session, workspace_id, bounds)
    firsts = {c: first for c in opens if (first := _opening(opens[c], rows.get(c, []), known)) is not None}
    if missed := opens.keys() - firsts.keys():  # read again from where a full rebuild starts
        rows.update(_rows_from(session, workspace_id, {c: window.starts[c] for c in missed}))
    needed = [
        r.id for c, rs in rows.items() for r in ([firsts[c]] if c in firsts else rs) if r.id not in known
    ]
    payloads = _payloads(session, needed)

    def hit(row: Any) -> Hit:
        return known.get(row.id) or Hit.from_message(str(row.id), row.timestamp, payloads[row.id])

    found = _Hits()
    for customer_id, first in firsts.items():
        stored = opens[customer_id]
        later = [hit(row) for row in rows[customer_id] if row.timestamp > stored.ended_at]
        found.resumed[customer_id] = (OpenSession(first=hit(first), span=_stored_span(stored)), later)
        found.replaced.append(stored.id)
    for customer_id in window.starts.keys() - firsts.keys():
        if customer_id in rows:
            found.full[customer_id] = [hit(row) for row in rows[customer_id]]
        found.replaced += [row.id for row in window.stale.get(customer_id, [])]
    return found


def _opening(stored: Any, rows: Sequence[Any], known: Mapping[uuid.UUID, Hit]) -> Any | None:
    """The first event of a customer's open session, if its rows from the session's start are the session's
    (as many as it counts, the first at its start) followed by known events only; else None."""
    held = [row for row in rows if row.timestamp <= stored.ended_at]
    if not held or len(held) != stored.event_count or held[0].timestamp != stored.started_at:
        return None
    return held[0] if all(row.id in known for row in rows[len(held) :]) else None


def _rows_from(
    session: Session, workspace_id: uuid.UUID, bounds: Mapping[uuid.UUID, datetime]
) -> dict[uuid.UUID, list[Any]]:
    """Each customer's events (id and time, in order) from its bound on."""
    if not bounds:
        return {}
    rows = (
        session.connection()
        .execute(
            select(Event.id, Event.customer_id, Event.timestamp)
            .where(
                Event.workspace_id == workspace_id,
                Event.customer_id.in_(list(bounds)),
                Event.timestamp >= min(bounds.values()),
            )
            .order_by(Event.timestamp, Event.id)
        )
        .all()
    )
    found: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        if row.timestamp >= bounds[row.customer_id]:
            found[row.customer_id].append(row)
    return found


def _payloads(session: Session, event_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, dict[str, Any]]:
    payloads: dict[uuid.UUID, dict[str, Any]] = {}
    for start in range(0, len(event_ids), PAYLOAD_CHUNK):
        chunk = event_ids[start : start + PAYLOAD_CHUNK]
        query = select(Event.id, Event.payload).where(Event.id.in_(chunk))
        payloads.update({row.id: row.payload for row in session.connection().execute(query)})
    return payloads


def _stored_span(row: Any) -> SessionSpan:
    """A session's row as the summary `resume` carries on."""
    return SessionSpan(
        start=row.started_at,
        end=row.ended_at,
        hit_ids=(),
        device_category=row.device_category,
        landing_page=row.landing_page,
        source=row.source,
        medium=row.medium,
        campaign=row.campaign or "",
        page_views=row.page_views,
        key_events=0,
        carried_events=row.event_count,
        carried_engaged=row.engaged,
    )


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
        "event_count": span.event_count,
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
    window = _windows(session, workspace_id, since)
    found = _hits(session, workspace_id, window, known or {})
    stale = found.replaced
    stale_touches: list[uuid.UUID] = []
    if stale:
        # Core statements on the connection: no ORM object of these rows is loaded in a rebuild.
        connection = session.connection()
        dropped = delete(Touchpoint).where(Touchpoint.session_id.in_(stale)).returning(Touchpoint.id)
        stale_touches = list(connection.scalars(dropped))
        connection.execute(delete(TrackingSession).where(TrackingSession.id.in_(stale)))
    channels: dict[Traffic, str] = {}  # the same few sources and campaigns recur: classify each once

    def channel_of(span: SessionSpan) -> str:
        traffic = Traffic(span.source, span.medium, span.campaign)
        if traffic not in channels:
            channels[traffic] = classify(traffic, rules)
        return channels[traffic]

    spans = [(c, span) for c, hits in found.full.items() for span in sessionize(hits)]
    spans += [(c, span) for c, (open_, hits) in found.resumed.items() for span in resume(open_, hits)]
    rows = [_session_row(workspace_id, customer_id, span, channel_of(span)) for customer_id, span in spans]
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
