"""Orders: placing them (allocating stock all-or-nothing), their status timeline and click-and-collect.

Every status change goes through the pure table in `omnicx.commerce.transitions`, is recorded with its time and
actor in `commerce_order_event`, and is published on the realtime topic `CommerceTopic.ORDER` after commit.
Stock follows the status: cancelling releases what was allocated, handing over (shipped, picked up) takes it off
the shelf, a return puts it back.
"""

from __future__ import annotations

import hmac
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce import transitions
from omnicx.commerce.enums import Fulfilment, LineStock, LocationKind, NoticeKind, OrderStatus, SalesChannel
from omnicx.commerce.errors import OrderNotFound, OutOfStock, PickupCodeInvalid
from omnicx.commerce.models import Location, Notification, Order, OrderEvent, OrderLine, Reservation
from omnicx.commerce.money import exponent, format_money
from omnicx.commerce.schemas import (
    CustomerRef,
    NoticePublic,
    OrderCreate,
    OrderEventPublic,
    OrderLinePublic,
    OrderPublic,
    OrderSummary,
    OrderTracking,
)
from omnicx.commerce.service._common import load_location, lock_stock_ids, publish_order
from omnicx.commerce.service.stock import publish_stocks, reservation_rows, stores_with_stock, take
from omnicx.customers.schemas import TimelineItem
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import translations
from omnicx.kernel.jobs import service as jobs_service
from omnicx.tracking import service as tracking_service

NOTIFY_READY_JOB = "commerce.notify_ready"
PICKUP_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter
STAFF_BOARD = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.ALLOCATED, OrderStatus.READY_FOR_PICKUP)


def new_pickup_code() -> str:
    return "".join(secrets.choice(PICKUP_ALPHABET) for _ in range(6))


def new_order_token() -> str:
    """256 random bits: the order page's address is its only key."""
    return secrets.token_urlsafe(32)


def resolve_customer(session: Session, *, workspace_id: uuid.UUID, customer: CustomerRef) -> uuid.UUID | None:
    """The identity-resolved customer behind a buyer's identifiers (None if all were blocked or suppressed)."""
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
        session, workspace_id=workspace_id, identifiers=identifiers, reason="order"
    )


def _load(session: Session, workspace_id: uuid.UUID, order_id: uuid.UUID, *, lock: bool = False) -> Order:
    stmt = select(Order).where(Order.workspace_id == workspace_id, Order.id == order_id)
    order = session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise OrderNotFound(f"order {order_id} not found")
    return order


def _public(session: Session, order: Order) -> OrderPublic:
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
        resolve_customer(session, workspace_id=workspace_id, customer=data.customer)
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
    for row in held:
        session.delete(row)
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
    result = _public(session, order)
    if commit:
        session.commit()
    return result


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
    order = _load(session, workspace_id, order_id, lock=True)
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
    session.flush()
    publish_order(session, workspace_id=workspace_id, order_id=order.id, status=status.value)
    result = _public(session, order)
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


def get_order(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> OrderPublic:
    return _public(session, _load(session, workspace_id, order_id))


def pickup_code(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> str:
    """The code the customer shows at the store (given to the customer only, with their notice)."""
    return _load(session, workspace_id, order_id).pickup_code


def order_by_token(session: Session, *, token: str) -> OrderTracking:
    """The customer's view of their order, found by its unguessable token (`OrderNotFound` otherwise)."""
    order = session.scalar(select(Order).where(Order.token == token)) if 20 <= len(token) <= 64 else None
    if order is None:
        raise OrderNotFound("no such order")
    full = _public(session, order)
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
    return [_public(session, o) for o in orders]


def notify_ready(
    session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID, base_url: str = ""
) -> bool:
    """Tell the customer their order is ready for pickup, once; returns False if it was already done.

    The notice (pickup code, store, the order page: absolute when `base_url` is set) goes through the inbox on
    the customer's preferred channel; the commerce row records where it went, or that no channel was
    available. Runs inside the job's transaction (no commit): a rolled-back run leaves nothing behind, so
    its replay sends the one notice.
    """
    order = _load(session, workspace_id, order_id)
    exists = session.scalar(
        select(Notification.id).where(
            Notification.order_id == order.id, Notification.kind == NoticeKind.READY_FOR_PICKUP
        )
    )
    if exists is not None:
        return False
    location = session.get(Location, order.location_id)
    store = location.name if location else ""
    path = f"/o/{order.token}"
    link = f"{base_url.rstrip('/')}{path}" if base_url else path
    detail: dict[str, object] = {"pickup_code": order.pickup_code, "location": store, "order_path": path}
    detail.update(_send_ready_notice(session, order, store, link))
    session.add(
        Notification(
            workspace_id=workspace_id,
            order_id=order.id,
            customer_id=order.customer_id,
            kind=NoticeKind.READY_FOR_PICKUP,
            detail=detail,
        )
    )
    session.flush()
    publish_order(session, workspace_id=workspace_id, order_id=order.id, status=order.status.value)
    return True


def _send_ready_notice(session: Session, order: Order, store: str, link: str) -> dict[str, object]:
    """Hand the notice to the inbox; what to remember about where it went (`channel` None: nowhere)."""
    if order.customer_id is None:
        return {"channel": None}
    workspace = auth_service.get_workspace(session, workspace_id=order.workspace_id)
    t = translations(workspace.default_language)
    subject = t.gettext("Your order is ready for pickup")
    text = t.gettext(
        "Your order is ready for pickup at %(store)s.\n\nPickup code: %(code)s\n\nFollow your order: %(link)s"
    ) % {"store": store, "code": order.pickup_code, "link": link}
    result = inbox_service.notify_customer(
        session,
        workspace_id=order.workspace_id,
        customer_id=order.customer_id,
        subject=subject,
        text=text,
        key=f"commerce:{NoticeKind.READY_FOR_PICKUP}:{order.id}",
    )
    if result is None:
        return {"channel": None}
    return {
        "channel": result.channel.value,
        "inbox": result.inbox_name,
        "conversation_id": str(result.conversation_id),
        "message_id": str(result.message_id),
    }


def order_notices(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> list[NoticePublic]:
    """The notices owed to the customer for an order and where each went (oldest first), for staff."""
    _load(session, workspace_id, order_id)
    rows = session.scalars(
        select(Notification).where(Notification.order_id == order_id).order_by(Notification.created_at)
    )
    return [
        NoticePublic(
            kind=row.kind,
            channel=(row.detail or {}).get("channel"),
            inbox=str((row.detail or {}).get("inbox") or ""),
            conversation_id=(row.detail or {}).get("conversation_id"),
            created_at=row.created_at,
        )
        for row in rows
    ]


def list_notifications(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> list[NoticeKind]:
    """Kinds of the notices recorded for an order (oldest first)."""
    _load(session, workspace_id, order_id)
    return list(
        session.scalars(
            select(Notification.kind)
            .where(Notification.order_id == order_id)
            .order_by(Notification.created_at)
        )
    )


def order_timeline(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Customer 360 timeline provider: every status step of the customer's orders, newest first."""
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
            title=f"Order {event.status.value.replace('_', ' ')}",
            detail=f"{format_money(order.total_minor, order.currency)} · {order.fulfilment.value}",
            channel=order.channel.value,
            direction="none",
            url=f"/commerce/orders/{order.id}",
            source="commerce",
        )
        for event, order in rows
    ]
