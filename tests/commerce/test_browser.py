"""In a real browser: staff mark a click-and-collect order ready on the store board; the customer's order page
and the staff order page, open elsewhere, show "ready for pickup" without a reload. The sales page draws its two
charts. Screenshots kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, OrderStatus
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop
from tests.commerce.test_sales import sample_orders
from tests.conftest import World
from tests.e2e.conftest import ARTIFACTS
from tests.realtime.conftest import ThreadServer, build_app

pytestmark = pytest.mark.e2e


def test_ready_for_pickup_shows_live_for_customer_and_staff(
    runtime: Runtime, db: Session, world: World, shop: Shop, chromium: Browser
) -> None:
    order = service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku="TEE-S", quantity=1)],
            fulfilment=Fulfilment.PICKUP,
            location_id=shop.store.id,
            customer=CustomerRef(email="kim@example.com"),
        ),
        actor="web",
    )
    service.change_status(
        db, workspace_id=shop.workspace_id, order_id=order.id, status=OrderStatus.ALLOCATED, actor="wh"
    )
    db.rollback()
    agent = world.members[Role.AGENT]
    with ThreadServer(build_app(runtime)) as server:
        customer = chromium.new_context().new_page()
        customer.goto(f"{server.url}/o/{order.token}")
        expect(customer.locator("#track-status")).to_have_attribute("data-status", "allocated")

        staff = chromium.new_context()
        board = staff.new_page()
        board.goto(f"{server.url}/signin")
        board.fill("#email", agent.email)
        board.fill("#password", agent.password)
        board.click("button[type=submit]")
        board.wait_for_url(f"{server.url}/")
        detail = staff.new_page()
        detail.goto(f"{server.url}/commerce/orders/{order.id}")
        expect(detail.locator("#order-status")).to_have_attribute("data-status", "allocated")
        board.goto(f"{server.url}/commerce/pickup?location_id={shop.store.id}")
        board.click(f"#pickup-{order.id} button[data-to=ready_for_pickup]")

        expect(customer.locator("#track-status")).to_have_attribute(
            "data-status", "ready_for_pickup", timeout=8000
        )
        expect(detail.locator("#order-status")).to_have_attribute(
            "data-status", "ready_for_pickup", timeout=8000
        )
        ARTIFACTS.mkdir(exist_ok=True)
        customer.screenshot(path=str(ARTIFACTS / "commerce-customer-ready-for-pickup.png"), full_page=True)
        detail.screenshot(path=str(ARTIFACTS / "commerce-staff-order-live.png"), full_page=True)
        staff.close()


def test_sales_page_draws_its_charts(
    runtime: Runtime, db: Session, world: World, shop: Shop, chromium: Browser
) -> None:
    sample_orders(db, shop)
    analytics_service.sync(runtime)  # the report reads the analytics copy
    analyst = world.members[Role.ANALYST]
    with ThreadServer(build_app(runtime)) as server:
        page = chromium.new_context(viewport={"width": 1280, "height": 1200}).new_page()
        page.goto(f"{server.url}/signin")
        page.fill("#email", analyst.email)
        page.fill("#password", analyst.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/commerce")
        page.click("#commerce-sales-link")
        page.wait_for_url(f"{server.url}/commerce/sales")
        page.goto(f"{server.url}/commerce/sales?date_from=2026-03-01&date_to=2026-03-07&compare=location")
        expect(page.locator("#sales-trend-chart svg").first).to_be_visible(timeout=10000)
        expect(page.locator("#sales-compare-chart svg").first).to_be_visible(timeout=10000)
        expect(page.locator("#sales-compare-chart svg")).to_contain_text("Paris store")
        expect(page.locator("#sales-totals-EUR")).to_contain_text("€48.00")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "commerce-sales.png"), full_page=True)


def test_the_stock_lookup_answers_enter_under_the_content_security_policy(
    runtime: Runtime, world: World, shop: Shop, chromium: Browser
) -> None:
    agent = world.members[Role.AGENT]
    with ThreadServer(build_app(runtime)) as server:
        page = chromium.new_context().new_page()
        refused: list[str] = []
        page.on(
            "console",
            lambda message: refused.append(message.text) if "Content Security" in message.text else None,
        )
        page.goto(f"{server.url}/signin")
        page.fill("#email", agent.email)
        page.fill("#password", agent.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/commerce/stock")
        page.wait_for_load_state("networkidle")  # htmx has bound the form

        # Typed in one go (no pause for the as-you-type lookup to answer first) and sent with Enter.
        page.locator("#avail-sku").press_sequentially("TEE-M", delay=0)
        page.locator("#avail-sku").press("Enter")

        expect(page.locator("#availability")).to_contain_text("7 available in total")
        expect(page.locator("#availability li[data-location=paris]")).to_contain_text("Paris store")
        assert page.url == f"{server.url}/commerce/stock"  # answered in place, not by reloading the page
        assert refused == []
