"""Sessions in the database: rebuilt per customer from the affected point onwards, whatever order events land
in.

An event may arrive late (offline device, import, retry). Instead of patching sessions, each touched
customer's sessions from the one containing (or just before) the earliest new event are deleted and recomputed
from their events by the pure sessioniser, with their touchpoints. The common case is cheaper: new events that
only follow a visitor's open session carry it on from its row (`_hits`), which then grows in place.
Recomputing is idempotent, so the job may safely run twice. One job touches hundreds of customers, so every
step works on all of them at once: a handful of statements per job, not a handful per customer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from omnicx.analytics.enums import Stream
from omnicx.identity import service as identity_service
from omnicx.kernel.db import among, insert_rows, new_id, update_rows, utcnow
from omnicx.kernel.jobs.feed import record_changes
from omnicx.tracking.channel_grouping import Rule, Traffic, classify
from omnicx.tracking.context import campaign_key
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.schemas import SessionPublic
from omnicx.tracking.sessionize import INACTIVITY, Hit, OpenSession, SessionSpan, resume, sessionize

SESSION_TOUCHPOINT_KIND = "session"
SESSION_TOUCHPOINT_SOURCE = "session"


def _table(model: type[TrackingSession] | type[Touchpoint]) -> Table:
    return model.__table__  # type: ignore[return-value]


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
        if len(sessions) == 1:  # the common case: a visitor's one open session
            last = sessions[0]
        else:
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
                among(session, TrackingSession.customer_id, since),
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
    TrackingSession.campaign_key,
)
PAYLOAD_CHUNK = 5000


@dataclass
class Known:
    """Hits the caller already built from events it loaded (a processing job's own), by event id and per
    customer, so that a rebuild neither reads nor decodes them again."""

    by_event: dict[uuid.UUID, Hit] = field(default_factory=dict)
    by_customer: dict[uuid.UUID, list[Hit]] = field(default_factory=lambda: defaultdict(list))

    def add(self, customer_id: uuid.UUID, event_id: uuid.UUID, hit: Hit) -> None:
        self.by_event[event_id] = hit
        self.by_customer[customer_id].append(hit)


@dataclass(frozen=True)
class _Resumed:
    """A customer's open session to carry on (stored as `stored_id`) and the hits that follow it."""

    open: OpenSession
    hits: list[Hit]
    stored_id: uuid.UUID


@dataclass
class _Hits:
    """Each customer's hits to sessionise from its start (replacing its `replaced` stale sessions), or
    (`resumed`) its open session and the hits that follow it."""

    full: dict[uuid.UUID, list[Hit]] = field(default_factory=lambda: defaultdict(list))
    resumed: dict[uuid.UUID, _Resumed] = field(default_factory=dict)
    replaced: list[uuid.UUID] = field(default_factory=list)


def _summarised(stored: Any, hits: Sequence[Hit]) -> bool:
    """Whether an open session's row is all it takes to carry it on with `hits` (all known, all after it):
    it has a page view (its landing is settled) and its campaign key was kept."""
    return (
        stored.page_views > 0
        and stored.campaign_key is not None
        and bool(hits)
        and all(hit.at > stored.ended_at for hit in hits)
    )


def _hits(session: Session, workspace_id: uuid.UUID, window: _Window, known: Known) -> _Hits:
    """The hits to sessionise, read without payloads; events the caller already holds as `known` hits (the
    job's own, usually nearly all) are not read or decoded again.

    The common case reads nothing: a customer whose open session the new events only follow is carried on
    from its row and the known hits. A session without a page view yet, or stored before its campaign key
    was kept, also needs its first event: it is carried on when the rows from its start are its own (as many
    as it counts) followed by known events only, else (as for every other customer) rebuilt from where the
    window starts."""
    found = _Hits()
    opens: dict[uuid.UUID, Any] = {}
    for customer_id in window.starts:
        stored = window.open_session(customer_id)
        if stored is None:
            continue
        later = known.by_customer.get(customer_id, [])
        if _summarised(stored, later):
            found.resumed[customer_id] = _Resumed(
                OpenSession(span=_stored_span(stored)), list(later), stored.id
            )
        else:
            opens[customer_id] = stored
    rest = {c: start for c, start in window.starts.items() if c not in found.resumed}
    bounds = {c: opens[c].started_at if c in opens else start for c, start in rest.items()}
    rows = _rows_from(session, workspace_id, bounds)
    firsts = {c: first for c in opens if (first := _opening(opens[c], rows.get(c, []), known)) is not None}
    if missed := opens.keys() - firsts.keys():  # read again from where a full rebuild starts
        rows.update(_rows_from(session, workspace_id, {c: window.starts[c] for c in missed}))
    needed = [
        r.id
        for c, rs in rows.items()
        for r in ([firsts[c]] if c in firsts else rs)
        if r.id not in known.by_event
    ]
    payloads = _payloads(session, needed)

    def hit(row: Any) -> Hit:
        return known.by_event.get(row.id) or Hit.from_message(row.id.hex, row.timestamp, payloads[row.id])

    for customer_id, first in firsts.items():
        stored = opens[customer_id]
        later = [hit(row) for row in rows[customer_id] if row.timestamp > stored.ended_at]
        opening = hit(first)
        resumed = OpenSession(span=_stored_span(stored, opening), first=opening)
        found.resumed[customer_id] = _Resumed(resumed, later, stored.id)
    for customer_id in rest.keys() - firsts.keys():
        if customer_id in rows:
            found.full[customer_id] = [hit(row) for row in rows[customer_id]]
        found.replaced += [row.id for row in window.stale.get(customer_id, [])]
    return found


def _opening(stored: Any, rows: Sequence[Any], known: Known) -> Any | None:
    """The first event of a customer's open session, if its rows from the session's start are the session's
    (as many as it counts, the first at its start) followed by known events only; else None."""
    held = [row for row in rows if row.timestamp <= stored.ended_at]
    if not held or len(held) != stored.event_count or held[0].timestamp != stored.started_at:
        return None
    return held[0] if all(row.id in known.by_event for row in rows[len(held) :]) else None


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
                among(session, Event.customer_id, bounds),
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
        query = select(Event.id, Event.payload).where(among(session, Event.id, chunk))
        payloads.update({row.id: row.payload for row in session.connection().execute(query)})
    return payloads


def _stored_span(row: Any, first: Hit | None = None) -> SessionSpan:
    """A session's row as the summary `resume` carries on; its campaign key is the first hit's when the row
    does not keep one."""
    kept = row.campaign_key
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
        key=_decode_key(kept) if kept is not None else campaign_key(first.campaign) if first else None,
    )


def _encode_key(key: tuple[str, str, str] | None) -> str:
    """A campaign key as kept on a session's row: "" for none, else a JSON array."""
    return orjson.dumps(key).decode() if key is not None else ""


def _decode_key(kept: str) -> tuple[str, str, str] | None:
    if not kept:
        return None
    source, medium, name = orjson.loads(kept)
    return (str(source), str(medium), str(name))


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
        "campaign_key": _encode_key(span.key),
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
    known: Known | None = None,
) -> int:
    """Recompute the sessions (and their touchpoints) of every customer in `since` from the session containing
    their `since` time onwards; flushes. Returns how many sessions now cover those windows. `known`: hits the
    caller already built from events it loaded, so they are not read again."""
    if not since:
        return 0
    # Two workers rebuilding one customer at once would each replace the window and leave both copies: identity
    # holds the customers' rows (PostgreSQL; SQLite admits one writer at a time), so the second waits and then
    # sees the first one's sessions. A processing job already holds them from recording when they were seen.
    identity_service.lock_customers(session, workspace_id=workspace_id, customer_ids=list(since))
    window = _windows(session, workspace_id, since)
    found = _hits(session, workspace_id, window, known or Known())
    channels: dict[Traffic, str] = {}  # the same few sources and campaigns recur: classify each once

    def channel_of(span: SessionSpan) -> str:
        traffic = Traffic(span.source, span.medium, span.campaign)
        if traffic not in channels:
            channels[traffic] = classify(traffic, rules)
        return channels[traffic]

    stale = found.replaced
    spans = [(c, span) for c, hits in found.full.items() for span in sessionize(hits)]
    grown: list[dict[str, Any]] = []
    kept = 0
    for customer_id, resumed in found.resumed.items():
        carried, *after = resume(resumed.open, resumed.hits)
        spans += [(customer_id, span) for span in after]
        if resumed.open.span.page_views > 0:
            # Its landing, source and channel are settled: its row grows in place and its touchpoint stays.
            kept += 1
            grown += [_grown_row(resumed.stored_id, carried)] if carried.hit_ids else []
        else:
            stale.append(resumed.stored_id)
            spans.append((customer_id, carried))
    stale_touches = _drop(session, stale)
    update_rows(session, _table(TrackingSession), grown)
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
        upserted=[r["id"] for r in rows] + [g["id"] for g in grown],
        deleted=stale,
    )
    record_changes(
        session,
        workspace_id=workspace_id,
        stream=Stream.TOUCHPOINTS.value,
        upserted=[t["id"] for t in touches],
        deleted=stale_touches,
    )
    return (
        len(rows) + len(found.resumed) - sum(1 for r in found.resumed.values() if r.open.span.page_views == 0)
    )


def _drop(session: Session, stale: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """Delete the stale sessions and their touchpoints; returns the touchpoints' ids. Core statements on the
    connection: no ORM object of these rows is loaded in a rebuild."""
    if not stale:
        return []
    connection = session.connection()
    dropped = delete(Touchpoint).where(among(session, Touchpoint.session_id, stale)).returning(Touchpoint.id)
    touches = list(connection.scalars(dropped))
    connection.execute(delete(TrackingSession).where(among(session, TrackingSession.id, stale)))
    return touches


def _grown_row(session_id: uuid.UUID, span: SessionSpan) -> dict[str, Any]:
    """A carried-on session's row grows: only what later hits can change (its end, counts and engagement); a row
    stored before campaign keys were kept gets its key, so it is carried on from the row alone next time."""
    return {
        "id": session_id,
        "ended_at": span.end,
        "duration_seconds": span.duration_seconds,
        "page_views": span.page_views,
        "event_count": span.event_count,
        "engaged": span.engaged,
        "bounced": span.bounced,
        "campaign_key": _encode_key(span.key),
    }


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
