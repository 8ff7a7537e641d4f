"""An order's status changes, and what follows each one.

Every status change goes through the pure table in `omnicx.commerce.transitions`, is recorded with its time and
actor in `commerce_order_event`, and is published on the realtime topic `CommerceTopic.ORDER` after commit.
Stock follows the status: cancelling releases what was allocated, handing over (shipped, picked up) takes it off
the shelf, a return puts it back. Paid, the order becomes a sale for attribution; ready for pickup, the
customer's notice is queued; delivered or picked up, its review request is planned.
"""

from __future__ import annotations

import hmac
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.commerce import transitions
from omnicx.commerce.enums import LineStock, OrderStatus
from omnicx.commerce.errors import PickupCodeInvalid
from omnicx.commerce.models import Order, OrderEvent, OrderLine
from omnicx.commerce.money import exponent
from omnicx.commerce.schemas import OrderPublic
from omnicx.commerce.service._common import lock_stock_ids, publish_order
from omnicx.commerce.service.notices import NOTIFY_READY_JOB
from omnicx.commerce.service.orders import load_order, order_public
from omnicx.commerce.service.reviews import REACHED, plan_request
from omnicx.commerce.service.stock import publish_stocks
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.tracking import service as tracking_service


def change_status(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    order_id: uuid.UUID,
    status: OrderStatus,
    actor: str,
    pickup_code: str | None = None,
    now: datetime | None = None,
    commit: bool = True,
) -> OrderPublic:
    """Move an order to `status` if the transition table allows it (else `TransitionNotAllowed`, nothing
    changes); stock follows, the step is recorded with time and actor, and screens are told after commit.

    Marking a pickup order `picked_up` needs its pickup code; `ready_for_pickup` queues the customer's notice.
    """
    now = now or utcnow()
    order = load_order(session, workspace_id, order_id, lock=True)
    transitions.check(order.status, status, order.fulfilment)
    if status is OrderStatus.PICKED_UP and not hmac.compare_digest(
        (pickup_code or "").strip().upper().encode(), order.pickup_code.encode()
    ):
        raise PickupCodeInvalid("the pickup code does not match this order")
    _move_stock(session, order, status, now)
    order.status = status
    order.updated_at = now
    session.add(OrderEvent(workspace_id=workspace_id, order_id=order.id, status=status, actor=actor, at=now))
    if status is OrderStatus.READY_FOR_PICKUP:
        jobs_service.enqueue(
            session,
            kind=NOTIFY_READY_JOB,
            payload={"order_id": str(order.id)},
            workspace_id=workspace_id,
            idempotency_key=f"ready:{order.id}",
        )
    if status is OrderStatus.PAID:
        _record_sale(session, order, now)
    if status in REACHED:
        plan_request(session, order, now)
    session.flush()
    publish_order(session, workspace_id=workspace_id, order_id=order.id, status=status.value)
    result = order_public(session, order)
    if commit:
        session.commit()
    return result


def _record_sale(session: Session, order: Order, now: datetime) -> None:
    """A paid order is a sale: tell tracking, so attribution credits the channels that led to it.

    Uses the Segment e-commerce name (`Order Completed`) and a message id derived from the order, so a
    payment recorded twice is one sale.
    """
    if order.customer_id is None:
        return
    tracking_service.record_server_event(
        session,
        workspace_id=order.workspace_id,
        customer_id=order.customer_id,
        event="Order Completed",
        at=now,
        properties={
            "order_id": str(order.id),
            "revenue": order.total_minor / 10 ** exponent(order.currency),
            "currency": order.currency,
            "channel": order.channel.value,
            "fulfilment": order.fulfilment.value,
        },
        message_id=f"omnicx-order-{order.id}-paid",
    )


# What happens to each line's units when an order enters a status: (state before, state after, on hand change,
# allocated change) per unit.
_STOCK_MOVES: dict[OrderStatus, tuple[LineStock, LineStock, int, int]] = {
    OrderStatus.CANCELLED: (LineStock.ALLOCATED, LineStock.RELEASED, 0, -1),
    OrderStatus.SHIPPED: (LineStock.ALLOCATED, LineStock.FULFILLED, -1, -1),
    OrderStatus.PICKED_UP: (LineStock.ALLOCATED, LineStock.FULFILLED, -1, -1),
    OrderStatus.RETURNED: (LineStock.FULFILLED, LineStock.RETURNED, 1, 0),
}


def _move_stock(session: Session, order: Order, status: OrderStatus, now: datetime) -> None:
    move = _STOCK_MOVES.get(status)
    if move is None:
        return
    before, after, on_hand, allocated = move
    lines = list(
        session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id, OrderLine.stock_state == before)
        )
    )
    stocks = lock_stock_ids(session, [line.stock_id for line in lines])
    for line in lines:
        stock = stocks[line.stock_id]
        stock.on_hand += on_hand * line.quantity
        stock.allocated += allocated * line.quantity
        stock.updated_at = now
        line.stock_state = after
    session.flush()
    publish_stocks(session, order.workspace_id, stocks.values())
