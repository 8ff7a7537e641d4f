"""Carts across devices: one cart per identity-resolved customer, merged when the customers merge.

Carts keep the customer id they were created for. When identity later merges two customers (an anonymous phone
and a signed-in laptop turn out to be one person), the next read finds every cart of the survivor's lineage and
folds them into one.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.commerce.models import Cart, CartItem
from omnicx.commerce.schemas import (
    CartCheckout,
    CartItemChange,
    CartItemPublic,
    CartPublic,
    CustomerRef,
    LineRequest,
    ReservationCreate,
    ReservationPublic,
)
from omnicx.commerce.service._common import variants_by_sku
from omnicx.commerce.service.orders import resolve_customer
from omnicx.commerce.service.stock import reserve
from omnicx.identity import service as identity_service
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs import service as jobs_service
from omnicx.tracking import service as tracking_service


def _customer(session: Session, workspace_id: uuid.UUID, customer: CustomerRef) -> uuid.UUID:
    customer_id = resolve_customer(session, workspace_id=workspace_id, customer=customer)
    if customer_id is None:
        raise Invalid("a cart needs at least one usable identifier of the shopper")
    return customer_id


def _cart(session: Session, workspace_id: uuid.UUID, customer_id: uuid.UUID, now: datetime) -> Cart:
    """The customer's one cart: carts of every id merged into them are folded in (oldest cart survives)."""
    ids = identity_service.customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    carts = list(
        session.scalars(
            select(Cart)
            .where(Cart.workspace_id == workspace_id, Cart.customer_id.in_(ids))
            .order_by(Cart.created_at, Cart.id)
        )
    )
    if not carts:
        cart = Cart(workspace_id=workspace_id, customer_id=customer_id, updated_at=now)
        session.add(cart)
        session.flush()
        return cart
    keeper, others = carts[0], carts[1:]
    keeper.customer_id = customer_id
    if others:
        items = {i.sku: i for i in session.scalars(select(CartItem).where(CartItem.cart_id == keeper.id))}
        for other in others:
            for item in session.scalars(select(CartItem).where(CartItem.cart_id == other.id)):
                if item.sku in items:
                    items[item.sku].quantity += item.quantity
                    session.delete(item)
                else:
                    item.cart_id = keeper.id
                    items[item.sku] = item
            session.flush()
            session.delete(other)
        keeper.updated_at = now
        session.flush()
    return keeper


def _public(session: Session, cart: Cart) -> CartPublic:
    items = session.scalars(select(CartItem).where(CartItem.cart_id == cart.id).order_by(CartItem.sku))
    return CartPublic(
        id=cart.id,
        customer_id=cart.customer_id,
        items=[CartItemPublic(sku=i.sku, quantity=i.quantity) for i in items],
    )


CART_CHECK_JOB = "commerce.cart_check"
ABANDON_AFTER = timedelta(hours=1)


def _schedule_check(session: Session, cart: Cart, touched_at: datetime) -> None:
    """Look at the cart again an hour after this change; only the check of its last change can fire."""
    jobs_service.enqueue(
        session,
        kind=CART_CHECK_JOB,
        payload={"cart_id": str(cart.id), "touched_at": touched_at.isoformat()},
        workspace_id=cart.workspace_id,
        idempotency_key=f"cart-check:{cart.id}:{touched_at.isoformat()}",
        run_at=touched_at + ABANDON_AFTER,
    )


def check_abandoned_cart(
    session: Session, *, workspace_id: uuid.UUID, cart_id: uuid.UUID, touched_at: datetime
) -> bool:
    """Record `Cart Abandoned` if the cart still has items, was not changed since `touched_at` and was not
    checked out after it. Writes in the caller's transaction (a job's); returns whether it fired.

    The event goes to tracking like any other, so segments, journeys and the inbox can react to it; its message id
    is derived from the cart and the change, so a retried check records it once.
    """
    cart = session.scalar(select(Cart).where(Cart.id == cart_id, Cart.workspace_id == workspace_id))
    if cart is None or cart.updated_at > touched_at:
        return False
    if cart.checked_out_at is not None and cart.checked_out_at >= cart.updated_at:
        return False
    items = _public(session, cart).items
    if not items:
        return False
    cart.abandoned_at = utcnow()
    tracking_service.record_server_event(
        session,
        workspace_id=workspace_id,
        customer_id=cart.customer_id,
        event="Cart Abandoned",
        at=cart.abandoned_at,
        properties={
            "cart_id": str(cart.id),
            "products": [{"sku": i.sku, "quantity": i.quantity} for i in items],
            "last_change": cart.updated_at.isoformat(),
        },
        message_id=f"omnicx-cart-{cart.id}-abandoned-{touched_at.isoformat()}",
    )
    session.flush()
    return True


def get_cart(session: Session, *, workspace_id: uuid.UUID, customer: CustomerRef) -> CartPublic:
    """The shopper's cart, whichever device they use (carts of merged customers folded in); committed."""
    cart = _cart(session, workspace_id, _customer(session, workspace_id, customer), utcnow())
    result = _public(session, cart)
    session.commit()
    return result


def set_cart_item(
    session: Session, *, workspace_id: uuid.UUID, data: CartItemChange, commit: bool = True
) -> CartPublic:
    """Set one SKU's quantity in the shopper's cart (0 removes it); committed unless `commit` is False (the
    caller's transaction goes on, as when an agent's offer puts items in the cart and then sends the link)."""
    variants_by_sku(session, workspace_id, [data.sku])
    now = utcnow()
    cart = _cart(session, workspace_id, _customer(session, workspace_id, data.customer), now)
    item = session.scalar(select(CartItem).where(CartItem.cart_id == cart.id, CartItem.sku == data.sku))
    if data.quantity == 0:
        if item is not None:
            session.delete(item)
    elif item is None:
        session.add(
            CartItem(workspace_id=workspace_id, cart_id=cart.id, sku=data.sku, quantity=data.quantity)
        )
    else:
        item.quantity = data.quantity
    cart.updated_at = now
    cart.abandoned_at = None
    _schedule_check(session, cart, now)
    session.flush()
    result = _public(session, cart)
    if commit:
        session.commit()
    return result


def checkout_cart(session: Session, *, workspace_id: uuid.UUID, data: CartCheckout) -> ReservationPublic:
    """Reserve every item of the shopper's cart at one location until the checkout expires; committed."""
    cart = _cart(session, workspace_id, _customer(session, workspace_id, data.customer), utcnow())
    items = _public(session, cart).items
    if not items:
        raise Invalid("the cart is empty")
    cart.checked_out_at = utcnow()
    return reserve(
        session,
        workspace_id=workspace_id,
        data=ReservationCreate(
            location_id=data.location_id,
            lines=[LineRequest(sku=i.sku, quantity=i.quantity) for i in items],
            ttl_seconds=data.ttl_seconds,
            reference=f"cart:{cart.id}",
        ),
    )
