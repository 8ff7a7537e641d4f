"""Charts of the sales report: Altair (Vega-Lite) specs shown in the page by the served Vega bundle, and PNG/SVG
rendered on the server by vl-convert (`kernel.charts`), as the inbox report does.

Money is charted in major units of one currency: the report's main one (most orders) unless another is asked.
"""

from __future__ import annotations

from typing import Any, Literal

import altair as alt

from omnicx.commerce.money import to_decimal
from omnicx.commerce.schemas import SalesReport, SalesRow
from omnicx.kernel.charts import empty_chart, series_colors
from omnicx.kernel.i18n import gettext

Dimension = Literal["channel", "fulfilment", "location"]
ChartKind = Literal["trend", "compare"]


def main_currency(report: SalesReport) -> str | None:
    """The currency with the most sales orders (the one the page's tiles and charts show first)."""
    totals = sorted(report.totals, key=lambda r: (-r.orders, r.currency))
    return totals[0].currency if totals else None


def _major(minor: int, currency: str) -> float:
    return float(to_decimal(minor, currency))


def _channel_labels(report: SalesReport) -> dict[str, str]:
    return {row.key: row.label for row in report.by_channel}


def trend_spec(report: SalesReport, currency: str | None = None) -> dict[str, Any]:
    """Revenue per day, one stacked colour per sales channel."""
    currency = currency or main_currency(report)
    labels = _channel_labels(report)
    days = [d for d in report.daily if d.currency == currency]
    rows = [
        {
            "day": d.day.isoformat(),
            "channel": labels.get(d.channel.value, d.channel.value),
            "revenue": _major(d.revenue_minor, d.currency),
            "orders": d.orders,
        }
        for d in days
    ]
    if currency is None or not any(r["orders"] for r in rows):
        return empty_chart(gettext("No sales in this range."))
    revenue = gettext("Revenue (%(currency)s)") % {"currency": currency}
    channel, orders = gettext("Channel"), gettext("Orders")
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("day:O", title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True)),
            y=alt.Y("sum(revenue):Q", title=revenue),
            color=alt.Color(
                "channel:N",
                title=channel,
                scale=series_colors(
                    {d.channel.value: labels.get(d.channel.value, d.channel.value) for d in days}
                ),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("day:O", title=gettext("Day")),
                alt.Tooltip("channel:N", title=channel),
                alt.Tooltip("revenue:Q", title=revenue, format=",.2f"),
                alt.Tooltip("orders:Q", title=orders),
            ],
        )
        .properties(width="container", height=260)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _rows(report: SalesReport, dimension: Dimension) -> list[SalesRow]:
    return {"channel": report.by_channel, "fulfilment": report.by_fulfilment, "location": report.by_location}[
        dimension
    ]


def compare_spec(
    report: SalesReport, dimension: Dimension = "fulfilment", currency: str | None = None
) -> dict[str, Any]:
    """Revenue per channel, fulfilment or location (bars), with the number of orders in the tooltip."""
    currency = currency or main_currency(report)
    values = [
        {"group": row.label, "revenue": _major(row.revenue_minor, row.currency), "orders": row.orders}
        for row in _rows(report, dimension)
        if row.currency == currency and row.orders
    ]
    if currency is None or not values:
        return empty_chart(gettext("No sales in this range."))
    revenue = gettext("Revenue (%(currency)s)") % {"currency": currency}
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort="-x"),
            x=alt.X("revenue:Q", title=revenue),
            tooltip=[
                alt.Tooltip("group:N", title=gettext("Group")),
                alt.Tooltip("revenue:Q", title=revenue, format=",.2f"),
                alt.Tooltip("orders:Q", title=gettext("Orders")),
            ],
        )
        .properties(width="container", height=max(120, 40 * len(values)))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def sales_chart_spec(
    report: SalesReport, chart: ChartKind, dimension: Dimension = "fulfilment", currency: str | None = None
) -> dict[str, Any]:
    return trend_spec(report, currency) if chart == "trend" else compare_spec(report, dimension, currency)
