"""The analytics copy follows commerce: orders and their lines as placed, each status change, and an erased
customer's orders unlinked."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.commerce.enums import OrderStatus
from omnicx.commerce.models import Order, OrderLine
from omnicx.commerce.schemas import LineRequest
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop
from tests.commerce.test_orders import move, place


def _copied(runtime: Runtime, shop: Shop) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    analytics_service.sync(runtime)
    with runtime.sessions() as session:
        orders = analytics_service.query(
            session,
            workspace_id=shop.workspace_id,
            sql="SELECT id, customer_id, status, total_minor, created_at FROM orders",
        )
        lines = analytics_service.query(
            session, workspace_id=shop.workspace_id, sql="SELECT id, order_id, sku, quantity FROM order_lines"
        )
    return {tuple(r) for r in orders}, {tuple(r) for r in lines}


def _stored(runtime: Runtime, shop: Shop) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    with runtime.sessions() as session:
        orders = session.execute(
            select(Order.id, Order.customer_id, Order.status, Order.total_minor, Order.created_at).where(
                Order.workspace_id == shop.workspace_id
            )
        )
        lines = session.execute(
            select(OrderLine.id, OrderLine.order_id, OrderLine.sku, OrderLine.quantity).where(
                OrderLine.workspace_id == shop.workspace_id
            )
        )
        return {(r[0], r[1], r[2].value, *r[3:]) for r in orders}, {tuple(r) for r in lines}


def test_orders_and_lines_follow_placement_and_status(runtime: Runtime, db: Session, shop: Shop) -> None:
    order = place(db, shop)
    other = place(db, shop, lines=[LineRequest(sku="MUG", quantity=1)])
    copied = _copied(runtime, shop)
    assert copied == _stored(runtime, shop) and len(copied[0]) == 2 and len(copied[1]) == 3
    move(db, shop, order, OrderStatus.CANCELLED)
    db.rollback()
    copied = _copied(runtime, shop)
    assert copied == _stored(runtime, shop)
    assert {r[0]: r[2] for r in copied[0]} == {order.id: "cancelled", other.id: "placed"}
