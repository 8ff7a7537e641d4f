"""The stock page's lookup: answered in place by htmx, and by the page itself when the form is sent without
scripts (Enter in a browser that runs none), keeping the location filter."""

from __future__ import annotations

from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Role
from tests.commerce.conftest import Shop
from tests.conftest import World
from tests.helpers import sign_in


def test_the_lookup_form_submits_to_the_page_with_no_inline_handler(
    client: TestClient, world: World, shop: Shop
) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)

    html = client.get(f"/commerce/stock?location_id={shop.store.id}").text

    assert 'action="/commerce/stock"' in html and 'hx-get="/commerce/stock/availability"' in html
    assert "onsubmit" not in html
    assert f'name="location_id" value="{shop.store.id}"' in html


def test_the_page_answers_a_lookup_sent_without_scripts(client: TestClient, world: World, shop: Shop) -> None:
    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)

    html = client.get("/commerce/stock", params={"sku": "TEE-M"}).text

    assert "7 available in total" in html
    assert 'value="TEE-M"' in html
    assert "invalid SKU" in client.get("/commerce/stock", params={"sku": "no spaces"}).text
