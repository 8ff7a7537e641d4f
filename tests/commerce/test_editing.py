"""Editing the catalogue and locations: REST (PATCH), the CLI and the pages' edit forms, with their errors."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app
from omnicx.commerce import service
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.settings import Settings
from tests.commerce.conftest import Shop
from tests.conftest import World
from tests.helpers import page_csrf, sign_in

API = "/api/v1/commerce"


def _tee(client: TestClient, world: World) -> dict[str, object]:
    products = client.get(f"{API}/products", headers=world.token(Role.VIEWER)).json()
    return dict(next(p for p in products if p["title"] == "T-shirt"))


def test_products_variants_and_locations_are_edited_over_rest(
    db: Session, client: TestClient, world: World, shop: Shop
) -> None:
    headers = world.token(Role.AGENT)
    tee = _tee(client, world)
    edited = client.patch(
        f"{API}/products/{tee['id']}", json={"description": "Organic cotton."}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["title"] == "T-shirt" and edited.json()["description"] == "Organic cotton."
    order = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(lines=[LineRequest(sku="TEE-S", quantity=1)], customer=CustomerRef(email="a@b.co")),
        actor="test",
    )
    variant = client.patch(
        f"{API}/variants/TEE-S", json={"title": "T-shirt small", "price_minor": 1750}, headers=headers
    )
    assert variant.status_code == 200, variant.text
    assert (variant.json()["title"], variant.json()["price_minor"], variant.json()["currency"]) == (
        "T-shirt small",
        1750,
        "EUR",
    )
    kept = service.get_order(db, workspace_id=shop.workspace_id, order_id=order.id)
    db.rollback()
    assert kept.total_minor == 1500  # a placed order keeps the price it was sold at
    location = client.patch(
        f"{API}/locations/{shop.other_store.id}",
        json={"name": "Lyon Part-Dieu", "pickup": False},
        headers=headers,
    )
    assert location.status_code == 200, location.text
    assert (location.json()["name"], location.json()["pickup"]) == ("Lyon Part-Dieu", False)
    stores = client.get(f"{API}/pickup-stores", params={"sku": ["MUG"]}, headers=headers).json()
    assert [s["code"] for s in stores] == ["paris"]


def test_edits_refuse_unknown_ids_and_bad_values_with_codes(
    client: TestClient, world: World, shop: Shop
) -> None:
    headers = world.token(Role.AGENT)
    missing = "00000000-0000-4000-8000-000000000000"
    assert client.patch(f"{API}/products/{missing}", json={"title": "X"}, headers=headers).json()["code"] == (
        "product_not_found"
    )
    unknown = client.patch(f"{API}/variants/NOPE", json={"price_minor": 1}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["code"] == "sku_not_found"
    gone = client.patch(f"{API}/locations/{missing}", json={"name": "X"}, headers=headers)
    assert gone.status_code == 404 and gone.json()["code"] == "location_not_found"
    negative = client.patch(f"{API}/variants/TEE-S", json={"price_minor": -5}, headers=headers)
    assert negative.status_code == 422 and "code" in negative.json()
    currency = client.patch(f"{API}/variants/TEE-S", json={"currency": "euro"}, headers=headers)
    assert currency.status_code == 422
    warehouse_pickup = client.patch(
        f"{API}/locations/{shop.warehouse.id}", json={"pickup": True}, headers=headers
    )
    assert warehouse_pickup.status_code == 422 and "store" in warehouse_pickup.json()["message"]
    assert (
        client.patch(
            f"{API}/products/{_tee(client, world)['id']}", json={"title": ""}, headers=headers
        ).status_code
        == 422
    )
    prices = {v["sku"]: v["price_minor"] for v in _tee(client, world)["variants"]}  # type: ignore[attr-defined]
    assert prices == {"TEE-M": 1500, "TEE-S": 1500}


def test_a_role_without_commerce_manage_cannot_edit(client: TestClient, world: World, shop: Shop) -> None:
    headers = world.token(Role.VIEWER)
    tee = _tee(client, world)
    for path, body in (
        (f"{API}/products/{tee['id']}", {"title": "Hacked"}),
        (f"{API}/variants/TEE-S", {"price_minor": 1}),
        (f"{API}/locations/{shop.store.id}", {"name": "Hacked"}),
    ):
        response = client.patch(path, json=body, headers=headers)
        assert response.status_code == 403, path
    assert _tee(client, world)["title"] == "T-shirt"


def test_the_pages_edit_forms_round_trip_with_csrf(client: TestClient, world: World, shop: Shop) -> None:
    sign_in(client, world.members[Role.AGENT].email, world.members[Role.AGENT].password)
    page = client.get("/commerce/catalogue")
    assert page.status_code == 200 and 'action="/commerce/catalogue/variants/TEE-S"' in page.text
    csrf = page_csrf(client, "/commerce/catalogue")
    form = {"title": "T-shirt S", "price": "19.90", "currency": "eur"}
    assert (
        client.post("/commerce/catalogue/variants/TEE-S", data=form, follow_redirects=False).status_code
        == 403
    )
    saved = client.post(
        "/commerce/catalogue/variants/TEE-S", data={**form, "csrf_token": csrf}, follow_redirects=False
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/commerce/catalogue"
    assert "19.90" in client.get("/commerce/catalogue").text
    bad = client.post(
        "/commerce/catalogue/variants/TEE-S", data={**form, "price": "1.999", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "not a valid EUR price" in bad.text
    moved = client.post(
        f"/commerce/locations/{shop.store.id}",
        data={"name": "Paris Opéra", "kind": "store", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    locations = client.get("/commerce/locations").text
    assert "Paris Opéra" in locations
    store = next(
        s
        for s in client.get(f"{API}/locations", headers=world.token(Role.VIEWER)).json()
        if s["code"] == "paris"
    )
    assert store["pickup"] is False  # the unchecked box turned pickup off


def test_the_cli_edits_products_variants_and_locations(
    settings: Settings, tmp_path: Path, client: TestClient, world: World, shop: Shop
) -> None:
    env = {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SECRET_KEY": "test-secret-key-for-omnicx",
    }
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        result = runner.invoke(app, ["commerce", *args, "--workspace", "acme"], env=env)
        return result.exit_code, result.output

    tee = _tee(client, world)
    assert run("product-edit", str(tee["id"]), "--description", "Soft.")[0] == 0
    code, output = run("variant-edit", "MUG", "--price", "12.50")
    assert code == 0, output
    assert run("location-edit", "lyon", "--name", "Lyon Bellecour", "--no-pickup")[0] == 0
    code, output = run("variant-edit", "MUG", "--price", "-1")
    assert code != 0 and "not a valid" in output
    code, output = run("location-edit", "nowhere", "--name", "X")
    assert code != 0 and "not found" in output
    headers = world.token(Role.VIEWER)
    assert _tee(client, world)["description"] == "Soft."
    products = client.get(f"{API}/products", headers=headers).json()
    assert [v["price_minor"] for p in products for v in p["variants"] if v["sku"] == "MUG"] == [1250]
    lyon = next(s for s in client.get(f"{API}/locations", headers=headers).json() if s["code"] == "lyon")
    assert (lyon["name"], lyon["pickup"]) == ("Lyon Bellecour", False)
