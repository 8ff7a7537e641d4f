"""The sales report: orders, revenue, average order, units, click-and-collect share, cancellations and returns,
by sales channel, fulfilment and location, a daily trend per channel and the top products, computed in the
analytics engine from its copy of `orders` and `order_lines`.

Scope: orders CREATED from `start` to `end` (inclusive dates in the workspace's time zone). A sale is booked
when the order is placed: every order counts as a sale, whatever its progress (placed, paid, allocated, ready,
picked up, shipped, delivered), except cancelled orders (no sale happened) and returned orders (the money went
back). Those two are counted apart, and the returned orders' value shown apart, never netted from revenue: a
return is reported on the day its order was placed, so revenue of a past range drops when an order of it is
returned. Revenue is the orders' totals; a product's revenue is its lines' quantity x unit price. Money is never
added across currencies: every money figure is grouped by currency (one totals row per currency).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.commerce.enums import OrderStatus, SalesChannel
from omnicx.commerce.errors import InvalidReportRange
from omnicx.commerce.labels import FULFILMENT_NAMES, SALES_CHANNEL_NAMES
from omnicx.commerce.models import Product, Variant
from omnicx.commerce.schemas import SalesDay, SalesReport, SalesRow, TopProduct
from omnicx.commerce.service.catalogue import list_locations
from omnicx.kernel.dates import days, report_bounds
from omnicx.kernel.i18n import gettext

MAX_REPORT_DAYS = 731
TOP_PRODUCTS = 10
TOTAL_KEY = "all"
#: Orders in these statuses are no sale; every other status is.
NOT_SALES = (OrderStatus.CANCELLED, OrderStatus.RETURNED)
REVENUE_STATUSES = [s for s in OrderStatus if s not in NOT_SALES]

#: One row per group: each currency alone, with each channel, fulfilment, location, and each (day, channel).
#: The grouping flags say which; every group is within one currency.
REPORT = """
WITH ranged AS (
    SELECT id, person_id, currency, channel, fulfilment, CAST(location_id AS VARCHAR) AS location, status,
        total_minor,
        CAST(timezone($tz, created_at) AS DATE) AS day,
        NOT list_contains($not_sales, status) AS sale
    FROM orders
    WHERE created_at >= $since AND created_at < $until
),
units AS (
    SELECT l.order_id, sum(l.quantity) AS units
    FROM order_lines l JOIN ranged r ON r.id = l.order_id
    GROUP BY l.order_id
)
SELECT
    grouping(day), grouping(channel), grouping(fulfilment), grouping(location),
    currency, day, channel, fulfilment, location,
    count(*) FILTER (WHERE sale),
    coalesce(sum(total_minor) FILTER (WHERE sale), 0),
    coalesce(sum(units) FILTER (WHERE sale), 0),
    count(*) FILTER (WHERE sale AND fulfilment = 'pickup'),
    count(*) FILTER (WHERE status = 'cancelled'),
    count(*) FILTER (WHERE status = 'returned'),
    coalesce(sum(total_minor) FILTER (WHERE status = 'returned'), 0),
    count(DISTINCT person_id) FILTER (WHERE sale)
FROM ranged LEFT JOIN units ON units.order_id = ranged.id
GROUP BY GROUPING SETS (
    (currency), (currency, channel), (currency, fulfilment), (currency, location), (currency, day, channel)
)
"""

#: Per currency, the SKUs of sales orders with the most revenue (ties: more units, then SKU).
PRODUCTS = """
WITH sold AS (
    SELECT id, currency FROM orders
    WHERE created_at >= $since AND created_at < $until AND NOT list_contains($not_sales, status)
)
SELECT s.currency, l.sku, sum(l.quantity) AS units, sum(l.quantity * l.unit_price_minor) AS revenue
FROM order_lines l JOIN sold s ON s.id = l.order_id
GROUP BY s.currency, l.sku
QUALIFY row_number() OVER (PARTITION BY s.currency ORDER BY revenue DESC, units DESC, l.sku) <= $limit
ORDER BY s.currency, revenue DESC, units DESC, l.sku
"""

#: In the order of the query's grouping flags and keys; the first not grouped names the group (a day group is
#: also a channel's).
DIMENSIONS = ("day", "channel", "fulfilment", "location")


@dataclass(frozen=True)
class _Group:
    """One group's measures as the engine computed them."""

    orders: int
    revenue: int
    units: int
    pickup: int
    cancelled: int
    returned: int
    returned_value: int
    customers: int

    def row(self, key: str, label: str, currency: str) -> SalesRow:
        return SalesRow(
            key=key,
            label=label,
            currency=currency,
            orders=self.orders,
            revenue_minor=self.revenue,
            average_order_minor=round(self.revenue / self.orders) if self.orders else None,
            units=self.units,
            pickup_orders=self.pickup,
            pickup_share=self.pickup / self.orders if self.orders else None,
            cancelled=self.cancelled,
            returned=self.returned,
            returned_minor=self.returned_value,
            customers=self.customers,
        )


#: (dimension, currency, key) -> measures; the day groups' key is (day, channel).
Groups = dict[tuple[str, str, Any], _Group]


def _bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    return report_bounds(start, end, timezone, max_days=MAX_REPORT_DAYS, refuse=InvalidReportRange)


def _params(timezone: str, since: datetime, until: datetime) -> dict[str, Any]:
    return {"tz": timezone, "since": since, "until": until, "not_sales": [s.value for s in NOT_SALES]}


def _groups(session: Session, workspace_id: uuid.UUID, params: dict[str, Any]) -> Groups:
    rows = analytics_service.query(session, workspace_id=workspace_id, sql=REPORT, params=params)
    groups: Groups = {}
    for row in rows:
        flags, currency, keys, measures = row[:4], row[4], row[5:9], row[9:]
        dimension = next((n for n, flag in zip(DIMENSIONS, flags, strict=True) if not flag), "total")
        key: Any = TOTAL_KEY
        if dimension == "day":
            key = (keys[0], keys[1])
        elif dimension != "total":
            key = keys[DIMENSIONS.index(dimension)]
        groups[(dimension, currency, key)] = _Group(*(int(m or 0) for m in measures))
    return groups


def _rows(groups: Groups, dimension: str, labels: dict[str, str]) -> list[SalesRow]:
    rows = [
        group.row(str(key), labels.get(key) or str(key), currency)
        for (name, currency, key), group in groups.items()
        if name == dimension
    ]
    return sorted(rows, key=lambda r: (r.currency, -r.revenue_minor, -r.orders, r.label))


def _daily(groups: Groups, start: date, end: date) -> list[SalesDay]:
    """Every day of the range for each (currency, channel) that sold in it, quiet days as zero."""
    series = sorted(
        {(c, key[1]) for (name, c, key), group in groups.items() if name == "day" and group.orders}
    )
    daily: list[SalesDay] = []
    for currency, channel in series:
        for day in days(start, end):
            group = groups.get(("day", currency, (day, channel)))
            daily.append(
                SalesDay(
                    day=day,
                    channel=SalesChannel(channel),
                    currency=currency,
                    orders=group.orders if group else 0,
                    revenue_minor=group.revenue if group else 0,
                )
            )
    return daily


def _title(product: str, variant: str) -> str:
    """How a SKU is named: its product and variant ("Nordlys lamp · Walnut"), once when one holds the other."""
    if not variant or product in variant:
        return variant or product
    return f"{product} · {variant}"


def sku_titles(session: Session, workspace_id: uuid.UUID, skus: list[str]) -> dict[str, str]:
    """Catalogue titles of a few SKUs, read from the store of record."""
    rows = session.execute(
        select(Variant.sku, Product.title, Variant.title)
        .join(Product, Product.id == Variant.product_id)
        .where(Variant.workspace_id == workspace_id, Variant.sku.in_(skus))
    )
    return {sku: _title(product, variant) for sku, product, variant in rows}


def _top_products(session: Session, workspace_id: uuid.UUID, params: dict[str, Any]) -> list[TopProduct]:
    rows = analytics_service.query(
        session,
        workspace_id=workspace_id,
        sql=PRODUCTS,
        params={**{k: v for k, v in params.items() if k != "tz"}, "limit": TOP_PRODUCTS},
    )
    titles = sku_titles(session, workspace_id, sorted({row[1] for row in rows}))
    return [
        TopProduct(
            sku=sku,
            title=titles.get(sku, sku),
            currency=currency,
            units=int(units),
            revenue_minor=int(revenue),
        )
        for currency, sku, units, revenue in rows
    ]


def _labels(session: Session, workspace_id: uuid.UUID) -> dict[str, dict[str, str]]:
    """What each group is called: channels and fulfilments by their names, locations by the store of record's."""
    locations = {str(loc.id): loc.name for loc in list_locations(session, workspace_id=workspace_id)}
    return {
        "channel": {k.value: gettext(v) for k, v in SALES_CHANNEL_NAMES.items()},
        "fulfilment": {k.value: gettext(v) for k, v in FULFILMENT_NAMES.items()},
        "location": locations,
    }


def sales_report(session: Session, *, workspace_id: uuid.UUID, start: date, end: date) -> SalesReport:
    """Sales of the orders created from `start` to `end` (inclusive, workspace time zone), computed in the
    analytics engine; cancelled and returned orders are no sales (module docstring)."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    since, until = _bounds(start, end, workspace.timezone)
    params = _params(workspace.timezone, since, until)
    groups = _groups(session, workspace_id, params)
    labels = _labels(session, workspace_id)
    return SalesReport(
        workspace_id=workspace_id,
        start=start,
        end=end,
        timezone=workspace.timezone,
        revenue_statuses=REVENUE_STATUSES,
        totals=_rows(groups, "total", {TOTAL_KEY: gettext("All orders")}),
        by_channel=_rows(groups, "channel", labels["channel"]),
        by_fulfilment=_rows(groups, "fulfilment", labels["fulfilment"]),
        by_location=_rows(groups, "location", labels["location"]),
        daily=_daily(groups, start, end),
        top_products=_top_products(session, workspace_id, params),
    )


def sales_csv(data: SalesReport) -> str:
    """One line per group (dimension = total, channel, fulfilment, location) with every measure, then one per top
    product (its units and revenue; the order measures left blank). Money in minor units of `currency`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = [name for name in SalesRow.model_fields if name not in ("key", "label", "currency")]
    writer.writerow(["dimension", "key", "label", "currency", *fields])
    groups = (
        ("total", data.totals),
        ("channel", data.by_channel),
        ("fulfilment", data.by_fulfilment),
        ("location", data.by_location),
    )
    for dimension, rows in groups:
        for row in rows:
            values = row.model_dump()
            cells = ["" if values[f] is None else values[f] for f in fields]
            writer.writerow([dimension, row.key, row.label, row.currency, *cells])
    for product in data.top_products:
        measures = {"units": product.units, "revenue_minor": product.revenue_minor}
        cells = [measures.get(f, "") for f in fields]
        writer.writerow(["product", product.sku, product.title, product.currency, *cells])
    return buffer.getvalue()
