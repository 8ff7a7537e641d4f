"""Orders: placing them (allocating stock all-or-nothing at one location) and reading them: one order, the
order list, a store's pickup board, the customer's own view by token and the customer 360 timeline.

What follows a placed order lives beside this module: status changes in `order_status`, the notices owed to
the customer in `notices`.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.commerce import transitions
from omnicx.commerce.enums import Fulfilment, LineStock, LocationKind, OrderStatus, SalesChannel
from omnicx.commerce.errors import OrderNotFound, OutOfStock
from omnicx.commerce.labels import FULFILMENT_NAMES, SALES_CHANNEL_NAMES, STATUS_NAMES
from omnicx.commerce.models import Location, Order, OrderEvent, OrderLine, Reservation
from omnicx.commerce.money import format_money
from omnicx.commerce.schemas import (
    CustomerRef,
    OrderCreate,
    OrderEventPublic,
    OrderLinePublic,
    OrderPublic,
    OrderSummary,
    OrderTracking,
)
from omnicx.commerce.service._common import drop_holds, load_location, lock_stock_ids, publish_order
from omnicx.commerce.service.stock import publish_stocks, reservation_rows, stores_with_stock, take
from omnicx.customers.schemas import TimelineItem
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.tracking import service as tracking_service

PICKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
STAFF_BOARD = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.ALLOCATED, OrderStatus.READY_FOR_PICKUP)


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(6))


def new_order_token() -> str:
    """256 random bits: the order page's address is its only key."""
    return secrets.token_urlsafe(32)


def resolve_customer(
    session: Session, *, workspace_id: uuid.UUID, customer: CustomerRef, seen_at: datetime | None = None
) -> uuid.UUID | None:
    """The identity-resolved customer behind a buyer's identifiers (None if all were blocked or suppressed); a
    `customer_id` names a customer of the workspace directly (the one it was merged into, if it was), and is
    refused (`Invalid`) when the workspace has no such customer. Resolving counts as the buyer being seen at
    `seen_at` (default now: an order placed earlier, an import or the demo's history, passes its own time)."""
    if customer.customer_id is not None:
        current = identity_service.current_customer_ids(
            session, workspace_id=workspace_id, customer_ids=[customer.customer_id]
        )
        if customer.customer_id not in current:
            raise Invalid(f"no customer {customer.customer_id} in this workspace")
        return current[customer.customer_id]
    identifiers = [
        Identifier(kind=kind, value=value)
        for kind, value in (
            (IdentifierKind.USER_ID, customer.user_id),
            (IdentifierKind.EMAIL, customer.email),
            (IdentifierKind.PHONE, customer.phone),
            (IdentifierKind.ANONYMOUS_ID, customer.anonymous_id),
        )
        if value
    ]
    if not identifiers:
        return None
    return identity_service.resolve(
        session, workspace_id=workspace_id, identifiers=identifiers, seen_at=seen_at, reason="order"
    )


def load_order(
    session: Session, workspace_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False
) -> Order:
    """The workspace's order (`OrderNotFound` otherwise); with `lock`, its row is locked for the transaction."""
    stmt = select(Order).where(Order.workspace_id == workspace_id, Order.id == order_id)
    order = session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise OrderNotFound(f"order {order_id} not found")
    return order


def order_public(session: Session, order: Order) -> OrderPublic:
    """The full contract of one order: lines, status timeline and the statuses it may move to next."""
    location = session.get(Location, order.location_id)
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.sku))
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.at, OrderEvent.id)
    )
    return OrderPublic(
        id=order.id,
        status=order.status,
        channel=order.channel,
        fulfilment=order.fulfilment,
        location_id=order.location_id,
        location_name=location.name if location else "",
        customer_id=order.customer_id,
        external_id=order.external_id,
        currency=order.currency,
        total_minor=order.total_minor,
        token=order.token,
        lines=[OrderLinePublic.model_validate(line) for line in lines],
        events=[OrderEventPublic.model_validate(e) for e in events],
        next_statuses=transitions.next_statuses(order.status, order.fulfilment),
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def _choose_location(session: Session, workspace_id: uuid.UUID, data: OrderCreate) -> Location:
    if data.location_id is not None:
        location = load_location(session, workspace_id, data.location_id)
        if data.fulfilment is Fulfilment.PICKUP and not location.pickup:
            raise Invalid(f"{location.name} does not offer pickup")
        return location
    pickup = data.fulfilment is Fulfilment.PICKUP
    candidates = stores_with_stock(session, workspace_id=workspace_id, lines=data.lines, pickup_only=pickup)
    locations = [load_location(session, workspace_id, c) for c in candidates]
    if not pickup:  # ship from a warehouse when one can, else from a store
        locations.sort(key=lambda loc: loc.kind is not LocationKind.WAREHOUSE)
    if not locations:
        first = data.lines[0].sku
        raise OutOfStock(f"no {'pickup store' if pickup else 'location'} has every item in stock", sku=first)
    return locations[0]


def place_order(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    data: OrderCreate,
    actor: str,
    now: datetime | None = None,
    commit: bool = True,
) -> OrderPublic:
    """Place an order and allocate its stock at one location, every line or none (`OutOfStock`).

    With `reservation_id`, the checkout's reserved units are turned into the allocation. The buyer is resolved
    to one customer through identity. Store sales also count as a store touchpoint for attribution.
    """
    now = now or utcnow()
    customer_id = (
        resolve_customer(session, workspace_id=workspace_id, customer=data.customer, seen_at=now)
        if data.customer
        else None
    )
    extra: dict[uuid.UUID, int] = {}
    held: list[Reservation] = []
    if data.reservation_id is not None:
        held = reservation_rows(session, workspace_id, data.reservation_id)
        live = [r for r in held if r.expires_at > now]
        extra = {r.stock_id: r.quantity for r in live}
    location = _choose_location(session, workspace_id, data)
    held_stocks = lock_stock_ids(session, [r.stock_id for r in held], now)
    taken = take(
        session, workspace_id=workspace_id, location=location, lines=data.lines, extra=extra, now=now
    )
    currencies = {variant.currency for _, variant, _ in taken.values()}
    if len(currencies) != 1:
        raise Invalid("every line of an order must be priced in the same currency")
    quantities: dict[str, int] = {}
    for line in data.lines:
        quantities[line.sku] = quantities.get(line.sku, 0) + line.quantity
    order = Order(
        workspace_id=workspace_id,
        customer_id=customer_id,
        external_id=data.external_id,
        channel=data.channel,
        fulfilment=data.fulfilment,
        location_id=location.id,
        status=OrderStatus.PLACED,
        currency=currencies.pop(),
        total_minor=sum(variant.price_minor * quantities[sku] for sku, (_, variant, _) in taken.items()),
        token=new_order_token(),
        pickup_code=new_pickup_code(),
        created_at=now,
        updated_at=now,
    )
    session.add(order)
    session.flush()
    for sku, (stock, variant, _left) in taken.items():
        stock.allocated += quantities[sku]
        stock.updated_at = now
        session.add(
            OrderLine(
                workspace_id=workspace_id,
                order_id=order.id,
                stock_id=stock.id,
                sku=sku,
                title=variant.title,
                quantity=quantities[sku],
                unit_price_minor=variant.price_minor,
                stock_state=LineStock.ALLOCATED,
            )
        )
    if data.reservation_id is not None:
        drop_holds(session, held_stocks, Reservation.group_id == data.reservation_id)
    session.add(
        OrderEvent(
            workspace_id=workspace_id, order_id=order.id, status=OrderStatus.PLACED, actor=actor, at=now
        )
    )
    session.flush()
    if customer_id is not None and data.channel is SalesChannel.STORE:
        tracking_service.record_touchpoint(
            session,
            workspace_id=workspace_id,
            customer_id=customer_id,
            channel="Store",
            kind="purchase",
            at=now,
            detail={"order_id": str(order.id), "location": location.name},
            dedup_key=f"commerce-order:{order.id}",
        )
    publish_stocks(session, workspace_id, [stock for stock, _, _ in taken.values()])
    publish_order(session, workspace_id=workspace_id, order_id=order.id, status=order.status.value)
    result = order_public(session, order)
    if commit:
        session.commit()
    return result


def get_order(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> OrderPublic:
    return order_public(session, load_order(session, workspace_id, order_id))


def pickup_code(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> str:
    """The code the customer shows at the store (given to the customer only, with their notice)."""
    return load_order(session, workspace_id, order_id).pickup_code


def order_by_token(session: Session, *, token: str) -> OrderTracking:
    """The customer's view of their order, found by its unguessable token (`OrderNotFound` otherwise)."""
    order = session.scalar(select(Order).where(Order.token == token)) if 20 <= len(token) <= 64 else None
    if order is None:
        raise OrderNotFound("no such order")
    full = order_public(session, order)
    return OrderTracking(
        status=full.status,
        fulfilment=full.fulfilment,
        location_name=full.location_name,
        currency=full.currency,
        total_minor=full.total_minor,
        lines=full.lines,
        events=full.events,
    )


def list_orders(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    status: Sequence[OrderStatus] | None = None,
    location_id: uuid.UUID | None = None,
    fulfilment: Fulfilment | None = None,
    customer_ids: Sequence[uuid.UUID] | None = None,
    limit: int = 100,
) -> list[OrderSummary]:
    """Orders newest first, optionally filtered."""
    stmt = (
        select(Order, Location.name, func.coalesce(func.sum(OrderLine.quantity), 0))
        .join(Location, Location.id == Order.location_id)
        .outerjoin(OrderLine, OrderLine.order_id == Order.id)
        .where(Order.workspace_id == workspace_id)
        .group_by(Order.id, Location.name)
    )
    if status:
        stmt = stmt.where(Order.status.in_(list(status)))
    if location_id is not None:
        stmt = stmt.where(Order.location_id == location_id)
    if fulfilment is not None:
        stmt = stmt.where(Order.fulfilment == fulfilment)
    if customer_ids is not None:
        stmt = stmt.where(Order.customer_id.in_(list(customer_ids)))
    rows = session.execute(stmt.order_by(Order.created_at.desc(), Order.id.desc()).limit(limit)).all()
    return [
        OrderSummary(
            id=o.id,
            status=o.status,
            channel=o.channel,
            fulfilment=o.fulfilment,
            location_name=name,
            currency=o.currency,
            total_minor=o.total_minor,
            items=int(items),
            created_at=o.created_at,
        )
        for o, name, items in rows
    ]


def pickup_board(session: Session, *, workspace_id: uuid.UUID, location_id: uuid.UUID) -> list[OrderPublic]:
    """Click-and-collect orders a store still has to prepare or hand over, oldest first."""
    load_location(session, workspace_id, location_id)
    orders = session.scalars(
        select(Order)
        .where(
            Order.workspace_id == workspace_id,
            Order.location_id == location_id,
            Order.fulfilment == Fulfilment.PICKUP,
            Order.status.in_(STAFF_BOARD),
        )
        .order_by(Order.created_at, Order.id)
    )
    return [order_public(session, o) for o in orders]


def order_timeline(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Customer 360 timeline provider: every status step of the customer's orders, newest first, in the
    language of the request."""
    rows = session.execute(
        select(OrderEvent, Order)
        .join(Order, Order.id == OrderEvent.order_id)
        .where(Order.workspace_id == workspace_id, Order.customer_id.in_(list(customer_ids)))
        .order_by(OrderEvent.at.desc(), OrderEvent.id.desc())
        .limit(limit)
    ).all()
    return [
        TimelineItem(
            at=event.at,
            kind="order",
            title=gettext("Order: %(status)s") % {"status": gettext(STATUS_NAMES[event.status])},
            detail=f"{format_money(order.total_minor, order.currency)} · {gettext(FULFILMENT_NAMES[order.fulfilment])}",
            channel=order.channel.value,
            channel_label=gettext(SALES_CHANNEL_NAMES[order.channel]),
            direction="none",
            url=f"/commerce/orders/{order.id}",
            source="commerce",
        )
        for event, order in rows
    ]


#: The groups `buyer_groups` puts customers in, for reports that break their numbers down by customer group.
BUYER_GROUP_LABELS = {
    "repeat": N_("Repeat buyers"),
    "one": N_("One order"),
    "none": N_("No order yet"),
}


def buyer_groups(
    session: Session, workspace_id: uuid.UUID, customer_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """Each customer's group by the orders they placed (cancelled ones aside), counting the orders of every
    customer merged into them: repeat buyers, one order, none yet."""
    current = identity_service.current_customer_ids(
        session, workspace_id=workspace_id, customer_ids=customer_ids
    )
    survivors = set(current.values())
    owners = {**identity_service.absorbed_into(session, workspace_id=workspace_id, survivors=survivors)}
    owners.update({survivor: survivor for survivor in survivors})
    counts = session.execute(
        select(Order.customer_id, func.count())
        .where(
            Order.workspace_id == workspace_id,
            Order.customer_id.in_(list(owners)),
            Order.status != OrderStatus.CANCELLED,
        )
        .group_by(Order.customer_id)
    ).all()
    orders: Counter[uuid.UUID] = Counter()
    for customer_id, count in counts:
        if customer_id is not None:
            orders[owners[customer_id]] += count
    groups = {0: "none", 1: "one"}
    return {asked: groups.get(orders[survivor], "repeat") for asked, survivor in current.items()}
