"""Channel overlap and switching on hand-counted toy customers: channel sets, moves within the gap, channels
before a purchase, cross-device use and spend by channels used; the same on DuckDB and on chdb; API, page, CLI.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import OrderStatus
from omnicx.commerce.models import Order
from omnicx.journeys import service
from omnicx.journeys.schemas import OverlapQuery, OverlapReport
from omnicx.journeys.service._common import NOT_SALES
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking.models import Touchpoint
from tests.commerce.conftest import Shop
from tests.conftest import World
from tests.helpers import follow_export_links, sign_in
from tests.journeys.conftest import on_clickhouse
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import T0, customer_of, drain, send

DAY = T0.date()
SHOP_URL = "https://shop.example/"


def visit(anonymous_id: str, minutes: float, *, query: str = "", **context: Any) -> dict[str, Any]:
    """A page view of the home page `minutes` after T0 (10:00 UTC on DAY)."""
    return {
        "type": "page",
        "anonymousId": anonymous_id,
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
        "messageId": f"{anonymous_id}-{minutes}",
        "context": {"page": {"url": SHOP_URL + query, **context.pop("page", {})}, **context},
    }


EMAIL = "?utm_source=news&utm_medium=email"
GOOGLE = {"page": {"referrer": "https://www.google.com/"}}
DAY_BEFORE = -24 * 60

# By hand (minutes after 10:00 on DAY; the orders' times are set after they are placed):
#   p: Direct 0, Email 40, Store visit 120, a store purchase at 180 (its own Store touch) -> 3 channels
#   q: Direct 0, Direct 60 (a new visit after 30 min), buys online 1,500 at 65         -> 1 channel
#   r: Email the day before at 10:00, Organic Search 0, Phone call 30, buys online 1,800 at 50 -> 2 in the day
#   s: Direct the day before at 09:59, Direct 0; its online order is cancelled         -> 1 channel
#   u: Direct 0 on a desktop, Direct 45 on a phone, buys online 900 at 50              -> 1 channel, 2 devices
EVENTS = [
    visit("p", 0), visit("p", 40, query=EMAIL),
    visit("q", 0), visit("q", 60),
    visit("r", DAY_BEFORE, query=EMAIL), visit("r", 0, **GOOGLE),
    visit("s", DAY_BEFORE - 1), visit("s", 0),
    visit("u", 0, device={"type": "desktop"}), visit("u", 45, device={"type": "ios"}),
]  # fmt: skip


def _touch(client: TestClient, world: World, customer_id: uuid.UUID, channel: str, minutes: int) -> None:
    body = {
        "customer_id": str(customer_id),
        "channel": channel,
        "kind": "visit" if channel == "Store" else "call",
        "at": (T0 + timedelta(minutes=minutes)).isoformat(),
    }
    response = client.post("/api/v1/tracking/touchpoints", json=body, headers=world.token(Role.MARKETER))
    assert response.status_code == 201, response.text


def _order(
    client: TestClient, runtime: Runtime, world: World, shop: Shop, buyer: str, minutes: int, **body: Any
) -> str:
    """Place an order for the visitor `buyer`, then date it (and its store touch) `minutes` after T0."""
    request = {"customer": {"anonymous_id": buyer}, "fulfilment": "ship", **body}
    response = client.post("/api/v1/commerce/orders", json=request, headers=world.token(Role.AGENT))
    assert response.status_code == 201, response.text
    order_id: str = response.json()["id"]
    at = T0 + timedelta(minutes=minutes)
    with runtime.sessions() as session, session.begin():
        session.execute(
            update(Order).where(Order.id == uuid.UUID(order_id)).values(created_at=at, updated_at=at)
        )
        session.execute(
            update(Touchpoint).where(Touchpoint.dedup_key == f"commerce-order:{order_id}").values(at=at)
        )
    return order_id


def _seeded(client: TestClient, runtime: Runtime, world: World, source: KeyedSource, shop: Shop) -> None:
    send(client, source, *EVENTS)
    drain(runtime)
    _touch(client, world, customer_of(runtime, "p"), "Store", 120)
    _touch(client, world, customer_of(runtime, "r"), "Phone", 30)
    store = {"channel": "store", "fulfilment": "pickup", "location_id": str(shop.store.id)}
    _order(client, runtime, world, shop, "p", 180, lines=[{"sku": "MUG", "quantity": 2}], **store)
    _order(client, runtime, world, shop, "q", 65, lines=[{"sku": "TEE-S", "quantity": 1}])
    _order(client, runtime, world, shop, "r", 50, lines=[{"sku": "MUG", "quantity": 2}])
    _order(client, runtime, world, shop, "u", 50, lines=[{"sku": "MUG", "quantity": 1}])
    cancelled = _order(client, runtime, world, shop, "s", 20, lines=[{"sku": "MUG", "quantity": 1}])
    response = client.post(
        f"/api/v1/commerce/orders/{cancelled}/status",
        json={"status": "cancelled"},
        headers=world.token(Role.AGENT),
    )
    assert response.status_code == 200, response.text
    drain(runtime)
    analytics_service.sync(runtime)


def _overlap(
    runtime: Runtime, workspace_id: uuid.UUID, *, days: int = 1, gap_days: int = 30
) -> OverlapReport:
    query = OverlapQuery(date_from=DAY - timedelta(days=days - 1), date_to=DAY, gap_days=gap_days)
    with runtime.sessions() as session:
        return service.overlap(session, workspace_id=workspace_id, query=query)


def test_overlap_counts_channel_sets_moves_devices_and_spend(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, shop: Shop
) -> None:
    _seeded(client, runtime, world, source, shop)
    report = _overlap(runtime, world.workspace.id)
    assert report.customers_by_channels == {1: 3, 2: 1, 3: 1}  # q s u; r; p
    assert report.customers == 5 and report.omnichannel_share == pytest.approx(2 / 5)
    assert [(c.channels, c.customers, c.purchasers) for c in report.combinations] == [
        (["Direct"], 3, 2),  # q s u; q and u bought (s's order was cancelled)
        (["Direct", "Email", "Store"], 1, 1),  # p: its store purchase is a touch of its own
        (["Organic Search", "Phone"], 1, 0),
        (["Email", "Organic Search", "Phone"], 0, 1),  # r before buying: the day before counts (gap 30 days)
    ]
    assert report.purchasers == 4
    assert [(c.from_channel, c.to_channel, c.moves) for c in report.switching] == [
        ("Direct", "Direct", 2),  # q, u
        ("Direct", "Email", 1),  # p
        ("Email", "Store", 1),  # p
        ("Organic Search", "Phone", 1),  # r
        ("Store", "Store", 1),  # p's visit, then its purchase
    ]
    assert [c.share_of_from for c in report.switching[:2]] == pytest.approx([2 / 3, 1 / 3])
    assert (report.moving_customers, report.switching_customers) == (4, 2)  # p q r u; p r
    assert (report.customers_with_sessions, report.cross_device_customers) == (5, 1)  # u
    spend = [
        (r.channels, r.currency, r.online_buyers, r.online_minor, r.store_buyers, r.store_minor)
        for r in report.spend
    ]
    assert spend == [(1, "EUR", 2, 2400, 0, 0), (2, "EUR", 1, 1800, 0, 0), (3, "EUR", 0, 0, 1, 1800)]
    assert report.spend[1].online_lift == pytest.approx(1800 / 1200 - 1)  # r against q and u
    assert report.spend[2].online_lift is None and report.spend[2].store_lift is None  # nobody to compare


def test_a_move_counts_while_the_next_touch_comes_within_the_gap(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, shop: Shop
) -> None:
    """Over two days: r's Email the day before is exactly one day before its next touch (it counts with a gap of
    one day); s's visit the day before is one minute more (it counts from a gap of two days)."""
    _seeded(client, runtime, world, source, shop)
    one_day = _overlap(runtime, world.workspace.id, days=2, gap_days=1)
    moves = {(c.from_channel, c.to_channel): c.moves for c in one_day.switching}
    assert moves[("Email", "Organic Search")] == 1 and moves[("Direct", "Direct")] == 2
    assert one_day.customers_by_channels == {1: 3, 3: 2}  # r used Email, Organic Search and Phone
    before = {tuple(c.channels): c.purchasers for c in one_day.combinations if c.purchasers}
    assert before[("Organic Search", "Phone")] == 1  # r's Email is more than a day before its purchase
    two_days = _overlap(runtime, world.workspace.id, days=2, gap_days=2)
    assert {(c.from_channel, c.to_channel): c.moves for c in two_days.switching}[("Direct", "Direct")] == 3
    assert two_days.moving_customers == 5


def test_the_same_overlap_on_clickhouse(
    client: TestClient,
    runtime: Runtime,
    settings: Settings,
    world: World,
    source: KeyedSource,
    shop: Shop,
    chdb_url: str,
) -> None:
    _seeded(client, runtime, world, source, shop)
    on_duckdb = _overlap(runtime, world.workspace.id, days=2, gap_days=1)
    assert on_clickhouse(
        settings, chdb_url, lambda rt: _overlap(rt, world.workspace.id, days=2, gap_days=1)
    ) == (on_duckdb)


def test_journeys_reads_the_orders_commerce_counts_as_sales() -> None:
    sales = {status.value for status in commerce_service.REVENUE_STATUSES}
    assert set(NOT_SALES) == {status.value for status in OrderStatus} - sales


RANGE = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


def test_overlap_through_the_api_the_page_and_the_cli(
    client: TestClient,
    runtime: Runtime,
    world: World,
    source: KeyedSource,
    shop: Shop,
    cli_env: dict[str, str],
) -> None:
    _seeded(client, runtime, world, source, shop)
    body = client.get("/api/v1/journeys/overlap", params=RANGE, headers=world.token(Role.VIEWER)).json()
    assert body["customers_by_channels"] == {"1": 3, "2": 1, "3": 1} and body["switch_share"] == 0.5
    refused = client.get(
        "/api/v1/journeys/overlap", params={**RANGE, "gap_days": 0}, headers=world.token(Role.VIEWER)
    )
    assert refused.status_code == 422 and set(refused.json()) >= {"code", "message"}
    agent = client.get("/api/v1/journeys/overlap", params=RANGE, headers=world.token(Role.AGENT))
    assert agent.status_code == 403  # agents do not read journeys

    sign_in(client, world.members[Role.ANALYST].email, world.members[Role.ANALYST].password)
    page = client.get("/journeys/overlap", params=RANGE)
    assert page.status_code == 200 and 'id="overlap-switching"' in page.text and "data-vega-spec" in page.text
    follow_export_links(client, page.text)

    args = [
        "journeys",
        "overlap",
        "-w",
        world.workspace.slug,
        "--from",
        RANGE["date_from"],
        "--to",
        RANGE["date_to"],
    ]
    result = CliRunner().invoke(cli_app, [*args, "--format", "json"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["switching_customers"] == 2
    table = CliRunner().invoke(cli_app, args, env=cli_env)
    assert table.exit_code == 0 and "Organic Search" in table.stdout and "66.7%" in table.stdout
