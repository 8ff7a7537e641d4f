"""The reserved counter on each stock row: always the sum of the holds it still counts, whatever happens to them.

A reservation raises the counter, and releasing, ordering, erasing, sweeping or simply expiring takes the units
back off; what screens and checkouts see (`list_stock`) is always the sum of the unexpired holds.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.app.migrations import alembic_config, upgrade_to_head
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate
from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, SalesChannel
from omnicx.commerce.errors import OutOfStock, ReservationNotFound
from omnicx.commerce.models import Reservation, Stock, Variant
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate, ReservationCreate
from omnicx.identity.schemas import DataSubject, Identifier, IdentifierKind
from omnicx.kernel.db import utcnow
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, make_shop

Step = tuple[Any, ...]
COUNTER_DOWN_REVISION = "d5112764f122"  # the revision before the stock rows kept a reserved counter
REFERENCES = ["ana@example.com", "bob@example.com", "cart:1"]

reserve = st.tuples(
    st.just("reserve"),
    st.lists(st.tuples(st.sampled_from(["TEE-S", "MUG"]), st.integers(1, 3)), min_size=1, max_size=2),
    st.booleans(),  # born expired (dated an hour ago) or live
    st.sampled_from(REFERENCES),
)
operations = st.lists(
    st.one_of(
        reserve,
        st.tuples(st.just("release"), st.integers(0, 9)),
        st.tuples(st.just("order"), st.integers(0, 9)),
        st.tuples(st.just("erase"), st.sampled_from(REFERENCES)),
        st.tuples(st.just("sweep")),
    ),
    min_size=1,
    max_size=10,
)


@dataclass
class Run:
    db: Session
    shop: Shop
    made: list[ReservationCreate] = field(default_factory=list)
    ids: list[uuid.UUID] = field(default_factory=list)


def _counted(db: Session, stock: Stock) -> int:
    """Units of the holds the row's counter must contain: those expiring after its fold mark."""
    stmt = select(func.coalesce(func.sum(Reservation.quantity), 0)).where(Reservation.stock_id == stock.id)
    if stock.reserved_folded_at is not None:
        stmt = stmt.where(Reservation.expires_at > stock.reserved_folded_at)
    return int(db.scalar(stmt) or 0)


def _unexpired(db: Session, stock_id: uuid.UUID, now: datetime) -> int:
    return int(
        db.scalar(
            select(func.coalesce(func.sum(Reservation.quantity), 0)).where(
                Reservation.stock_id == stock_id, Reservation.expires_at > now
            )
        )
        or 0
    )


def assert_counters_agree(db: Session, workspace_id: uuid.UUID) -> None:
    db.expire_all()
    now = utcnow()
    stocks = db.execute(
        select(Stock, Variant.sku)
        .join(Variant, Variant.id == Stock.variant_id)
        .where(Stock.workspace_id == workspace_id)
    ).all()
    for stock, _sku in stocks:
        assert stock.reserved == _counted(db, stock), "the counter drifted from the holds it counts"
    by_place = {(stock.location_id, sku): stock for stock, sku in stocks}
    for row in service.list_stock(db, workspace_id=workspace_id, now=now):
        stock = by_place[(row.location_id, row.sku)]
        assert row.reserved == _unexpired(db, stock.id, now), (
            "an expired hold still counts, or a live one not"
        )
    db.rollback()


def _apply(run: Run, operation: Step) -> None:
    db, shop = run.db, run.shop
    kind = operation[0]
    try:
        if kind == "reserve":
            lines, expired, reference = operation[1], operation[2], operation[3]
            data = ReservationCreate(
                location_id=shop.store.id,
                lines=[LineRequest(sku=s, quantity=q) for s, q in lines],
                ttl_seconds=600,
                reference=reference,
            )
            made = service.reserve(
                db,
                workspace_id=shop.workspace_id,
                data=data,
                now=utcnow() - timedelta(hours=1) if expired else None,
            )
            run.made.append(data)
            run.ids.append(made.id)
        elif kind == "release" and run.ids:
            reservation_id = run.ids[operation[1] % len(run.ids)]
            service.release_reservation(db, workspace_id=shop.workspace_id, reservation_id=reservation_id)
        elif kind == "order" and run.ids:
            index = operation[1] % len(run.ids)
            order = OrderCreate(
                lines=run.made[index].lines,
                channel=SalesChannel.WEB,
                fulfilment=Fulfilment.PICKUP,
                location_id=shop.store.id,
                customer=CustomerRef(email="ada@example.com"),
                reservation_id=run.ids[index],
            )
            service.place_order(db, workspace_id=shop.workspace_id, data=order, actor="test")
        elif kind == "erase":
            subject = DataSubject(
                workspace_id=shop.workspace_id,
                customer_ids=(uuid.uuid4(),),
                identifiers=(Identifier(kind=IdentifierKind.EMAIL, value=operation[1]),),
            )
            service.erase_customer_data(db, subject)
            db.commit()
        elif kind == "sweep":
            service.sweep_expired(db, workspace_id=shop.workspace_id)
            db.commit()
    except (OutOfStock, ReservationNotFound):
        db.rollback()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_counter_equals_the_holds_through_every_change(db: Session, steps: list[Step]) -> None:
    workspace = auth_service.create_workspace(
        db, data=WorkspaceCreate(slug=f"counter-{uuid.uuid4().hex[:12]}", name="Counter")
    )
    run = Run(
        db, make_shop(db, workspace.id, stock={"TEE-S": (0, 6, 0), "TEE-M": (0, 0, 0), "MUG": (0, 5, 0)})
    )
    for step in steps:
        _apply(run, step)
        assert_counters_agree(db, workspace.id)
    service.sweep_expired(db, workspace_id=workspace.id, now=utcnow() + timedelta(days=1))
    db.commit()
    assert_counters_agree(db, workspace.id)
    rows = service.list_stock(db, workspace_id=workspace.id)
    db.rollback()
    assert all(r.reserved == 0 and r.available >= 0 for r in rows)


def test_a_hold_stops_counting_the_moment_it_expires(db: Session, shop: Shop) -> None:
    made = utcnow() - timedelta(minutes=2)  # a 60-second hold made two minutes ago
    request = ReservationCreate(
        location_id=shop.store.id, lines=[LineRequest(sku="MUG", quantity=4)], ttl_seconds=60
    )
    service.reserve(db, workspace_id=shop.workspace_id, data=request, now=made)
    assert _available(db, shop, now=made + timedelta(seconds=59)) == 0
    assert _available(db, shop, now=made + timedelta(seconds=60, milliseconds=1)) == 4
    assert _available(db, shop) == 4  # no sweep, no lock taken: it simply stopped counting
    service.reserve(db, workspace_id=shop.workspace_id, data=request.model_copy(update={"ttl_seconds": 600}))
    assert _available(db, shop) == 0
    (stock,) = db.scalars(
        select(Stock)
        .join(Variant, Variant.id == Stock.variant_id)
        .where(Stock.location_id == shop.store.id, Variant.sku == "MUG")
    )
    assert stock.reserved == 4  # the expired hold was folded back when the row was locked for the new one
    db.rollback()


def _available(db: Session, shop: Shop, now: datetime | None = None) -> int:
    rows = service.list_stock(db, workspace_id=shop.workspace_id, sku="MUG", now=now)
    db.rollback()
    return next(r.available for r in rows if r.location_id == shop.store.id)


def test_migration_counts_the_holds_made_before_it(
    runtime: Runtime, db: Session, shop: Shop, database_url: str
) -> None:
    mugs = ReservationCreate(location_id=shop.store.id, lines=[LineRequest(sku="MUG", quantity=2)])
    service.reserve(db, workspace_id=shop.workspace_id, data=mugs)
    stale = mugs.model_copy(update={"lines": [LineRequest(sku="MUG", quantity=1)], "ttl_seconds": 60})
    service.reserve(db, workspace_id=shop.workspace_id, data=stale, now=utcnow() - timedelta(hours=1))
    db.close()
    runtime.engine.dispose()  # no pooled connection may hold the table while it is rebuilt
    command.downgrade(alembic_config(database_url), COUNTER_DOWN_REVISION)
    upgrade_to_head(database_url)
    assert_counters_agree(db, shop.workspace_id)
    assert (
        _available(db, shop) == 2
    )  # 4 on hand, 2 held; the hold that expired before the migration counts for nothing
