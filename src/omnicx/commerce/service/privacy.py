"""GDPR erasure and export of what commerce holds about a customer, registered with identity by the wiring.

Orders are the books: their lines, totals, status timeline and the stock they took stay as they are, so revenue
and stock figures do not change when a customer is erased. What made them the customer's goes:
- the order's link to the customer (and the notice rows' link) is cleared; the notices' text went out through
  the inbox and is erased there;
- a Shopify-compatible webhook kept as received carries the buyer's name, email, phone, addresses, notes and
  browser details: the bodies about this customer (their orders' ids, or their email or phone in the body) are
  cut down to what the books need (order id and number, totals, currency, statuses, dates, line items);
- their carts are deleted with their items (a cart is an intention, not a sale) and the reservations holding a
  checkout of theirs, or naming one of their identifiers as reference, are released at once.

A webhook is found by the customer's orders' ids, their email, or their phone written with its country code;
one naming only a national spelling of their phone (no country code, nothing else of theirs) is not.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, or_, select, update
from sqlalchemy.orm import Session

from omnicx.analytics.service import Stream
from omnicx.commerce.enums import ShopifyTopic
from omnicx.commerce.models import (
    Cart,
    CartItem,
    Location,
    Notification,
    Order,
    OrderEvent,
    OrderLine,
    Product,
    Reservation,
    Review,
    ReviewRequest,
    ShopifyWebhook,
)
from omnicx.commerce.schemas import (
    CartExport,
    CartItemPublic,
    CommerceExport,
    NoticeExport,
    OrderExport,
    OrderLinePublic,
    OrderStepExport,
    ReviewExport,
)
from omnicx.commerce.service._common import drop_holds, lock_stock_ids
from omnicx.commerce.service.stock import publish_stocks
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import DataSubject, Identifier, IdentifierKind
from omnicx.kernel.jobs.feed import record_changes

# What an order webhook keeps once its buyer is erased: enough to account for the sale, nothing about who.
ORDER_KEYS = frozenset(
    {
        "id",
        "name",
        "order_number",
        "currency",
        "presentment_currency",
        "total_price",
        "subtotal_price",
        "total_tax",
        "total_discounts",
        "total_line_items_price",
        "financial_status",
        "fulfillment_status",
        "cancel_reason",
        "cancelled_at",
        "closed_at",
        "processed_at",
        "created_at",
        "updated_at",
        "line_items",
    }
)
LINE_KEYS = frozenset(
    {"id", "sku", "quantity", "price", "title", "variant_title", "variant_id", "product_id", "total_discount"}
)
# Where an order webhook names its buyer's email and phone.
_CONTACT_HOLDERS = ("", "customer", "billing_address", "shipping_address")
PHONE_DIGITS = 7  # the tail of a phone number searched for in raw bodies (confirmed after parsing)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Unlink the customer's orders and notices, trim the webhooks about them, delete their carts and release
    their reservations, in the caller's transaction; returns the rows touched."""
    ws = subject.workspace_id
    ids = list(subject.customer_ids)
    external_ids = [
        e
        for e in session.scalars(
            select(Order.external_id).where(Order.workspace_id == ws, Order.customer_id.in_(ids))
        )
        if e
    ]
    touched = _trim_webhooks(session, subject, external_ids)
    unlinked = session.scalars(
        select(Order.id).where(Order.workspace_id == ws, Order.customer_id.in_(ids))
    ).all()
    record_changes(session, workspace_id=ws, stream=Stream.ORDERS.value, upserted=unlinked)
    touched += _rowcount(
        session.execute(
            update(Order)
            .where(Order.workspace_id == ws, Order.customer_id.in_(ids))
            .values(customer_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    touched += _rowcount(
        session.execute(
            update(Notification)
            .where(Notification.workspace_id == ws, Notification.customer_id.in_(ids))
            .values(customer_id=None)
            .execution_options(synchronize_session=False)
        )
    )
    cart_ids = list(
        session.scalars(select(Cart.id).where(Cart.workspace_id == ws, Cart.customer_id.in_(ids)))
    )
    touched += _release_reservations(session, subject, cart_ids)
    touched += _erase_reviews(session, ws, ids)
    if cart_ids:
        touched += _rowcount(
            session.execute(
                delete(CartItem)
                .where(CartItem.cart_id.in_(cart_ids))
                .execution_options(synchronize_session=False)
            )
        )
        touched += _rowcount(
            session.execute(
                delete(Cart).where(Cart.id.in_(cart_ids)).execution_options(synchronize_session=False)
            )
        )
    return touched


def _erase_reviews(session: Session, ws: uuid.UUID, ids: list[uuid.UUID]) -> int:
    """The customer's reviews go (their words, signed with their name) and so do the requests sent to them; a
    product's rating no longer counts them."""
    touched = 0
    for model in (Review, ReviewRequest):
        touched += _rowcount(
            session.execute(
                delete(model)
                .where(model.workspace_id == ws, model.customer_id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        )
    return touched


def _release_reservations(session: Session, subject: DataSubject, cart_ids: list[uuid.UUID]) -> int:
    """Give back the units held for the customer's checkouts (or reserved under one of their identifiers)."""
    references = [f"cart:{cart_id}" for cart_id in cart_ids]
    references += subject.values(IdentifierKind.USER_ID, IdentifierKind.PHONE)
    tests: list[ColumnElement[bool]] = [Reservation.reference.in_(references)] if references else []
    emails = subject.values(IdentifierKind.EMAIL)
    if emails:
        tests.append(func.lower(Reservation.reference).in_(emails))
    if not tests:
        return 0
    held = list(
        session.scalars(
            select(Reservation).where(Reservation.workspace_id == subject.workspace_id, or_(*tests))
        )
    )
    if not held:
        return 0
    stocks = lock_stock_ids(session, [r.stock_id for r in held])
    released = drop_holds(session, stocks, Reservation.id.in_([r.id for r in held]))
    session.flush()
    publish_stocks(session, subject.workspace_id, stocks.values())
    return released


def _trim_webhooks(session: Session, subject: DataSubject, external_ids: list[str]) -> int:
    """Cut the raw order webhooks about the customer down to `ORDER_KEYS`; returns how many were trimmed."""
    emails = set(subject.values(IdentifierKind.EMAIL))
    phones = set(subject.values(IdentifierKind.PHONE))
    body = ShopifyWebhook.body
    hints: list[ColumnElement[bool]] = [body.like(f"%{_escape(e)}%", escape="\\") for e in external_ids]
    hints += [func.lower(body).like(f"%{_escape(e)}%", escape="\\") for e in emails]
    hints += [body.like(f"%{p[-PHONE_DIGITS:]}%") for p in phones if len(p) > PHONE_DIGITS]
    candidates = session.scalars(
        select(ShopifyWebhook).where(
            ShopifyWebhook.workspace_id == subject.workspace_id,
            ShopifyWebhook.topic != ShopifyTopic.INVENTORY_LEVELS_UPDATE,
            or_(*hints) if hints else false(),
        )
    )
    trimmed = 0
    for row in candidates:
        try:
            payload = json.loads(row.body)
        except ValueError:
            continue
        if isinstance(payload, dict) and _about(payload, set(external_ids), emails, phones):
            row.body = json.dumps(_trimmed(payload))
            trimmed += 1
    session.flush()
    return trimmed


def _about(payload: dict[str, Any], external_ids: set[str], emails: set[str], phones: set[str]) -> bool:
    if str(payload.get("id", "")) in external_ids:
        return True
    for holder in _CONTACT_HOLDERS:
        place = payload if not holder else payload.get(holder)
        if not isinstance(place, dict):
            continue
        for key, kind, known in (
            ("email", IdentifierKind.EMAIL, emails),
            ("contact_email", IdentifierKind.EMAIL, emails),
            ("phone", IdentifierKind.PHONE, phones),
        ):
            value = place.get(key)
            if isinstance(value, str) and value:
                normalised = identity_service.normalise(Identifier(kind=kind, value=value))
                if normalised is not None and normalised.value in known:
                    return True
    return False


def _trimmed(payload: dict[str, Any]) -> dict[str, Any]:
    kept = {k: v for k, v in payload.items() if k in ORDER_KEYS and k != "line_items"}
    lines = payload.get("line_items")
    if isinstance(lines, list):
        kept["line_items"] = [
            {k: v for k, v in line.items() if k in LINE_KEYS} for line in lines if isinstance(line, dict)
        ]
    return kept


def _rowcount(result: object) -> int:
    count = getattr(result, "rowcount", 0)
    return int(count) if isinstance(count, int) else 0


def export_customer_data(session: Session, subject: DataSubject) -> dict[str, Any]:
    """The customer's orders (lines and status steps), carts, order notices and product reviews."""
    ws = subject.workspace_id
    ids = list(subject.customer_ids)
    orders = list(
        session.execute(
            select(Order, Location.name)
            .join(Location, Location.id == Order.location_id)
            .where(Order.workspace_id == ws, Order.customer_id.in_(ids))
            .order_by(Order.created_at, Order.id)
        ).all()
    )
    order_ids = [order.id for order, _ in orders]
    lines: dict[uuid.UUID, list[OrderLinePublic]] = {i: [] for i in order_ids}
    steps: dict[uuid.UUID, list[OrderStepExport]] = {i: [] for i in order_ids}
    if order_ids:
        for line in session.scalars(
            select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.sku)
        ):
            lines[line.order_id].append(OrderLinePublic.model_validate(line))
        for event in session.scalars(
            select(OrderEvent)
            .where(OrderEvent.order_id.in_(order_ids))
            .order_by(OrderEvent.at, OrderEvent.id)
        ):
            steps[event.order_id].append(OrderStepExport(status=event.status, at=event.at))
    carts = list(
        session.scalars(
            select(Cart).where(Cart.workspace_id == ws, Cart.customer_id.in_(ids)).order_by(Cart.created_at)
        )
    )
    items: dict[uuid.UUID, list[CartItemPublic]] = {c.id: [] for c in carts}
    if carts:
        for item in session.scalars(
            select(CartItem).where(CartItem.cart_id.in_(list(items))).order_by(CartItem.sku)
        ):
            items[item.cart_id].append(CartItemPublic(sku=item.sku, quantity=item.quantity))
    notices = session.scalars(
        select(Notification)
        .where(Notification.workspace_id == ws, Notification.customer_id.in_(ids))
        .order_by(Notification.created_at)
    )
    export = CommerceExport(
        orders=[
            OrderExport(
                id=order.id,
                external_id=order.external_id,
                status=order.status,
                channel=order.channel,
                fulfilment=order.fulfilment,
                location_name=location,
                currency=order.currency,
                total_minor=order.total_minor,
                lines=lines[order.id],
                steps=steps[order.id],
                created_at=order.created_at,
            )
            for order, location in orders
        ],
        carts=[
            CartExport(
                items=items[c.id],
                updated_at=c.updated_at,
                checked_out_at=c.checked_out_at,
                abandoned_at=c.abandoned_at,
            )
            for c in carts
        ],
        notices=[
            NoticeExport(
                order_id=n.order_id,
                kind=n.kind,
                channel=(n.detail or {}).get("channel"),
                created_at=n.created_at,
            )
            for n in notices
        ],
        reviews=[
            ReviewExport(
                order_id=review.order_id,
                product=title,
                rating=review.rating,
                title=review.title,
                body=review.body,
                status=review.status,
                created_at=review.created_at,
            )
            for review, title in session.execute(
                select(Review, Product.title)
                .join(Product, Product.id == Review.product_id)
                .where(Review.workspace_id == ws, Review.customer_id.in_(ids))
                .order_by(Review.created_at)
            )
        ],
    )
    return export.model_dump(mode="json")
