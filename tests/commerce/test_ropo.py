"""Research online, purchase offline, on a toy world whose numbers are worked out by hand below: store purchases
preceded by website visits within the lookback, the channels credited by each model, per store and product,
and the reverse (online purchases after a store visit); the REST, CSV, page and CLI faces."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.attribution.schemas import Model
from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, SalesChannel
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service as tracking_service
from tests.commerce.conftest import Shop
from tests.conftest import World

START, END = date(2026, 11, 1), date(2026, 11, 30)


def at(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 12, 0, tzinfo=UTC)


def _visit(db: Session, shop: Shop, email: str, channel: str, when: datetime, kind: str = "session") -> None:
    customer = identity_service.resolve(
        db, workspace_id=shop.workspace_id, identifiers=[Identifier(kind=IdentifierKind.EMAIL, value=email)]
    )
    assert customer is not None
    tracking_service.record_touchpoint(
        db, workspace_id=shop.workspace_id, customer_id=customer, channel=channel, kind=kind, at=when
    )
    db.commit()


def _buy(
    db: Session, shop: Shop, email: str, sku: str, when: datetime, *, store: bool = True, lyon: bool = False
) -> None:
    location = shop.other_store if lyon else shop.store
    service.place_order(
        db,
        workspace_id=shop.workspace_id,
        data=OrderCreate(
            lines=[LineRequest(sku=sku, quantity=1)],
            channel=SalesChannel.STORE if store else SalesChannel.WEB,
            fulfilment=Fulfilment.PICKUP if store else Fulfilment.SHIP,
            location_id=location.id if store else shop.warehouse.id,
            customer=CustomerRef(email=email),
        ),
        actor="till",
        now=when,
    )


@pytest.fixture
def toy(runtime: Runtime, db: Session, shop: Shop) -> Shop:
    """Ada: Paid Search (Nov 10), Email (Nov 15), buys a mug in Paris (Nov 18). Bob: Organic Search on Oct 1 (48
    days before: beyond the 30-day lookback), buys a medium T-shirt in Lyon (Nov 18). Carol: no visit, buys a
    small T-shirt in Paris (Nov 19). Dan: Paid Search (Nov 17), buys a mug in Paris (Nov 19). Erin visits the
    Paris store (Nov 5) then buys online (Nov 12); Fred buys online with no store visit."""
    _visit(db, shop, "ada@example.com", "Paid Search", at(11, 10))
    _visit(db, shop, "ada@example.com", "Email", at(11, 15))
    _buy(db, shop, "ada@example.com", "MUG", at(11, 18))
    _visit(db, shop, "bob@example.com", "Organic Search", at(10, 1))
    _buy(db, shop, "bob@example.com", "TEE-M", at(11, 18), lyon=True)
    _buy(db, shop, "carol@example.com", "TEE-S", at(11, 19))
    _visit(db, shop, "dan@example.com", "Paid Search", at(11, 17))
    _buy(db, shop, "dan@example.com", "MUG", at(11, 19))
    _visit(db, shop, "erin@example.com", "Store", at(11, 5), kind="visit")
    _buy(db, shop, "erin@example.com", "MUG", at(11, 12), store=False)
    _buy(db, shop, "fred@example.com", "MUG", at(11, 13), store=False)
    analytics_service.sync(runtime)
    return shop


def test_store_purchases_researched_online_by_hand(db: Session, toy: Shop) -> None:
    report = service.ropo_report(db, workspace_id=toy.workspace_id, start=START, end=END, lookback_days=30)
    db.rollback()
    store = report.store
    # Ada and Dan researched online; Bob's visit is too old; Carol never visited. 9 + 15 + 15 + 9 EUR.
    assert (store.purchases, store.researched, store.share) == (4, 2, 0.5)
    assert (report.currency, store.revenue, store.researched_revenue) == ("EUR", 48.0, 18.0)
    assert store.median_days == 2.5  # Ada 3 days after her last visit, Dan 2
    channels = {c.channel: c for c in report.channels}
    assert set(channels) == {"Paid Search", "Email"}
    paid, email = channels["Paid Search"], channels["Email"]
    assert (paid.purchases, paid.share, email.purchases, email.share) == (2, 1.0, 1, 0.5)
    # Ada's path is Paid Search > Email, Dan's Paid Search alone.
    assert (paid.credit[Model.FIRST], email.credit[Model.FIRST]) == (2.0, 0.0)
    assert (paid.credit[Model.LAST], email.credit[Model.LAST]) == (1.0, 1.0)
    assert (paid.credit[Model.LINEAR], email.credit[Model.LINEAR]) == (1.5, 0.5)
    assert (paid.value[Model.LINEAR], email.value[Model.LINEAR]) == (13.5, 4.5)
    assert sum(c.credit[Model.TIME_DECAY] for c in report.channels) == pytest.approx(2.0)
    stores = {g.label: (g.purchases, g.researched) for g in report.by_store}
    assert stores == {"Paris store": (3, 2), "Lyon store": (1, 0)}
    products = {g.key: (g.purchases, g.researched) for g in report.by_product}
    assert products == {"MUG": (2, 2), "TEE-M": (1, 0), "TEE-S": (1, 0)}
    # The reverse: Erin's online order followed a store visit, Fred's did not (store sales are no visit).
    assert (report.online.purchases, report.online.researched, report.online.median_days) == (2, 1, 7.0)


def test_a_shorter_lookback_and_the_api_csv_page_and_cli(
    client: TestClient, db: Session, world: World, toy: Shop, cli_env: dict[str, str]
) -> None:
    week = service.ropo_report(db, workspace_id=toy.workspace_id, start=START, end=END, lookback_days=7)
    db.rollback()
    # Within 7 days Ada's Paid Search visit (8 days before) no longer counts: her path is Email alone.
    assert week.store.researched == 2 and {c.channel: c.credit[Model.FIRST] for c in week.channels} == {
        "Email": 1.0,
        "Paid Search": 1.0,
    }
    query = {"from": "2026-11-01", "to": "2026-11-30", "lookback_days": 30}
    viewer = world.token(Role.VIEWER)
    data = client.get("/api/v1/commerce/ropo", params=query, headers=viewer)
    assert data.status_code == 200 and data.json()["store"]["researched"] == 2
    assert (
        client.get("/api/v1/commerce/ropo", params={**query, "lookback_days": 0}, headers=viewer).status_code
        == 422
    )
    lines = client.get("/api/v1/commerce/ropo.csv", params=query, headers=viewer).text.splitlines()
    assert "store_purchases,total,4,2,0.5000" in lines
    assert any(line.startswith("channel,Paid Search,2,,1.0000,2.0,1.0,1.5") for line in lines)
    chart = client.get("/api/v1/commerce/ropo/chart.json", params=query, headers=viewer)
    assert chart.status_code == 200 and chart.json()["$schema"].startswith(
        "https://vega.github.io/schema/vega-lite"
    )
    page = client.get("/commerce/ropo?date_from=2026-11-01&date_to=2026-11-30", headers=viewer)
    assert page.status_code == 200 and 'data-metric="store-share"' in page.text and "Paid Search" in page.text
    result = CliRunner().invoke(
        cli_app, ["commerce", "ropo", "-w", "acme", "--from", "2026-11-01", "--to", "2026-11-30"], env=cli_env
    )
    assert result.exit_code == 0, result.output
    assert "2 of 4 store purchases (50.0%)" in result.output and "Paid Search" in result.output
