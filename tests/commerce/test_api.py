"""REST API and pages: contracts, error codes, workspace isolation, the customer's order page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, make_shop
from tests.conftest import World
from tests.helpers import page_csrf, sign_in

API = "/api/v1/commerce"


def _order(client: TestClient, world: World, shop: Shop, **extra: object) -> dict[str, object]:
    body = {
        "lines": [{"sku": "TEE-S", "quantity": 1}],
        "fulfilment": "pickup",
        "location_id": str(shop.store.id),
        "customer": {"email": "grace@example.com"},
        **extra,
    }
    response = client.post(f"{API}/orders", json=body, headers=world.token(Role.AGENT))
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_catalogue_locations_and_availability(client: TestClient, world: World, shop: Shop) -> None:
    headers = world.token(Role.VIEWER)
    products = client.get(f"{API}/products", headers=headers).json()
    assert sorted(v["sku"] for p in products for v in p["variants"]) == ["MUG", "TEE-M", "TEE-S"]
    assert [loc["code"] for loc in client.get(f"{API}/locations", headers=headers).json()] == [
        "wh",
        "lyon",
        "paris",
    ]
    available = client.get(f"{API}/availability", params={"sku": "TEE-M"}, headers=headers).json()
    assert available["total_available"] == 7
    stores = client.get(f"{API}/pickup-stores", params={"sku": ["TEE-M", "MUG"]}, headers=headers).json()
    assert [s["code"] for s in stores] == ["lyon"]
    assert (
        client.get(f"{API}/availability", params={"sku": "NOPE"}, headers=headers).json()["code"]
        == "sku_not_found"
    )


def test_reservations_through_the_write_queue_answer_one_after_another(
    client: TestClient, world: World, shop: Shop
) -> None:
    """`POST /reservations` holds through the group-commit queue. The same token again within a minute
    authenticates without writing, so the request's own session is still open when the queue's transaction
    needs the database (SQLite: its one write turn): the route hands it back first."""
    headers = world.token(Role.AGENT)
    body = {"location_id": str(shop.store.id), "lines": [{"sku": "TEE-S", "quantity": 1}], "reference": "c1"}
    first = client.post(f"{API}/reservations", json=body, headers=headers)
    second = client.post(f"{API}/reservations", json={**body, "reference": "c2"}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert {first.json()["reference"], second.json()["reference"]} == {"c1", "c2"}
    unknown = client.post(
        f"{API}/reservations", json={**body, "lines": [{"sku": "NOPE", "quantity": 1}]}, headers=headers
    )
    assert (unknown.status_code, unknown.json()["code"]) == (404, "sku_not_found")
    available = client.get(f"{API}/availability", params={"sku": "TEE-S"}, headers=headers).json()
    held = next(loc for loc in available["locations"] if loc["location_id"] == str(shop.store.id))
    assert held["available"] == 1  # 3 on hand in the Paris store, 2 held


def test_out_of_stock_and_refused_transitions_have_stable_codes(
    client: TestClient, world: World, shop: Shop
) -> None:
    headers = world.token(Role.AGENT)
    response = client.post(
        f"{API}/reservations",
        json={"location_id": str(shop.store.id), "lines": [{"sku": "TEE-M", "quantity": 1}]},
        headers=headers,
    )
    assert response.status_code == 409
    assert response.json()["code"] == "out_of_stock" and "TEE-M" in response.json()["message"]
    order = _order(client, world, shop)
    response = client.post(
        f"{API}/orders/{order['id']}/status", json={"status": "delivered"}, headers=headers
    )
    assert response.status_code == 409 and response.json()["code"] == "transition_not_allowed"
    response = client.post(f"{API}/orders/{order['id']}/status", json={"status": "paid"}, headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "paid"
    assert (
        client.post(
            f"{API}/orders/{order['id']}/status", json={"status": "paid"}, headers=world.token(Role.VIEWER)
        ).status_code
        == 403
    )


def test_workspace_isolation(
    client: TestClient, db: Session, world: World, other_world: World, shop: Shop
) -> None:
    theirs = make_shop(db, other_world.workspace.id)
    body = {
        "lines": [{"sku": "TEE-S", "quantity": 1}],
        "fulfilment": "ship",
        "location_id": str(theirs.warehouse.id),
    }
    their_order = client.post(f"{API}/orders", json=body, headers=other_world.token(Role.AGENT)).json()
    mine = world.token(Role.OWNER)
    assert client.get(f"{API}/orders/{their_order['id']}", headers=mine).status_code == 404
    assert (
        client.post(
            f"{API}/orders/{their_order['id']}/status", json={"status": "paid"}, headers=mine
        ).status_code
        == 404
    )
    assert client.get(f"{API}/orders", headers=mine).json() == []
    assert client.get(f"{API}/stores/{theirs.store.id}/pickups", headers=mine).status_code == 404
    body["location_id"] = str(theirs.warehouse.id)
    assert client.post(f"{API}/orders", json=body, headers=mine).status_code == 404
    their_products = client.get(f"{API}/products", headers=other_world.token(Role.OWNER)).json()
    assert client.get(f"{API}/products/{their_products[0]['id']}", headers=mine).status_code == 404
    stock = client.get(f"{API}/stock", headers=mine).json()
    assert {s["location_id"] for s in stock} == {
        str(shop.warehouse.id),
        str(shop.store.id),
        str(shop.other_store.id),
    }
    sign_in(client, world.members[Role.OWNER].email, world.members[Role.OWNER].password)
    assert client.get(f"/commerce/orders/{their_order['id']}").status_code == 404
    assert their_order["id"] not in client.get("/commerce").text


def test_pages_render_and_staff_move_an_order(app, client: TestClient, world: World, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    order = _order(client, world, shop)
    sign_in(client, world.members[Role.AGENT].email, world.members[Role.AGENT].password)
    assert order["id"] in client.get("/commerce").text
    page = client.get(f"/commerce/orders/{order['id']}")
    assert (
        page.status_code == 200 and 'sse-connect="/api/v1/realtime/stream?topics=commerce.order"' in page.text
    )
    stock = client.get("/commerce/stock")
    assert stock.status_code == 200 and "Paris store" in stock.text
    widget = client.get("/commerce/stock/availability", params={"sku": "TEE-M"})
    assert "Lyon store" in widget.text and "available now for pickup" in widget.text
    board = client.get("/commerce/pickup", params={"location_id": str(shop.store.id)})
    assert order["id"] in board.text
    csrf = page_csrf(client, f"/commerce/orders/{order['id']}")
    moved = client.post(
        f"/commerce/orders/{order['id']}/status",
        data={
            "status": "allocated",
            "csrf_token": csrf,
            "back": f"/commerce/pickup?location_id={shop.store.id}",
        },
        follow_redirects=False,
    )
    assert moved.status_code == 303 and moved.headers["location"].startswith("/commerce/pickup")
    refused = client.post(
        f"/commerce/orders/{order['id']}/status", data={"status": "delivered", "csrf_token": csrf}
    )
    assert refused.status_code == 409 and "cannot become delivered" in refused.text


def test_customer_order_page_by_token(runtime: Runtime, client: TestClient, world: World, shop: Shop) -> None:
    order = _order(client, world, shop)
    page = client.get(f"/o/{order['token']}")
    assert page.status_code == 200 and 'data-status="placed"' in page.text
    assert 'hx-trigger="every 2s"' in page.text
    assert "pickup_code" not in page.text
    assert client.get("/o/not-a-real-token-but-long-enough").status_code == 404
    assert client.get(f"/o/{str(order['token'])[:-2]}xx").status_code == 404
    client.post(
        f"{API}/orders/{order['id']}/status", json={"status": "allocated"}, headers=world.token(Role.AGENT)
    )
    client.post(
        f"{API}/orders/{order['id']}/status",
        json={"status": "ready_for_pickup"},
        headers=world.token(Role.AGENT),
    )
    live = client.get(f"/o/{order['token']}/live")
    assert 'data-status="ready_for_pickup"' in live.text and "Paris store" in live.text
