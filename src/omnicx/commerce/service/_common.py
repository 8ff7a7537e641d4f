"""Helpers shared by the commerce services: loading scoped rows, locking stock, computing availability."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Table, delete, func, or_, select
from sqlalchemy.orm import Session

from omnicx.commerce.enums import CommerceTopic
from omnicx.commerce.errors import LocationNotFound, VariantNotFound
from omnicx.commerce.models import Location, Reservation, Stock, Variant
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.db import Base, utcnow
from omnicx.kernel.realtime import service as realtime_service
from omnicx.kernel.realtime.bus import RealtimeEvent


def load_location(session: Session, workspace_id: uuid.UUID, location_id: uuid.UUID) -> Location:
    location = session.scalar(
        select(Location).where(Location.workspace_id == workspace_id, Location.id == location_id)
    )
    if location is None:
        raise LocationNotFound(f"location {location_id} not found")
    return location


def variants_by_sku(session: Session, workspace_id: uuid.UUID, skus: Iterable[str]) -> dict[str, Variant]:
    """The variants of `skus` in this workspace; an unknown SKU is `VariantNotFound`."""
    wanted = set(skus)
    found = {
        v.sku: v
        for v in session.scalars(
            select(Variant).where(Variant.workspace_id == workspace_id, Variant.sku.in_(wanted))
        )
    }
    missing = sorted(wanted - set(found))
    if missing:
        raise VariantNotFound(f"unknown SKU {missing[0]!r}")
    return found


def lock_stock(
    session: Session,
    workspace_id: uuid.UUID,
    location_id: uuid.UUID,
    variant_ids: Sequence[uuid.UUID],
    now: datetime | None = None,
) -> dict[uuid.UUID, Stock]:
    """Lock the stock rows of `variant_ids` at one location, by variant id; the one row-locking helper.

    PostgreSQL: `SELECT ... FOR NO KEY UPDATE` in id order, so two buyers of the same items queue instead of
    deadlocking, and each sees the other's committed reservations once it holds the lock. (Not `FOR UPDATE`:
    that would also wait for the key-share locks that inserting a reservation takes on its stock row, and a
    buyer who inserted first and then waits on this lock would deadlock with it.) SQLite: every
    transaction began `IMMEDIATE`, so writers are already serialised and the clause is a no-op. The rows are
    re-read (an earlier unlocked read in the session must not win) and their expired holds folded back, so
    `on_hand - allocated - reserved` of a returned row is exactly what is available.
    """
    rows = session.scalars(
        select(Stock)
        .where(
            Stock.workspace_id == workspace_id,
            Stock.location_id == location_id,
            Stock.variant_id.in_(set(variant_ids)),
        )
        .order_by(Stock.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    stocks = {row.variant_id: row for row in rows}
    _fold_expired(session, stocks.values(), now)
    return stocks


def lock_stock_ids(
    session: Session, stock_ids: Iterable[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, Stock]:
    """Lock stock rows by id (in id order, expired holds folded back: see `lock_stock`)."""
    rows = session.scalars(
        select(Stock)
        .where(Stock.id.in_(set(stock_ids)))
        .order_by(Stock.id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    stocks = {row.id: row for row in rows}
    _fold_expired(session, stocks.values(), now)
    return stocks


def _fold_expired(session: Session, stocks: Iterable[Stock], now: datetime | None) -> None:
    """Take the holds that expired since each locked row's fold mark off its counter; move the mark to now.

    Never past the clock: a hold created later for a moment before the mark would be born uncounted.
    """
    moment = min(now or utcnow(), utcnow())
    by_id = {s.id: s for s in stocks}
    if not by_id:
        return
    expired = session.execute(
        select(Reservation.stock_id, func.sum(Reservation.quantity))
        .join(Stock, Stock.id == Reservation.stock_id)
        .where(
            Reservation.stock_id.in_(by_id),
            Reservation.expires_at <= moment,
            or_(Stock.reserved_folded_at.is_(None), Reservation.expires_at > Stock.reserved_folded_at),
        )
        .group_by(Reservation.stock_id)
    ).all()
    for stock_id, units in expired:
        stock = by_id[stock_id]
        stock.reserved -= int(units or 0)
        stock.reserved_folded_at = moment


def held_units(now: datetime | ColumnElement[datetime]) -> ColumnElement[int]:
    """Units held at `now` by a stock row's reservations, as an expression of a query over `commerce_stock`.

    The counter less the holds that expired since the row was last folded: one statement, so the two agree
    even while other buyers reserve.
    """
    stock: Table = Base.metadata.tables["commerce_stock"]
    hold: Table = Base.metadata.tables["commerce_reservation"]
    expired = (
        select(func.coalesce(func.sum(hold.c.quantity), 0))
        .where(
            hold.c.stock_id == stock.c.id,
            hold.c.expires_at <= now,
            or_(stock.c.reserved_folded_at.is_(None), hold.c.expires_at > stock.c.reserved_folded_at),
        )
        .correlate(stock)
        .scalar_subquery()
    )
    return stock.c.reserved - expired


def drop_holds(session: Session, stocks: dict[uuid.UUID, Stock], *conditions: ColumnElement[bool]) -> int:
    """Delete the reservations matching `conditions` among the locked `stocks`; returns how many.

    The units of each deleted hold still counted (expiring after its row's fold mark) leave the counter in the
    same transaction, whether the hold is given back, converted into an allocation, erased or swept.
    """
    if not stocks:
        return 0
    gone = session.execute(
        delete(Reservation)
        .where(Reservation.stock_id.in_(stocks), *conditions)
        .returning(Reservation.stock_id, Reservation.quantity, Reservation.expires_at)
        .execution_options(synchronize_session="fetch")
    ).all()
    for stock_id, quantity, expires_at in gone:
        stock = stocks[stock_id]
        if stock.reserved_folded_at is None or expires_at > stock.reserved_folded_at:
            stock.reserved -= quantity
    return len(gone)


def publish_stock(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    sku: str,
    location_id: uuid.UUID,
    location_name: str,
    available: int,
    on_hand: int,
) -> None:
    realtime_service.publish(
        session,
        RealtimeEvent(
            workspace_id=workspace_id,
            topic=CommerceTopic.STOCK,
            data={
                "sku": sku,
                "location_id": str(location_id),
                "location": location_name,
                "available": available,
                "on_hand": on_hand,
                "summary": f"{sku}: {available} available at {location_name}",
                "url": f"/commerce/stock?location_id={location_id}",
            },
            action=Action.COMMERCE_READ.value,
        ),
    )


def publish_order(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID, status: str) -> None:
    realtime_service.publish(
        session,
        RealtimeEvent(
            workspace_id=workspace_id,
            topic=CommerceTopic.ORDER,
            data={
                "order_id": str(order_id),
                "status": status,
                "summary": f"Order {str(order_id)[-8:]}: {status.replace('_', ' ')}",
                "url": f"/commerce/orders/{order_id}",
            },
            action=Action.COMMERCE_READ.value,
        ),
    )
