"""Shopify-compatible webhooks: signature verified on the raw body, stored once, processed once by a job."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.commerce import service
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, drain

SECRET = "shpss_test_secret_0123456789"


def _send(
    client: TestClient,
    topic: str,
    payload: dict[str, object],
    webhook_id: str,
    signature: str | None = "sign",
) -> int:
    body = json.dumps(payload).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Webhook-Id": webhook_id,
        "Content-Type": "application/json",
    }
    if signature == "sign":
        headers["X-Shopify-Hmac-Sha256"] = service.sign(SECRET, body)
    elif signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    return client.post("/webhooks/shopify/acme", content=body, headers=headers).status_code


ORDER = {
    "id": 820982911946154508,
    "email": "jon@example.com",
    "line_items": [{"sku": "TEE-S", "quantity": 2}],
}


def _count(db: Session, shop: Shop) -> int:
    value = service.count_webhooks(db, workspace_id=shop.workspace_id)
    db.rollback()
    return value


def test_forged_or_missing_signatures_are_refused_and_nothing_is_stored(
    client: TestClient, db: Session, shop: Shop
) -> None:
    service.set_shopify_secret(db, workspace_id=shop.workspace_id, secret=SECRET)
    assert _send(client, "orders/create", ORDER, "w-1", signature=None) == 401
    assert (
        _send(client, "orders/create", ORDER, "w-1", signature=service.sign("another-secret-entirely", b"{}"))
        == 401
    )
    assert _send(client, "orders/create", ORDER, "w-1", signature="not base64 at all") == 401
    assert (
        client.post(
            "/webhooks/shopify/nobody", content=b"{}", headers={"X-Shopify-Hmac-Sha256": "x"}
        ).status_code
        == 401
    )
    assert _count(db, shop) == 0


def test_the_same_webhook_twice_is_processed_once(
    runtime: Runtime, client: TestClient, db: Session, shop: Shop
) -> None:
    service.set_shopify_secret(db, workspace_id=shop.workspace_id, secret=SECRET)
    assert _send(client, "orders/create", ORDER, "w-1") == 200
    assert _send(client, "orders/create", ORDER, "w-1") == 200
    assert _count(db, shop) == 1
    drain(runtime)
    orders = service.list_orders(db, workspace_id=shop.workspace_id)
    db.rollback()
    assert len(orders) == 1 and orders[0].items == 2
    assert _send(client, "orders/paid", ORDER, "w-2") == 200
    assert _send(client, "orders/fulfilled", ORDER, "w-3") == 200
    drain(runtime)
    order = service.get_order(db, workspace_id=shop.workspace_id, order_id=orders[0].id)
    db.rollback()
    assert [e.status.value for e in order.events] == ["placed", "paid", "allocated", "shipped"]
    assert order.external_id == str(ORDER["id"])


def test_inventory_levels_update_sets_what_is_available(
    runtime: Runtime, client: TestClient, db: Session, shop: Shop
) -> None:
    service.set_shopify_secret(db, workspace_id=shop.workspace_id, secret=SECRET)
    assert (
        _send(
            client, "inventory_levels/update", {"sku": "MUG", "location_id": "lyon", "available": 11}, "w-9"
        )
        == 200
    )
    drain(runtime)
    result = service.availability(db, workspace_id=shop.workspace_id, sku="MUG")
    db.rollback()
    assert {r.location_code: r.available for r in result.locations}["lyon"] == 11
