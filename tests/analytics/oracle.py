"""The reports' inputs as they were read before the analytics engine: straight from the store of record, with
merged customers mapped through identity. Kept as the oracle the engine's answers are held to."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from omnicx.attribution.paths import BuiltPaths, Conversion, Touch, build_paths
from omnicx.attribution.schemas import StageKey, StagePublic
from omnicx.identity import service as identity_service
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.service.processing import traits_of


def _survivors(
    session: Session, workspace_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID]:
    mapping = identity_service.current_customer_ids(session, workspace_id=workspace_id, customer_ids=set(ids))
    return {i: mapping.get(i, i) for i in ids}


def touches(session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime) -> list[Touch]:
    rows = session.execute(
        select(Touchpoint.customer_id, Touchpoint.at, Touchpoint.channel)
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.at >= since, Touchpoint.at < until)
        .order_by(Touchpoint.customer_id, Touchpoint.at, Touchpoint.id)
    ).all()
    survivors = _survivors(session, workspace_id, {row[0] for row in rows})
    return sorted((Touch(survivors[c], at, ch) for c, at, ch in rows), key=lambda t: (t.customer_id, t.at))


def _merged_traits(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Old rule: a trait counts when set in the call's traits or in its context's."""
    found: dict[str, Any] = {}
    for holder in (
        (payload.get("context") or {}).get("traits"),
        payload.get("traits") if kind == "identify" else None,
    ):
        if isinstance(holder, dict):
            found.update({k: v for k, v in holder.items() if v or k not in found})
    return found if kind == "identify" else (traits_of(kind, payload) or {})


def candidates(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    since: datetime,
    until: datetime,
    event_names: Collection[str],
    types: Collection[str] = (),
) -> list[tuple[uuid.UUID, datetime, str, str | None, dict[str, Any], dict[str, Any]]]:
    matches: list[ColumnElement[bool]] = []
    if event_names:
        matches.append((Event.type == "track") & Event.event.in_(list(event_names)))
    if types:
        matches.append(Event.type.in_(list(types)))
    if not matches:
        return []
    rows = session.execute(
        select(Event.customer_id, Event.timestamp, Event.type, Event.event, Event.payload)
        .where(
            Event.workspace_id == workspace_id,
            Event.timestamp >= since,
            Event.timestamp < until,
            Event.customer_id.is_not(None),
            or_(*matches),
        )
        .order_by(Event.timestamp, Event.id)
    ).all()
    survivors = _survivors(session, workspace_id, {row[0] for row in rows})
    return [
        (survivors[c], at, kind, name, payload.get("properties") or {}, _merged_traits(kind, payload))
        for c, at, kind, name, payload in rows
    ]


def session_counts(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, int]:
    rows = session.execute(
        select(TrackingSession.channel, func.count())
        .where(
            TrackingSession.workspace_id == workspace_id,
            TrackingSession.started_at >= since,
            TrackingSession.started_at < until,
        )
        .group_by(TrackingSession.channel)
    )
    return {channel: int(count) for channel, count in rows}


def sessions_per_day(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime, tz: str
) -> Counter[tuple[Any, str]]:
    zone = ZoneInfo(tz)
    rows = session.execute(
        select(TrackingSession.started_at, TrackingSession.channel).where(
            TrackingSession.workspace_id == workspace_id,
            TrackingSession.started_at >= since,
            TrackingSession.started_at < until,
        )
    )
    return Counter((at.astimezone(zone).date(), channel) for at, channel in rows)


def _value(properties: dict[str, Any], prop: str | None) -> float:
    if not prop:
        return 0.0
    raw = properties.get(prop)
    try:
        number = float(raw) if raw is not None and not isinstance(raw, bool) else 0.0
    except (TypeError, ValueError):
        return 0.0
    return number if number == number and abs(number) != float("inf") else 0.0


def conversions(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stage: StagePublic,
    since: datetime,
    until: datetime,
    once: bool,
) -> list[Conversion]:
    """The old rules in Python over candidate rows: names, a trait set (truthy), a property's value, once."""
    rows = candidates(
        session,
        workspace_id=workspace_id,
        since=since,
        until=until,
        event_names=stage.event_names,
        types=("identify",) if stage.identify_trait else (),
    )
    found: list[Conversion] = []
    seen: set[uuid.UUID] = set()
    for person, at, kind, name, properties, traits in rows:
        matched = (
            name in stage.event_names if kind == "track" else bool(traits.get(stage.identify_trait or ""))
        )
        if not matched or (once and person in seen):
            continue
        seen.add(person)
        found.append(Conversion(person, at, _value(properties, stage.value_property)))
    return found


def _stage_conversions(
    session: Session, workspace_id: uuid.UUID, stage: StagePublic, range_start: datetime, range_end: datetime
) -> list[Conversion]:
    once = stage.key is not StageKey.SALE
    since = range_start - timedelta(days=3 * 365) if once else range_start
    return conversions(
        session, workspace_id=workspace_id, stage=stage, since=since, until=range_end, once=once
    )


def paths(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stages: Sequence[StagePublic],
    range_start: datetime,
    range_end: datetime,
    lookback: timedelta,
    with_times: bool,
    tz: str,
) -> dict[StageKey, BuiltPaths]:
    """Paths built in memory from the store's touchpoints, as reports did before the engine built them."""
    del with_times, tz  # built in memory, every path has its times; days are the oracle's `daily`
    rows = touches(session, workspace_id=workspace_id, since=range_start - lookback, until=range_end)
    return {
        stage.key: build_paths(
            touches=rows,
            conversions=_stage_conversions(session, workspace_id, stage, range_start, range_end),
            range_start=range_start,
            range_end=range_end,
            lookback=lookback,
        )
        for stage in stages
    }


def daily(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    stage: StagePublic,
    range_start: datetime,
    range_end: datetime,
    tz: str,
) -> list[tuple[Any, int, float]]:
    zone = ZoneInfo(tz)
    points: dict[Any, list[float]] = {}
    for conversion in _stage_conversions(session, workspace_id, stage, range_start, range_end):
        if range_start <= conversion.at < range_end:
            point = points.setdefault(conversion.at.astimezone(zone).date(), [0, 0.0])
            point[0] += 1
            point[1] += conversion.value
    return [(day, int(count), value) for day, (count, value) in sorted(points.items())]


def customers_by_first_touch_channel(session: Session, workspace_id: uuid.UUID, channel: str) -> Select[Any]:
    """The customer list's first-touch filter as the store of record answered it."""
    first = (
        select(Touchpoint.customer_id, func.min(Touchpoint.at).label("first_at"))
        .where(Touchpoint.workspace_id == workspace_id)
        .group_by(Touchpoint.customer_id)
        .subquery()
    )
    return (
        select(Touchpoint.customer_id)
        .join(first, and_(Touchpoint.customer_id == first.c.customer_id, Touchpoint.at == first.c.first_at))
        .where(Touchpoint.workspace_id == workspace_id, Touchpoint.channel == channel)
        .distinct()
    )
