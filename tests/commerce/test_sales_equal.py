"""The sales report, computed in the analytics engine, gives on the seeded demo world the numbers an independent
oracle reads from the store of record (`commerce_order`, `commerce_order_line`), order by order in Python."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.commerce import service
from omnicx.commerce.enums import Fulfilment, OrderStatus
from omnicx.commerce.models import Location, Order, OrderLine, Product, Variant
from omnicx.commerce.schemas import SalesReport
from omnicx.kernel.runtime import Runtime
from tests.demo.test_world import NOW, seed

END = NOW.date()
Measures = list[int]  # orders, revenue, units, pickup, cancelled, returned, returned value


def _day(created: datetime, zone: ZoneInfo) -> date:
    return (created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(zone).date()


def _add(groups: dict[tuple[Any, ...], Measures], key: tuple[Any, ...], order: Order, units: int) -> None:
    measures = groups.setdefault(key, [0] * 7)
    if order.status is OrderStatus.CANCELLED:
        measures[4] += 1
    elif order.status is OrderStatus.RETURNED:
        measures[5] += 1
        measures[6] += order.total_minor
    else:
        measures[0] += 1
        measures[1] += order.total_minor
        measures[2] += units
        measures[3] += order.fulfilment is Fulfilment.PICKUP


def oracle(session: Session, workspace_id: uuid.UUID, start: date, end: date) -> dict[str, Any]:
    """Every group's measures, the days with sales and the top products, read order by order."""
    zone = ZoneInfo(auth_service.get_workspace(session, workspace_id=workspace_id).timezone)
    orders = [
        o
        for o in session.scalars(select(Order).where(Order.workspace_id == workspace_id))
        if start <= _day(o.created_at, zone) <= end
    ]
    lines: dict[uuid.UUID, list[OrderLine]] = defaultdict(list)
    for line in session.scalars(select(OrderLine).where(OrderLine.workspace_id == workspace_id)):
        lines[line.order_id].append(line)
    groups: dict[tuple[Any, ...], Measures] = {}
    products: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for o in orders:
        units = sum(line.quantity for line in lines[o.id])
        for key in (
            ("total", o.currency, "all"),
            ("channel", o.currency, o.channel.value),
            ("fulfilment", o.currency, o.fulfilment.value),
            ("location", o.currency, str(o.location_id)),
            ("day", o.currency, _day(o.created_at, zone), o.channel.value),
        ):
            _add(groups, key, o, units)
        if o.status not in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
            for line in lines[o.id]:
                products[(o.currency, line.sku)][0] += line.quantity
                products[(o.currency, line.sku)][1] += line.quantity * line.unit_price_minor
    titles = {
        sku: variant if product in variant else f"{product} · {variant}" if variant else product
        for sku, variant, product in session.execute(
            select(Variant.sku, Variant.title, Product.title)
            .join(Product, Product.id == Variant.product_id)
            .where(Variant.workspace_id == workspace_id)
        )
    }
    ranked = sorted(products.items(), key=lambda item: (item[0][0], -item[1][1], -item[1][0], item[0][1]))
    top: list[tuple[Any, ...]] = []
    for (currency, sku), (units, revenue) in ranked:
        if sum(1 for t in top if t[0] == currency) < 10:
            top.append((currency, sku, titles.get(sku, sku), units, revenue))
    names = {str(i): n for i, n in session.execute(select(Location.id, Location.name))}
    return {"groups": groups, "top": top, "names": names}


def _engine(report: SalesReport) -> dict[str, Any]:
    groups: dict[tuple[Any, ...], Measures] = {}
    dimensions = {
        "total": report.totals,
        "channel": report.by_channel,
        "fulfilment": report.by_fulfilment,
        "location": report.by_location,
    }
    for dimension, rows in dimensions.items():
        for r in rows:
            measures = [r.orders, r.revenue_minor, r.units, r.pickup_orders, r.cancelled, r.returned]
            groups[(dimension, r.currency, r.key)] = [*measures, r.returned_minor]
            assert r.average_order_minor == (round(r.revenue_minor / r.orders) if r.orders else None)
    top = [(p.currency, p.sku, p.title, p.units, p.revenue_minor) for p in report.top_products]
    names = {r.key: r.label for r in report.by_location}
    days = {
        (d.currency, d.day, d.channel.value): (d.orders, d.revenue_minor) for d in report.daily if d.orders
    }
    return {"groups": groups, "top": top, "names": names, "days": days}


def test_the_sales_report_equals_the_store_of_record_oracle(runtime: Runtime) -> None:
    workspace_id, _ = seed(runtime)
    analytics_service.sync(runtime)
    with runtime.sessions() as session:
        for first in (END - timedelta(days=89), END - timedelta(days=6), END):
            report = service.sales_report(session, workspace_id=workspace_id, start=first, end=END)  # type: ignore[arg-type]
            engine = _engine(report)
            expected = oracle(session, workspace_id, first, END)  # type: ignore[arg-type]
            days = {
                (key[1], key[2], key[3]): (m[0], m[1])
                for key, m in expected["groups"].items()
                if key[0] == "day" and m[0]
            }
            groups = {key: m for key, m in expected["groups"].items() if key[0] != "day"}
            assert engine["groups"] == groups, first
            assert engine["days"] == days, first
            assert engine["top"] == expected["top"], first
            assert all(expected["names"][key] == label for key, label in engine["names"].items())
        # the widest range is not a trivial one: several channels, both fulfilments, cancellations and returns
        wide = _engine(
            service.sales_report(session, workspace_id=workspace_id, start=END - timedelta(days=89), end=END)
        )  # type: ignore[arg-type]
    totals = [m for key, m in wide["groups"].items() if key[0] == "total"]
    assert len(totals) == 1 and totals[0][0] > 20 and totals[0][3] > 0
    assert sum(1 for key in wide["groups"] if key[0] == "channel") >= 2
    assert len(wide["top"]) >= 3
