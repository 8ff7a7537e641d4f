"""The sales report, computed in the analytics engine: what counts as a sale (cancelled and returned orders do
not), the pickup share, days in the workspace time zone, money kept apart by currency, another workspace's
orders never counted, and the REST, CSV, PNG, page and CLI faces with their permissions."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate
from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, OrderStatus, SalesChannel
from omnicx.commerce.errors import InvalidReportRange
from omnicx.commerce.models import Order
from omnicx.commerce.schemas import LineRequest, OrderPublic, SalesReport
from omnicx.kernel.access import permissions
from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, make_shop
from tests.commerce.test_orders import move, place
from tests.conftest import World
from tests.helpers import follow_export_links, sign_in

S = OrderStatus
DAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def _at(db: Session, order: OrderPublic, created: datetime) -> None:
    """Date an order back (through the ORM: the analytics copy follows the write)."""
    row = db.get(Order, order.id)
    assert row is not None
    row.created_at = created
    db.commit()


def sample_orders(db: Session, shop: Shop) -> dict[str, OrderPublic]:
    """Five orders: two sales, one cancelled, one returned, one the day before the range."""
    ship = {"fulfilment": Fulfilment.SHIP, "location_id": shop.warehouse.id}
    made = {
        "pickup": place(db, shop),  # web, pickup at the Paris store: 2 x 15.00 + 9.00
        "shipped": place(
            db, shop, channel=SalesChannel.APP, lines=[LineRequest(sku="MUG", quantity=1)], **ship
        ),
        "cancelled": place(
            db, shop, lines=[LineRequest(sku="TEE-M", quantity=1)], location_id=shop.other_store.id
        ),
        "returned": place(
            db, shop, channel=SalesChannel.MARKETPLACE, lines=[LineRequest(sku="MUG", quantity=2)], **ship
        ),
        "before": place(db, shop, lines=[LineRequest(sku="MUG", quantity=1)], **ship),
    }
    move(db, shop, made["cancelled"], S.CANCELLED)
    move(db, shop, made["returned"], S.ALLOCATED, S.SHIPPED, S.RETURNED)
    for n, name in enumerate(("pickup", "shipped", "cancelled", "returned")):
        _at(db, made[name], DAY + timedelta(days=n % 2, hours=n))
    _at(db, made["before"], datetime(2026, 2, 28, 23, 0, tzinfo=UTC))
    return made


def _values(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a chart draws (Altair names its inline data set)."""
    return list(spec["datasets"][spec["data"]["name"]])


def _report(db: Session, workspace_id: object, start: date, end: date) -> SalesReport:
    report = service.sales_report(db, workspace_id=workspace_id, start=start, end=end)  # type: ignore[arg-type]
    db.rollback()
    return report


def test_sales_count_every_order_but_cancelled_and_returned(
    runtime: Runtime, db: Session, shop: Shop, other_world: World
) -> None:
    sample_orders(db, shop)
    other = make_shop(db, other_world.workspace.id)
    _at(db, place(db, other), DAY)  # another workspace's sale on the same day
    analytics_service.sync(runtime)

    report = _report(db, shop.workspace_id, date(2026, 3, 1), date(2026, 3, 31))

    [totals] = report.totals
    assert (totals.currency, totals.orders, totals.revenue_minor) == ("EUR", 2, 3900 + 900)
    assert (totals.average_order_minor, totals.units) == (2400, 3 + 1)
    assert (totals.pickup_orders, totals.pickup_share) == (1, 0.5)
    assert (totals.cancelled, totals.returned, totals.returned_minor) == (1, 1, 1800)
    channels = {row.key: row for row in report.by_channel}
    assert (
        channels["web"].orders == 1
        and channels["web"].revenue_minor == 3900
        and channels["web"].cancelled == 1
    )
    assert channels["marketplace"].orders == 0 and channels["marketplace"].returned == 1
    assert channels["app"].label == "App" and channels["app"].pickup_share == 0
    fulfilment = {row.key: (row.orders, row.revenue_minor) for row in report.by_fulfilment}
    assert fulfilment == {"pickup": (1, 3900), "ship": (1, 900)}
    locations = {row.label: (row.orders, row.cancelled, row.returned) for row in report.by_location}
    assert locations == {"Paris store": (1, 0, 0), "Central warehouse": (1, 0, 1), "Lyon store": (0, 1, 0)}
    daily = {(d.day, d.channel): (d.orders, d.revenue_minor) for d in report.daily}
    assert daily[(date(2026, 3, 2), SalesChannel.WEB)] == (1, 3900)
    assert daily[(date(2026, 3, 3), SalesChannel.APP)] == (1, 900)
    assert daily[(date(2026, 3, 4), SalesChannel.WEB)] == (0, 0)  # quiet days are zero, not missing
    # one series per channel that sold: the marketplace's only order was returned
    assert {d.channel for d in report.daily} == {SalesChannel.WEB, SalesChannel.APP} and len(
        report.daily
    ) == 31 * 2
    top = [(p.sku, p.title, p.units, p.revenue_minor) for p in report.top_products]
    assert top == [("TEE-S", "T-shirt S", 2, 3000), ("MUG", "Mug", 2, 1800)]
    assert S.CANCELLED not in report.revenue_statuses and S.DELIVERED in report.revenue_statuses


def test_days_are_the_workspace_time_zone_days(runtime: Runtime, db: Session) -> None:
    workspace = auth_service.create_workspace(
        db, data=WorkspaceCreate(slug="jakarta", name="Jakarta", timezone="Asia/Jakarta")
    )
    shop = make_shop(db, workspace.id)
    # 2026-03-01 18:30 UTC is 2026-03-02 01:30 in Jakarta (UTC+7).
    _at(db, place(db, shop), datetime(2026, 3, 1, 18, 30, tzinfo=UTC))
    analytics_service.sync(runtime)
    march_1 = _report(db, workspace.id, date(2026, 3, 1), date(2026, 3, 1))
    march_2 = _report(db, workspace.id, date(2026, 3, 2), date(2026, 3, 2))
    assert (march_1.totals, [row.orders for row in march_2.totals]) == ([], [1])
    assert [d.day for d in march_2.daily if d.orders] == [date(2026, 3, 2)]
    assert march_2.timezone == "Asia/Jakarta"


def test_money_is_never_added_across_currencies(runtime: Runtime, db: Session, shop: Shop) -> None:
    _at(db, place(db, shop), DAY)
    dollars = place(db, shop, lines=[LineRequest(sku="MUG", quantity=1)])
    row = db.get(Order, dollars.id)
    assert row is not None
    row.currency, row.total_minor, row.created_at = "USD", 1234, DAY
    db.commit()
    analytics_service.sync(runtime)
    report = _report(db, shop.workspace_id, DAY.date(), DAY.date())
    assert {(r.currency, r.orders, r.revenue_minor) for r in report.totals} == {
        ("EUR", 1, 3900),
        ("USD", 1, 1234),
    }
    assert {(r.key, r.currency) for r in report.by_channel} == {("web", "EUR"), ("web", "USD")}
    assert service.main_currency(report) == "EUR"


def test_a_bad_range_is_refused(db: Session, shop: Shop) -> None:
    with pytest.raises(InvalidReportRange):
        service.sales_report(db, workspace_id=shop.workspace_id, start=date(2026, 3, 2), end=date(2026, 3, 1))
    with pytest.raises(InvalidReportRange):
        service.sales_report(db, workspace_id=shop.workspace_id, start=date(2024, 1, 1), end=date(2026, 1, 1))
    one_too_many = date(2026, 1, 1) - timedelta(days=service.MAX_REPORT_DAYS)
    with pytest.raises(InvalidReportRange):
        service.sales_report(db, workspace_id=shop.workspace_id, start=one_too_many, end=date(2026, 1, 1))
    with pytest.raises(InvalidReportRange):
        service.sales_report(db, workspace_id=shop.workspace_id, start=date.max, end=date.max)
    longest = one_too_many + timedelta(days=1)
    assert (
        service.sales_report(db, workspace_id=shop.workspace_id, start=longest, end=date(2026, 1, 1)).totals
        == []
    )


def test_sales_api_exports_and_permissions(
    runtime: Runtime,
    client: TestClient,
    db: Session,
    shop: Shop,
    world: World,
    other_world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample_orders(db, shop)
    analytics_service.sync(runtime)
    ok = client.get("/api/v1/commerce/sales", params=MARCH, headers=world.token(Role.VIEWER))
    assert ok.status_code == 200, ok.text
    assert ok.json()["totals"][0]["revenue_minor"] == 4800 and ok.json()["top_products"][0]["sku"] == "TEE-S"
    other = client.get("/api/v1/commerce/sales", params=MARCH, headers=other_world.token(Role.OWNER))
    assert other.status_code == 200 and other.json()["totals"] == []
    backwards = client.get(
        "/api/v1/commerce/sales",
        params={"from": "2026-03-31", "to": "2026-03-01"},
        headers=world.token(Role.OWNER),
    )
    assert backwards.status_code == 422 and backwards.json()["code"] == "invalid_report_range"
    assert backwards.json()["message"]
    missing = client.get(
        "/api/v1/commerce/sales", params={"from": "2026-03-01"}, headers=world.token(Role.OWNER)
    )
    assert missing.status_code == 422 and set(missing.json()) >= {"code", "message"}
    csv_text = client.get("/api/v1/commerce/sales.csv", params=MARCH, headers=world.token(Role.OWNER))
    assert csv_text.headers["content-type"].startswith("text/csv")
    lines = csv_text.text.strip().splitlines()
    assert lines[0].startswith("dimension,key,label,currency,orders,revenue_minor")
    assert lines[1].startswith("total,all,All orders,EUR,2,4800,2400,4,1,0.5,1,1,1800")
    assert any(line.startswith("product,TEE-S,T-shirt S,EUR,,3000,,2,") for line in lines)
    png = client.get(
        "/api/v1/commerce/sales/chart.png",
        params={**MARCH, "chart": "compare", "dimension": "location"},
        headers=world.token(Role.OWNER),
    )
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    spec = client.get(
        "/api/v1/commerce/sales/chart.json", params=MARCH, headers=world.token(Role.OWNER)
    ).json()
    assert {v["channel"] for v in _values(spec) if v["revenue"]} == {"Web", "App"}
    assert "/api/v1/commerce/sales" in client.get("/api/openapi.json").json()["paths"]
    # Every role reads commerce today: take the action from one to see the gate close.
    monkeypatch.setitem(
        permissions.PERMISSIONS, Role.VIEWER, permissions.PERMISSIONS[Role.VIEWER] - {Action.COMMERCE_READ}
    )
    for path in ("/api/v1/commerce/sales", "/api/v1/commerce/sales.csv", "/api/v1/commerce/sales/chart.png"):
        denied = client.get(path, params=MARCH, headers=world.token(Role.VIEWER))
        assert denied.status_code == 403 and denied.json()["code"], path


def test_sales_page_renders_for_readers_only(
    runtime: Runtime,
    client: TestClient,
    db: Session,
    shop: Shop,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sample_orders(db, shop)
    analytics_service.sync(runtime)
    viewer = world.members[Role.VIEWER]
    sign_in(client, viewer.email, viewer.password)
    page = client.get("/commerce/sales?date_from=2026-03-01&date_to=2026-03-31&compare=location")
    assert page.status_code == 200
    assert page.text.count("data-vega-spec=") == 2 and 'data-export="png"' in page.text
    assert "/api/v1/commerce/sales.csv?from=2026-03-01&amp;to=2026-03-31" in page.text
    assert len(follow_export_links(client, page.text)) == 6  # CSV, JSON, and each chart as PNG and SVG
    assert "chart=compare&amp;dimension=location&amp;currency=EUR" in page.text
    assert 'id="sales-totals-EUR"' in page.text and "€48.00" in page.text and "T-shirt S" in page.text
    compare = json.loads(
        page.text.split('id="sales-compare-chart" data-vega-spec="')[1].split('"')[0].replace("&#34;", '"')
    )
    assert {v["group"] for v in _values(compare)} == {"Paris store", "Central warehouse"}
    french = client.get(
        "/commerce/sales?date_from=2026-03-01&date_to=2026-03-31", headers={"accept-language": "fr"}
    )
    assert "Meilleurs produits" in french.text and "48,00" in french.text
    bad = client.get("/commerce/sales?date_from=2026-03-31&date_to=2026-03-01")
    assert bad.status_code == 200 and 'role="alert"' in bad.text
    monkeypatch.setitem(
        permissions.PERMISSIONS, Role.VIEWER, permissions.PERMISSIONS[Role.VIEWER] - {Action.COMMERCE_READ}
    )
    assert client.get("/commerce/sales").status_code == 403


def test_cli_sales_in_three_formats(
    cli_env: dict[str, str], runtime: Runtime, db: Session, shop: Shop
) -> None:
    sample_orders(db, shop)
    analytics_service.sync(runtime)
    runner = CliRunner()
    base = ["commerce", "sales", "-w", "acme", "--from", "2026-03-01", "--to", "2026-03-31"]
    as_json = runner.invoke(cli_app, [*base, "--format", "json"], env=cli_env)
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["totals"][0]["revenue_minor"] == 4800
    as_csv = runner.invoke(cli_app, [*base, "--format", "csv"], env=cli_env)
    assert as_csv.output.splitlines()[1].startswith("total,all,")
    table = runner.invoke(cli_app, base, env=cli_env)
    assert table.exit_code == 0 and "48.00 EUR" in table.output and "TEE-S" in table.output
    bad = runner.invoke(cli_app, [*base[:-4], "--from", "2026-03-31", "--to", "2026-03-01"], env=cli_env)
    assert bad.exit_code == 1 and "invalid_report_range" in bad.output
