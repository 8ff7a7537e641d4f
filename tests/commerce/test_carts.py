"""Carts across devices: an anonymous phone cart and a signed-in laptop cart become one cart."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.errors import OutOfStock
from omnicx.commerce.schemas import CartCheckout, CartItemChange, CustomerRef
from tests.commerce.conftest import Shop


def test_anonymous_phone_cart_and_sign_in_elsewhere_make_one_cart(db: Session, shop: Shop) -> None:
    phone = CustomerRef(anonymous_id="phone-anon-1")
    laptop = CustomerRef(anonymous_id="laptop-anon-2")
    service.set_cart_item(
        db, workspace_id=shop.workspace_id, data=CartItemChange(customer=phone, sku="MUG", quantity=1)
    )
    service.set_cart_item(
        db, workspace_id=shop.workspace_id, data=CartItemChange(customer=laptop, sku="TEE-S", quantity=2)
    )
    # Signing in on the laptop links its device to the user; signing in on the phone links the phone too.
    signed_laptop = CustomerRef(user_id="u-42", anonymous_id="laptop-anon-2")
    service.get_cart(db, workspace_id=shop.workspace_id, customer=signed_laptop)
    cart = service.get_cart(
        db, workspace_id=shop.workspace_id, customer=CustomerRef(user_id="u-42", anonymous_id="phone-anon-1")
    )
    assert {(i.sku, i.quantity) for i in cart.items} == {("MUG", 1), ("TEE-S", 2)}
    again = service.get_cart(db, workspace_id=shop.workspace_id, customer=phone)
    assert again.id == cart.id and again.items == cart.items


def test_checkout_reserves_the_cart_with_expiry(db: Session, shop: Shop) -> None:
    me = CustomerRef(email="lin@example.com")
    service.set_cart_item(
        db, workspace_id=shop.workspace_id, data=CartItemChange(customer=me, sku="TEE-S", quantity=3)
    )
    held = service.checkout_cart(
        db, workspace_id=shop.workspace_id, data=CartCheckout(customer=me, location_id=shop.store.id)
    )
    assert held.reference.startswith("cart:") and held.lines[0].quantity == 3
    with pytest.raises(OutOfStock):
        service.checkout_cart(
            db, workspace_id=shop.workspace_id, data=CartCheckout(customer=me, location_id=shop.store.id)
        )
    db.rollback()
