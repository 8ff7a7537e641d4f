"""Stock per variant per location, reservations for checkouts (with expiry) and availability.

Available = on hand - allocated - unexpired reservations, the last kept as a counter on the stock row (see
`Stock`). A reservation is one conditional `UPDATE` per line that adds to the counter only while enough is left,
so buyers of a hot item hold its row's lock for that statement and the commit, nothing more. Every other change
takes the stock rows' locks first (see `lock_stock`), checks every line, then writes: all lines or none, and
never below zero.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import Table, and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.commerce.errors import OutOfStock, ReservationNotFound, VariantNotFound
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
    drop_holds,
    held_units,
    load_location,
    lock_stock,
    lock_stock_ids,
    publish_stock,
    variants_by_sku,
)
from omnicx.commerce.service.catalogue import _set_on_hand
from omnicx.kernel.db import Base, new_id, utcnow
from omnicx.kernel.errors import DomainError
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.writes import GroupCommit, Refusal

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
        select(Stock, Variant, Location, held_units(now or utcnow()).label("held"))
        .join(Variant, Variant.id == Stock.variant_id)
        .join(Location, Location.id == Stock.location_id)
        .where(Stock.workspace_id == workspace_id)
    )
    if location_id is not None:
        stmt = stmt.where(Stock.location_id == location_id)
    if sku is not None:
        stmt = stmt.where(Variant.sku == sku)
    rows = session.execute(stmt.order_by(Location.name, Variant.sku).limit(limit)).all()
    return [_stock_public(s, v, loc, held) for s, v, loc, held in rows]


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

    The counter never holds less than what is reserved now, so the rows low by the counter are the candidates;
    the exact figure is then computed for those few only.
    """
    stmt = (
        select(Stock, Variant, Location, held_units(now or utcnow()).label("held"))
        .join(Variant, Variant.id == Stock.variant_id)
        .join(Location, Location.id == Stock.location_id)
        .where(
            Stock.workspace_id == workspace_id,
            Stock.on_hand - Stock.allocated - Stock.reserved <= threshold,
        )
    )
    rows = session.execute(stmt).all()
    alerts = [_stock_public(s, v, loc, held) for s, v, loc, held in rows]
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
    stock = _set_on_hand(session, workspace_id, variant.id, location.id, data.on_hand)
    result = _stock_public(stock, variant, location, stock.reserved)
    publish_stock(
        session,
        workspace_id=workspace_id,
        sku=variant.sku,
        location_id=location.id,
        location_name=location.name,
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
        select(Stock.variant_id, Stock.on_hand - Stock.allocated - held_units(utcnow()), Location)
        .join(Location, Location.id == Stock.location_id)
        .where(Stock.workspace_id == workspace_id, Stock.variant_id.in_([v.id for v in variants.values()]))
    )
    if pickup_only:
        stmt = stmt.where(Location.pickup.is_(True))
    rows = session.execute(stmt).all()
    by_location: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    names: dict[uuid.UUID, str] = {}
    sku_of = {v.id: sku for sku, v in variants.items()}
    for variant_id, available, location in rows:
        names[location.id] = location.name
        by_location[location.id][sku_of[variant_id]] = available
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
    stocks = lock_stock(session, workspace_id, location.id, [v.id for v in variants.values()], now)
    result: dict[str, tuple[Stock, Variant, int]] = {}
    for sku in sorted(needed):
        variant = variants[sku]
        stock = stocks.get(variant.id)
        available = 0
        if stock is not None:
            available = stock.on_hand - stock.allocated - stock.reserved + (extra or {}).get(stock.id, 0)
        if stock is None or available < needed[sku]:
            _refuse(sku, location.name, available, needed[sku])
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


def queue_reservation(
    writes: GroupCommit, *, workspace_id: uuid.UUID, data: ReservationCreate
) -> Future[ReservationPublic]:
    """`reserve` through the group-commit queue: answered once committed, in a transaction shared with the
    reservations that arrived meanwhile at the same location (one lane per location).

    A hot variant's stock row is locked from its conditional UPDATE to the commit. One transaction per
    reservation holds it for a commit each, so concurrent checkouts queue on that row; a shared transaction
    takes it once for many of them and commits once. A reservation refused on what it read, before writing
    anything (the common refusal once a variant sold out), is a `Refusal`: its caller gets the error and the
    batch goes on. A refusal after a write (a line lost a race) rolls the batch back, and each reservation runs
    again in its own savepoint (see `kernel.writes`)."""

    def work(session: Session) -> ReservationPublic | Refusal:
        try:
            hold, needed, snapshot = _prepare(session, workspace_id=workspace_id, data=data, now=None)
        except DomainError as error:
            return Refusal(error)
        return _hold(session, hold, needed, snapshot, lines=data.lines, commit=False)

    return writes.submit(work, key=f"stock:{data.location_id}")


def _reserve(
    session: Session, *, workspace_id: uuid.UUID, data: ReservationCreate, now: datetime | None, commit: bool
) -> ReservationPublic:
    hold, needed, snapshot = _prepare(session, workspace_id=workspace_id, data=data, now=now)
    return _hold(session, hold, needed, snapshot, lines=data.lines, commit=commit)


_Snapshot = tuple[str, dict[str, "_Line"]]


def _prepare(
    session: Session, *, workspace_id: uuid.UUID, data: ReservationCreate, now: datetime | None
) -> tuple[_Hold, dict[str, int], _Snapshot]:
    """The reservation to make, its units per SKU and its stock rows read without a lock; raises (having
    written nothing) for an unknown location or SKU, or a line already short."""
    now = now or utcnow()
    needed = _merge_lines(data.lines)
    hold = _Hold(
        workspace_id=workspace_id,
        location_id=data.location_id,
        group_id=new_id(),
        reference=data.reference,
        now=now,
        expires_at=now + timedelta(seconds=data.ttl_seconds),
    )
    return hold, needed, _snapshot(session, hold, needed)


def _hold(
    session: Session,
    hold: _Hold,
    needed: dict[str, int],
    snapshot: _Snapshot,
    *,
    lines: list[LineRequest],
    commit: bool,
) -> ReservationPublic:
    location_name, left = _hold_at_once(session, hold, needed, snapshot)
    if left is None:
        location_name, left = _hold_locked(session, hold, lines)
    for sku, (on_hand, available) in sorted(left.items()):
        publish_stock(
            session,
            workspace_id=hold.workspace_id,
            sku=sku,
            location_id=hold.location_id,
            location_name=location_name,
            available=available,
            on_hand=on_hand,
        )
    _schedule_sweep(session, hold.workspace_id, hold.expires_at)
    if commit:
        session.commit()
    return ReservationPublic(
        id=hold.group_id,
        location_id=hold.location_id,
        lines=[LineRequest(sku=s, quantity=q) for s, q in sorted(needed.items())],
        reference=hold.reference,
        expires_at=hold.expires_at,
    )


@dataclass(frozen=True)
class _Hold:
    """The reservation being made: the same group, reference and times on each of its lines."""

    workspace_id: uuid.UUID
    location_id: uuid.UUID
    group_id: uuid.UUID
    reference: str
    now: datetime
    expires_at: datetime

    def row(self, stock_id: uuid.UUID, quantity: int) -> dict[str, object]:
        return {
            "id": new_id(),
            "workspace_id": self.workspace_id,
            "stock_id": stock_id,
            "group_id": self.group_id,
            "reference": self.reference,
            "quantity": quantity,
            "expires_at": self.expires_at,
            "created_at": self.now,
        }


_STOCK: Table = Base.metadata.tables["commerce_stock"]
_RESERVATION: Table = Base.metadata.tables["commerce_reservation"]
_LOCATION: Table = Base.metadata.tables["commerce_location"]
_VARIANT: Table = Base.metadata.tables["commerce_variant"]
_HELD = held_units(bindparam("now", type_=_RESERVATION.c.expires_at.type))

# Built once: the hot path pays neither for building these statements nor for the ORM around them.
_SNAPSHOT = (
    select(
        _LOCATION.c.name,
        _VARIANT.c.sku,
        _STOCK.c.id,
        _STOCK.c.on_hand - _STOCK.c.allocated - _HELD,
        _STOCK.c.reserved - _HELD,
        _STOCK.c.reserved_folded_at,
    )
    .select_from(_LOCATION)
    .join(_VARIANT, _VARIANT.c.workspace_id == _LOCATION.c.workspace_id)
    .outerjoin(_STOCK, and_(_STOCK.c.variant_id == _VARIANT.c.id, _STOCK.c.location_id == _LOCATION.c.id))
    .where(
        _LOCATION.c.id == bindparam("location_id"),
        _LOCATION.c.workspace_id == bindparam("workspace_id"),
        _VARIANT.c.sku.in_(bindparam("skus", expanding=True)),
    )
)
_INSERT_HOLD = insert(_RESERVATION)
_RAISE_HELD = (
    update(_STOCK)
    .where(
        _STOCK.c.id == bindparam("stock_id"),
        _STOCK.c.on_hand - _STOCK.c.allocated - _STOCK.c.reserved >= bindparam("units"),
        or_(_STOCK.c.reserved_folded_at.is_(None), _STOCK.c.reserved_folded_at < bindparam("until")),
    )
    .values(reserved=_STOCK.c.reserved + bindparam("units"))
    .returning(
        _STOCK.c.on_hand, (_STOCK.c.on_hand - _STOCK.c.allocated - _STOCK.c.reserved).label("available")
    )
)
# PostgreSQL: the counter raised and the hold inserted by one statement (one round trip less per line); the
# hold is written only when the counter was raised.
_RAISED = _RAISE_HELD.cte("raised")
_RAISE_AND_HOLD = select(_RAISED.c.on_hand, _RAISED.c.available).add_cte(
    insert(_RESERVATION)
    .from_select(
        ["id", "workspace_id", "stock_id", "group_id", "reference", "quantity", "expires_at", "created_at"],
        select(
            bindparam("hold_id", type_=_RESERVATION.c.id.type),
            bindparam("hold_workspace_id", type_=_RESERVATION.c.workspace_id.type),
            bindparam("stock_id", type_=_RESERVATION.c.stock_id.type),
            bindparam("hold_group_id", type_=_RESERVATION.c.group_id.type),
            bindparam("hold_reference", type_=_RESERVATION.c.reference.type),
            bindparam("units", type_=_RESERVATION.c.quantity.type),
            bindparam("hold_expires_at", type_=_RESERVATION.c.expires_at.type),
            bindparam("hold_created_at", type_=_RESERVATION.c.created_at.type),
        ).select_from(_RAISED),
    )
    .cte("held")
)
_LOWER_HELD = (
    update(_STOCK)
    .where(_STOCK.c.id == bindparam("stock_id"))
    .values(reserved=_STOCK.c.reserved - bindparam("units"))
)
_DROP_GROUP = delete(_RESERVATION).where(_RESERVATION.c.group_id == bindparam("group_id"))


@dataclass(frozen=True)
class _Line:
    """A line's stock row as an unlocked read saw it."""

    stock_id: uuid.UUID
    expired: int  # units of holds expired since the fold mark, still inside the counter
    folded_at: datetime | None

    def counts(self, expires_at: datetime) -> bool:
        return self.folded_at is None or self.folded_at < expires_at


def _hold_at_once(
    session: Session, hold: _Hold, needed: dict[str, int], snapshot: _Snapshot
) -> tuple[str, dict[str, tuple[int, int]] | None]:
    """The common case, without taking a lock first: the location's name and per SKU (on hand, available
    after), or None for the locked path.

    The unlocked read (`snapshot`, from `_prepare`) has already refused a short line (it was short at that
    moment; only the conditional UPDATE below ever grants units). The holds are inserted, then each line's
    counter is raised by one `UPDATE ... WHERE enough is left`, in stock id order, so a hot row stays locked
    only from that statement to the commit; on PostgreSQL each line's hold is inserted by the same statement,
    from the raised row. None sends the caller to `_hold_locked`: an expired hold not folded back yet, a hold
    dated before its row's fold mark, or a line that lost the race (what this function wrote is undone
    first).
    """
    conn = session.connection()
    location_name, lines = snapshot
    if any(line.expired or not line.counts(hold.expires_at) for line in lines.values()):
        return location_name, None
    together = conn.dialect.name == "postgresql"
    if not together:
        conn.execute(_INSERT_HOLD, [hold.row(line.stock_id, needed[sku]) for sku, line in lines.items()])
    left: dict[str, tuple[int, int]] = {}
    for sku, line in sorted(lines.items(), key=lambda item: item[1].stock_id):
        raising = {"stock_id": line.stock_id, "units": needed[sku], "until": hold.expires_at}
        if together:
            # The hold's values under names of their own: an UPDATE's parameters named like its table's
            # columns would be set on the row.
            row = {f"hold_{name}": value for name, value in hold.row(line.stock_id, needed[sku]).items()}
            raised = conn.execute(_RAISE_AND_HOLD, {**row, **raising}).first()
        else:
            raised = conn.execute(_RAISE_HELD, raising).first()
        if raised is None:
            _undo_holds(session, hold, {lines[s].stock_id: needed[s] for s in left})
            return location_name, None
        left[sku] = (raised[0], raised[1])
    return location_name, left


def _snapshot(session: Session, hold: _Hold, needed: dict[str, int]) -> tuple[str, dict[str, _Line]]:
    """The location's name and each SKU's stock row there, read without a lock; `LocationNotFound`,
    `VariantNotFound`, or `OutOfStock` for the first short SKU."""
    rows = (
        session.connection()
        .execute(
            _SNAPSHOT,
            {
                "now": hold.now,
                "location_id": hold.location_id,
                "workspace_id": hold.workspace_id,
                "skus": sorted(needed),
            },
        )
        .all()
    )
    if not rows:
        load_location(session, hold.workspace_id, hold.location_id)  # raises when the location is not ours
    found = {row[1]: row for row in rows}
    missing = sorted(set(needed) - set(found))
    if missing:
        raise VariantNotFound(f"unknown SKU {missing[0]!r}")
    location_name = rows[0][0]
    lines: dict[str, _Line] = {}
    for sku in sorted(needed):
        _name, _sku, stock_id, available, expired, folded_at = found[sku]
        if stock_id is None or available < needed[sku]:
            _refuse(sku, location_name, available or 0, needed[sku])
        lines[sku] = _Line(stock_id, expired, folded_at)
    return location_name, lines


def _refuse(sku: str, location_name: str, available: int, wanted: int) -> NoReturn:
    raise OutOfStock(
        f"{sku} is out of stock at {location_name}: {max(available, 0)} available, {wanted} wanted",
        sku=sku,
        location=location_name,
    )


def _undo_holds(session: Session, hold: _Hold, raised: dict[uuid.UUID, int]) -> None:
    """Take back what `_hold_at_once` wrote before a line lost the race (its rows stay locked until the end)."""
    conn = session.connection()
    conn.execute(_DROP_GROUP, {"group_id": hold.group_id})
    for stock_id, units in raised.items():
        conn.execute(_LOWER_HELD, {"stock_id": stock_id, "units": units})


def _hold_locked(
    session: Session, hold: _Hold, lines: list[LineRequest]
) -> tuple[str, dict[str, tuple[int, int]]]:
    """Lock the rows (which folds their expired holds back), check every line, then hold."""
    location = load_location(session, hold.workspace_id, hold.location_id)
    taken = take(session, workspace_id=hold.workspace_id, location=location, lines=lines, now=hold.now)
    needed = _merge_lines(lines)
    session.connection().execute(
        _INSERT_HOLD, [hold.row(stock.id, needed[sku]) for sku, (stock, _, _) in taken.items()]
    )
    for sku, (stock, _variant, _left) in taken.items():
        if stock.reserved_folded_at is None or stock.reserved_folded_at < hold.expires_at:
            stock.reserved += needed[sku]
    return location.name, {sku: (stock.on_hand, left) for sku, (stock, _variant, left) in taken.items()}


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
    drop_holds(session, stocks, Reservation.group_id == reservation_id)
    session.flush()
    publish_stocks(session, workspace_id, stocks.values())
    session.commit()


def publish_stocks(session: Session, workspace_id: uuid.UUID, stocks: Iterable[Stock]) -> None:
    """Tell screens what is available on stock rows this transaction locked (their counters are exact)."""
    for stock in stocks:
        variant = session.get(Variant, stock.variant_id)
        location = session.get(Location, stock.location_id)
        assert variant is not None and location is not None
        publish_stock(
            session,
            workspace_id=workspace_id,
            sku=variant.sku,
            location_id=location.id,
            location_name=location.name,
            available=stock.on_hand - stock.allocated - stock.reserved,
            on_hand=stock.on_hand,
        )


def sweep_expired(session: Session, *, workspace_id: uuid.UUID, now: datetime | None = None) -> int:
    """Delete reservations that have expired (they already stopped counting); returns how many. No commit.

    Their rows are locked first, which folds them off the counters before they go.
    """
    moment = now or utcnow()
    stock_ids = session.scalars(
        select(Reservation.stock_id)
        .where(Reservation.workspace_id == workspace_id, Reservation.expires_at <= moment)
        .distinct()
    )
    stocks = lock_stock_ids(session, stock_ids, moment)
    return drop_holds(session, stocks, Reservation.expires_at <= moment)
