"""Carts across devices: an anonymous phone cart and a signed-in laptop cart become one cart."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.errors import OutOfStock
from omnicx.commerce.schemas import CartCheckout, CartItemChange, CustomerRef
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop
from tests.conftest import World


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


def _events(db: Session, shop: Shop, name: str) -> list[dict[str, object]]:
    from omnicx.tracking import service as tracking_service
    from omnicx.tracking.schemas import EventFilter

    page = tracking_service.list_events(
        db, workspace_id=shop.workspace_id, filters=EventFilter(event=name), offset=0, limit=50
    )
    db.rollback()
    return [e.payload for e in page.items]


def test_a_cart_left_alone_is_abandoned_once_and_a_changed_one_is_not(db: Session, shop: Shop) -> None:
    from datetime import datetime

    from sqlalchemy import select

    from omnicx.kernel.jobs.models import Job

    me = CustomerRef(email="noor@example.com")
    cart = service.set_cart_item(
        db, workspace_id=shop.workspace_id, data=CartItemChange(customer=me, sku="MUG", quantity=2)
    )
    checks = db.scalars(select(Job).where(Job.kind == service.CART_CHECK_JOB)).all()
    assert len(checks) == 1
    first_touch = datetime.fromisoformat(str(checks[0].payload["touched_at"]))
    assert checks[0].run_at == first_touch + service.ABANDON_AFTER
    db.rollback()
    # The shopper changes the cart: the first check must not fire, the second does, once.
    service.set_cart_item(
        db, workspace_id=shop.workspace_id, data=CartItemChange(customer=me, sku="TEE-S", quantity=1)
    )
    touches = sorted(
        datetime.fromisoformat(str(j.payload["touched_at"]))
        for j in db.scalars(select(Job).where(Job.kind == service.CART_CHECK_JOB))
    )
    db.rollback()
    assert not service.check_abandoned_cart(
        db, workspace_id=shop.workspace_id, cart_id=cart.id, touched_at=touches[0]
    )
    assert service.check_abandoned_cart(
        db, workspace_id=shop.workspace_id, cart_id=cart.id, touched_at=touches[1]
    )
    db.commit()
    assert service.check_abandoned_cart(
        db, workspace_id=shop.workspace_id, cart_id=cart.id, touched_at=touches[1]
    )
    db.commit()
    abandoned = _events(db, shop, "Cart Abandoned")
    assert len(abandoned) == 1
    properties = abandoned[0]["properties"]
    assert isinstance(properties, dict)
    assert {p["sku"] for p in properties["products"]} == {"MUG", "TEE-S"}


def test_a_checked_out_cart_is_not_abandoned(db: Session, shop: Shop) -> None:
    from datetime import timedelta

    from omnicx.kernel.db import utcnow

    me = CustomerRef(email="ines@example.com")
    cart = service.set_cart_item(
        db, workspace_id=shop.workspace_id, data=CartItemChange(customer=me, sku="MUG", quantity=1)
    )
    service.checkout_cart(
        db, workspace_id=shop.workspace_id, data=CartCheckout(customer=me, location_id=shop.store.id)
    )
    assert not service.check_abandoned_cart(
        db, workspace_id=shop.workspace_id, cart_id=cart.id, touched_at=utcnow() + timedelta(seconds=1)
    )
    db.rollback()
    assert _events(db, shop, "Cart Abandoned") == []


def test_phone_cart_joins_the_laptop_cart_after_sign_in_through_the_tracking_api(
    client: TestClient, runtime: Runtime, world: World, shop: Shop
) -> None:
    from omnicx.app.wiring import wire
    from omnicx.kernel.jobs.worker import Worker
    from tests.tracking.conftest import make_source
    from tests.tracking.test_processing import send

    with runtime.sessions() as session:
        source = make_source(session, world, name="shop-web")
    api = world.token(Role.AGENT)
    for anonymous_id, sku in (("phone-anon-9", "MUG"), ("laptop-anon-9", "TEE-S")):
        body = {"customer": {"anonymous_id": anonymous_id}, "sku": sku, "quantity": 1}
        assert client.put("/api/v1/commerce/carts/items", json=body, headers=api).status_code == 200
    # The shopper browses on the phone, then signs in on the laptop and on the phone: the SDK sends identify calls.
    send(
        client,
        source,
        {
            "type": "page",
            "anonymousId": "phone-anon-9",
            "context": {"page": {"url": "https://shop.example/"}},
        },
        {
            "type": "identify",
            "anonymousId": "laptop-anon-9",
            "userId": "shopper-9",
            "traits": {"email": "s9@example.com"},
        },
        {"type": "identify", "anonymousId": "phone-anon-9", "userId": "shopper-9"},
    )
    wire()
    worker = Worker(runtime, "test")
    while worker.run_once():  # processes the identify calls (the carts' abandonment checks are not due yet)
        pass
    cart = client.post("/api/v1/commerce/carts/lookup", json={"user_id": "shopper-9"}, headers=api)
    assert cart.status_code == 200
    assert {(i["sku"], i["quantity"]) for i in cart.json()["items"]} == {("MUG", 1), ("TEE-S", 1)}
