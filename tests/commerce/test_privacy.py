"""Commerce's part of a privacy request: the buyer's orders, carts and notices are exported; once erased, the
books (orders, totals, lines, stock) are what they were and nothing of the buyer is left."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, SalesChannel
from omnicx.commerce.models import Cart, Notification, Reservation, ShopifyWebhook
from omnicx.commerce.schemas import CartCheckout, CartItemChange, CustomerRef, LineRequest, OrderCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import DataSubject, Identifier, IdentifierKind
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, drain
from tests.commerce.test_shopify import SECRET, _send

ANA_ORDER = {
    "id": 1001,
    "name": "#1001",
    "email": "Ana@Example.com",
    "phone": "+33612345678",
    "customer": {"first_name": "Ana", "last_name": "Lopez", "email": "ana@example.com"},
    "shipping_address": {"address1": "12 Rue Oberkampf", "city": "Paris", "phone": "+33 6 12 34 56 78"},
    "note": "Leave it with the concierge",
    "client_details": {"browser_ip": "203.0.113.9"},
    "currency": "EUR",
    "total_price": "30.00",
    "line_items": [{"sku": "TEE-S", "quantity": 2, "price": "15.00", "title": "T-shirt S", "name": "Ana's"}],
}
BOB_ORDER = {
    "id": 1002,
    "email": "bob@example.com",
    "shipping_address": {"address1": "3 Quai Perrache", "city": "Lyon"},
    "line_items": [{"sku": "MUG", "quantity": 1}],
}
ANA = CustomerRef(email="ana@example.com", phone="+33612345678")
BOB = CustomerRef(email="bob@example.com")


def _subject(db: Session, workspace_id: uuid.UUID, email: str) -> DataSubject:
    customer_id = identity_service.customer_for(
        db, workspace_id=workspace_id, identifier=Identifier(kind=IdentifierKind.EMAIL, value=email)
    )
    assert customer_id is not None
    lineage = identity_service.customer_lineage(db, workspace_id=workspace_id, customer_id=customer_id)
    identifiers = identity_service.list_identifiers(db, workspace_id=workspace_id, customer_id=customer_id)
    return DataSubject(
        workspace_id=workspace_id,
        customer_ids=tuple(lineage),
        identifiers=tuple(Identifier(kind=i.kind, value=i.value) for i in identifiers),
    )


def _webhook(db: Session, webhook_id: str) -> str:
    body = db.scalar(select(ShopifyWebhook.body).where(ShopifyWebhook.webhook_id == webhook_id))
    assert body is not None
    return body


def test_erasure_keeps_the_books_and_forgets_the_buyer(
    runtime: Runtime, client: TestClient, db: Session, shop: Shop
) -> None:
    ws = shop.workspace_id
    service.set_shopify_secret(db, workspace_id=ws, secret=SECRET)
    assert _send(client, "orders/create", ANA_ORDER, "w-ana") == 200
    assert _send(client, "orders/create", BOB_ORDER, "w-bob") == 200
    drain(runtime)
    in_store = service.place_order(
        db,
        workspace_id=ws,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)],
            channel=SalesChannel.STORE,
            fulfilment=Fulfilment.PICKUP,
            location_id=shop.store.id,
            customer=ANA,
        ),
        actor="till-1",
    )
    assert service.notify_ready(db, workspace_id=ws, order_id=in_store.id)  # nowhere to send it: recorded
    db.commit()
    for who in (ANA, BOB):
        service.set_cart_item(db, workspace_id=ws, data=CartItemChange(customer=who, sku="TEE-M", quantity=1))
        service.checkout_cart(
            db, workspace_id=ws, data=CartCheckout(customer=who, location_id=shop.warehouse.id)
        )
    books = {(o.id, o.total_minor, o.items) for o in service.list_orders(db, workspace_id=ws)}
    subject = _subject(db, ws, "ana@example.com")
    db.rollback()

    exported = service.export_customer_data(db, subject)
    assert sorted(o["external_id"] or "store" for o in exported["orders"]) == ["1001", "store"]
    assert [item["sku"] for cart in exported["carts"] for item in cart["items"]] == ["TEE-M"]
    assert [n["kind"] for n in exported["notices"]] == ["ready_for_pickup"]
    db.rollback()

    with runtime.sessions() as session, session.begin():
        assert service.erase_customer_data(session, subject) > 0

    assert {(o.id, o.total_minor, o.items) for o in service.list_orders(db, workspace_id=ws)} == books
    owners = {o[0]: service.get_order(db, workspace_id=ws, order_id=o[0]).customer_id for o in books}
    ana_orders = {uuid.UUID(o["id"]) for o in exported["orders"]}
    assert {owners[i] for i in ana_orders} == {None}
    assert {owners[i] for i in set(owners) - ana_orders} == set(_bob(db, ws))
    assert db.scalar(select(Notification.customer_id)) is None
    trimmed = _webhook(db, "w-ana")
    for personal in ("Ana", "ana@", "Lopez", "Oberkampf", "concierge", "203.0.113.9", "612345678"):
        assert personal.lower() not in trimmed.lower(), personal
    kept = json.loads(trimmed)
    assert kept["id"] == 1001 and kept["total_price"] == "30.00"
    assert kept["line_items"] == [{"sku": "TEE-S", "quantity": 2, "price": "15.00", "title": "T-shirt S"}]
    assert json.loads(_webhook(db, "w-bob")) == BOB_ORDER
    carts = list(db.scalars(select(Cart)))
    assert [c.customer_id for c in carts] == list(_bob(db, ws))  # Ana's cart is gone, Bob's stays
    assert [r.reference for r in db.scalars(select(Reservation))] == [f"cart:{carts[0].id}"]


def _bob(db: Session, ws: uuid.UUID) -> tuple[uuid.UUID, ...]:
    return _subject(db, ws, "bob@example.com").customer_ids
