"""Stock per variant per location, reservations for checkouts (with expiry) and availability.

Available = on hand - allocated - unexpired reservations. Every change takes the stock rows' locks first (see
`lock_stock`), checks every line, then writes: all lines or none, and never below zero.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.commerce.errors import OutOfStock, ReservationNotFound
from omnicx.commerce.models import Location, Reservation, Stock, Variant
from omnicx.commerce.schemas import (
    Availability,
    LineRequest,
    ReservationCreate,
    ReservationPublic,
    StockPublic,
    StockSet,
)
from omnicx.commerce.service._common import (
    load_location,
    lock_stock,
    lock_stock_ids,
    publish_stock,
    reserved_by_stock,
    variants_by_sku,
)
from omnicx.commerce.service.catalogue import _set_on_hand
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.jobs import service as jobs_service

SWEEP_JOB = "commerce.sweep_reservations"
_SCHEDULED: set[str] = set()


def _stock_public(stock: Stock, variant: Variant, location: Location, reserved: int) -> StockPublic:
    return StockPublic(
        sku=variant.sku,
        title=variant.title,
        location_id=location.id,
        location_code=location.code,
        location_name=location.name,
        location_kind=location.kind,
        pickup=location.pickup,
        on_hand=stock.on_hand,
        allocated=stock.allocated,
        reserved=reserved,
        available=stock.on_hand - stock.allocated - reserved,
    )


def list_stock(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    location_id: uuid.UUID | None = None,
    sku: str | None = None,
    now: datetime | None = None,
    limit: int = 500,
) -> list[StockPublic]:
    """Stock rows of the workspace (optionally of one location or one SKU), by location then SKU."""
    stmt = (
        select(Stock, Variant, Location)
        .join(Variant, Variant.id == Stock.variant_id)
        .join(Location, Location.id == Stock.location_id)
        .where(Stock.workspace_id == workspace_id)
    )
    if location_id is not None:
        stmt = stmt.where(Stock.location_id == location_id)
    if sku is not None:
        stmt = stmt.where(Variant.sku == sku)
    rows = session.execute(stmt.order_by(Location.name, Variant.sku).limit(limit)).all()
    reserved = reserved_by_stock(session, [r[0].id for r in rows], now)
    return [_stock_public(s, v, loc, reserved.get(s.id, 0)) for s, v, loc in rows]


#: Units available at or below which a stock row is an alert (the Overview and the stock page show them).
LOW_STOCK_THRESHOLD = 3


def stock_alerts(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    threshold: int = LOW_STOCK_THRESHOLD,
    now: datetime | None = None,
    limit: int = 50,
) -> list[StockPublic]:
    """Stock rows with `threshold` units available or fewer, emptiest first.

    Reservations only ever lower availability, so the candidates are the rows already low before reservations
    plus the few rows holding an unexpired reservation; no full scan of every row's reservations.
    """
    moment = now or utcnow()
    held = select(Reservation.stock_id).where(Reservation.expires_at > moment)
    stmt = (
        select(Stock, Variant, Location)
        .join(Variant, Variant.id == Stock.variant_id)
        .join(Location, Location.id == Stock.location_id)
        .where(
            Stock.workspace_id == workspace_id,
            (Stock.on_hand - Stock.allocated <= threshold) | Stock.id.in_(held),
        )
    )
    rows = session.execute(stmt).all()
    reserved = reserved_by_stock(session, [r[0].id for r in rows], moment)
    alerts = [_stock_public(s, v, loc, reserved.get(s.id, 0)) for s, v, loc in rows]
    alerts = [a for a in alerts if a.available <= threshold]
    alerts.sort(key=lambda a: (a.available, a.location_name, a.sku))
    return alerts[:limit]


def availability(
    session: Session, *, workspace_id: uuid.UUID, sku: str, now: datetime | None = None
) -> Availability:
    """Where `sku` is available right now, location by location ("available now at store X")."""
    variants_by_sku(session, workspace_id, [sku])
    rows = list_stock(session, workspace_id=workspace_id, sku=sku, now=now)
    return Availability(sku=sku, total_available=sum(max(r.available, 0) for r in rows), locations=rows)


def set_stock(session: Session, *, workspace_id: uuid.UUID, data: StockSet) -> StockPublic:
    """Set the units on hand of a SKU at a location (a count); refused below what is allocated or reserved."""
    variant = variants_by_sku(session, workspace_id, [data.sku])[data.sku]
    location = load_location(session, workspace_id, data.location_id)
    lock_stock(session, workspace_id, location.id, [variant.id])
    stock = _set_on_hand(session, workspace_id, variant.id, location.id, data.on_hand)
    reserved = reserved_by_stock(session, [stock.id]).get(stock.id, 0)
    result = _stock_public(stock, variant, location, reserved)
    publish_stock(
        session,
        workspace_id=workspace_id,
        sku=variant.sku,
        location=location,
        available=result.available,
        on_hand=stock.on_hand,
    )
    session.commit()
    return result


def stores_with_stock(
    session: Session, *, workspace_id: uuid.UUID, lines: list[LineRequest], pickup_only: bool = True
) -> list[uuid.UUID]:
    """Locations (pickup stores by default) where every line is available now, by name."""
    variants = variants_by_sku(session, workspace_id, [line.sku for line in lines])
    needed = _merge_lines(lines)
    stmt = (
        select(Stock, Location)
        .join(Location, Location.id == Stock.location_id)
        .where(Stock.workspace_id == workspace_id, Stock.variant_id.in_([v.id for v in variants.values()]))
    )
    if pickup_only:
        stmt = stmt.where(Location.pickup.is_(True))
    rows = session.execute(stmt).all()
    reserved = reserved_by_stock(session, [s.id for s, _ in rows])
    by_location: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    names: dict[uuid.UUID, str] = {}
    sku_of = {v.id: sku for sku, v in variants.items()}
    for stock, location in rows:
        names[location.id] = location.name
        by_location[location.id][sku_of[stock.variant_id]] = (
            stock.on_hand - stock.allocated - reserved.get(stock.id, 0)
        )
    fits = [loc for loc, avail in by_location.items() if all(avail.get(s, 0) >= q for s, q in needed.items())]
    return sorted(fits, key=lambda loc: names[loc])


def _merge_lines(lines: list[LineRequest]) -> dict[str, int]:
    merged: dict[str, int] = defaultdict(int)
    for line in lines:
        merged[line.sku] += line.quantity
    return dict(merged)


def take(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    location: Location,
    lines: list[LineRequest],
    extra: dict[uuid.UUID, int] | None = None,
    now: datetime | None = None,
) -> dict[str, tuple[Stock, Variant, int]]:
    """Lock and check the stock of every line at `location`; raise `OutOfStock` naming the first short line.

    `extra` adds units per stock id that the caller is about to free (its own reservation). Returns, per SKU,
    the locked stock row, its variant and the units still available after this request. Writes nothing.
    """
    needed = _merge_lines(lines)
    variants = variants_by_sku(session, workspace_id, needed)
    stocks = lock_stock(session, workspace_id, location.id, [v.id for v in variants.values()])
    reserved = reserved_by_stock(session, [s.id for s in stocks.values()], now)
    result: dict[str, tuple[Stock, Variant, int]] = {}
    for sku in sorted(needed):
        variant = variants[sku]
        stock = stocks.get(variant.id)
        available = 0
        if stock is not None:
            available = (
                stock.on_hand - stock.allocated - reserved.get(stock.id, 0) + (extra or {}).get(stock.id, 0)
            )
        if stock is None or available < needed[sku]:
            raise OutOfStock(
                f"{sku} is out of stock at {location.name}: {max(available, 0)} available, {needed[sku]} wanted",
                sku=sku,
                location=location.name,
            )
        result[sku] = (stock, variant, available - needed[sku])
    return result


def reserve(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    data: ReservationCreate,
    now: datetime | None = None,
    commit: bool = True,
) -> ReservationPublic:
    """Hold every line at one location until `ttl_seconds` from now, or nothing (`OutOfStock`)."""
    return _reserve(session, workspace_id=workspace_id, data=data, now=now, commit=commit)


def _reserve(
    session: Session, *, workspace_id: uuid.UUID, data: ReservationCreate, now: datetime | None, commit: bool
) -> ReservationPublic:
    now = now or utcnow()
    location = load_location(session, workspace_id, data.location_id)
    taken = take(session, workspace_id=workspace_id, location=location, lines=data.lines, now=now)
    group_id = new_id()
    expires_at = now + timedelta(seconds=data.ttl_seconds)
    for sku, (stock, _variant, left) in taken.items():
        quantity = _merge_lines(data.lines)[sku]
        session.add(
            Reservation(
                workspace_id=workspace_id,
                stock_id=stock.id,
                group_id=group_id,
                reference=data.reference,
                quantity=quantity,
                expires_at=expires_at,
                created_at=now,
            )
        )
        publish_stock(
            session,
            workspace_id=workspace_id,
            sku=sku,
            location=location,
            available=left,
            on_hand=stock.on_hand,
        )
    _schedule_sweep(session, workspace_id, expires_at)
    if commit:
        session.commit()
    return ReservationPublic(
        id=group_id,
        location_id=location.id,
        lines=[LineRequest(sku=s, quantity=q) for s, q in sorted(_merge_lines(data.lines).items())],
        reference=data.reference,
        expires_at=expires_at,
    )


def _schedule_sweep(session: Session, workspace_id: uuid.UUID, expires_at: datetime) -> None:
    """One sweep job per workspace and minute of expiry, due at the end of that minute.

    A process remembers which sweeps it already queued, so a hot checkout pays for this once a minute, not on
    every reservation. Should that transaction roll back, the next minute's sweep deletes every expired
    reservation of the workspace anyway (and expired ones never count, swept or not).
    """
    due = expires_at.replace(second=0, microsecond=0) + timedelta(minutes=1)
    key = f"{workspace_id}:{due.isoformat()}"
    if key in _SCHEDULED:
        return
    if len(_SCHEDULED) > 10_000:
        _SCHEDULED.clear()
    _SCHEDULED.add(key)
    try:
        with session.begin_nested():  # a concurrent reservation may enqueue the same sweep: theirs is enough
            jobs_service.enqueue(
                session,
                kind=SWEEP_JOB,
                payload={},
                workspace_id=workspace_id,
                idempotency_key=key,
                run_at=due,
            )
            session.flush()
    except IntegrityError:
        pass


def reservation_rows(
    session: Session, workspace_id: uuid.UUID, reservation_id: uuid.UUID
) -> list[Reservation]:
    rows = list(
        session.scalars(
            select(Reservation).where(
                Reservation.workspace_id == workspace_id, Reservation.group_id == reservation_id
            )
        )
    )
    if not rows:
        raise ReservationNotFound(f"reservation {reservation_id} not found")
    return rows


def release_reservation(session: Session, *, workspace_id: uuid.UUID, reservation_id: uuid.UUID) -> None:
    """Give a reservation's units back at once (checkout abandoned); committed."""
    rows = reservation_rows(session, workspace_id, reservation_id)
    stocks = lock_stock_ids(session, [r.stock_id for r in rows])
    for row in rows:
        session.delete(row)
    session.flush()
    publish_stocks(session, workspace_id, stocks.values())
    session.commit()


def publish_stocks(session: Session, workspace_id: uuid.UUID, stocks: Iterable[Stock]) -> None:
    items = list(stocks)
    reserved = reserved_by_stock(session, [s.id for s in items])
    for stock in items:
        variant = session.get(Variant, stock.variant_id)
        location = session.get(Location, stock.location_id)
        assert variant is not None and location is not None
        publish_stock(
            session,
            workspace_id=workspace_id,
            sku=variant.sku,
            location=location,
            available=stock.on_hand - stock.allocated - reserved.get(stock.id, 0),
            on_hand=stock.on_hand,
        )


def sweep_expired(session: Session, *, workspace_id: uuid.UUID, now: datetime | None = None) -> int:
    """Delete reservations that have expired (they already stopped counting); returns how many. No commit."""
    result = session.execute(
        delete(Reservation).where(
            Reservation.workspace_id == workspace_id, Reservation.expires_at <= (now or utcnow())
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
