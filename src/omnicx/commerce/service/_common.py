"""Helpers shared by the commerce services: loading scoped rows, locking stock, computing availability."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.commerce.enums import CommerceTopic
from omnicx.commerce.errors import LocationNotFound, VariantNotFound
from omnicx.commerce.models import Location, Reservation, Stock, Variant
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.db import utcnow
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
    session: Session, workspace_id: uuid.UUID, location_id: uuid.UUID, variant_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Stock]:
    """Lock the stock rows of `variant_ids` at one location, by variant id; the one row-locking helper.

    PostgreSQL: `SELECT ... FOR UPDATE` in id order, so two buyers of the same items queue instead of
    deadlocking, and each sees the other's committed reservations once it holds the lock. SQLite: every
    transaction began `IMMEDIATE`, so writers are already serialised and the clause is a no-op.
    """
    rows = session.scalars(
        select(Stock)
        .where(
            Stock.workspace_id == workspace_id,
            Stock.location_id == location_id,
            Stock.variant_id.in_(set(variant_ids)),
        )
        .order_by(Stock.id)
        .with_for_update()
    )
    return {row.variant_id: row for row in rows}


def lock_stock_ids(session: Session, stock_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Stock]:
    """Lock stock rows by id (in id order, see `lock_stock`)."""
    rows = session.scalars(
        select(Stock).where(Stock.id.in_(set(stock_ids))).order_by(Stock.id).with_for_update()
    )
    return {row.id: row for row in rows}


def reserved_by_stock(
    session: Session, stock_ids: Iterable[uuid.UUID], now: datetime | None = None
) -> dict[uuid.UUID, int]:
    """Units held by unexpired reservations, per stock row (expired ones stop counting at once)."""
    ids = set(stock_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Reservation.stock_id, func.sum(Reservation.quantity))
        .where(Reservation.stock_id.in_(ids), Reservation.expires_at > (now or utcnow()))
        .group_by(Reservation.stock_id)
    ).all()
    return {stock_id: int(total or 0) for stock_id, total in rows}


def publish_stock(
    session: Session, *, workspace_id: uuid.UUID, sku: str, location: Location, available: int, on_hand: int
) -> None:
    realtime_service.publish(
        session,
        RealtimeEvent(
            workspace_id=workspace_id,
            topic=CommerceTopic.STOCK,
            data={
                "sku": sku,
                "location_id": str(location.id),
                "location": location.name,
                "available": available,
                "on_hand": on_hand,
                "summary": f"{sku}: {available} available at {location.name}",
                "url": f"/commerce/stock?location_id={location.id}",
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
