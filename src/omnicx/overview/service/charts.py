"""The Overview's charts as Altair (Vega-Lite) specs, and its channel table as CSV.

Trends are lines or stacked areas over days; first against last touch is a grouped bar per channel. The page
draws the specs with the Vega bundle omnicx serves; PNG exports render the same specs with vl-convert.
"""

from __future__ import annotations

import csv
import io
from enum import StrEnum
from typing import Any

import altair as alt

from omnicx.kernel.charts import empty_chart, series_colors
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.overview.schemas import OverviewPublic, TrendPoint
from omnicx.tracking.service import channel_label


class Chart(StrEnum):
    SESSIONS = "sessions"
    CONVERSIONS = "conversions"
    REVENUE = "revenue"
    TOUCH = "touch"


SERIES_LABELS = {
    "contacts": N_("Contacts"),
    "qualified": N_("Qualified leads"),
    "sales": N_("Sales"),
    "revenue": N_("Revenue"),
}
TOUCH_LABELS = {"first_touch": N_("First touch"), "last_touch": N_("Last touch")}


def chart_spec(
    data: OverviewPublic, chart: Chart, *, metric: str = "sales", titled: bool = True
) -> dict[str, Any]:
    """The spec of one Overview chart; `metric` (contacts, qualified, sales, revenue) picks the touch chart's
    measure. The page gives each chart a heading of its own (`titled=False`); exported images keep a title."""
    spec = _spec(data, chart, metric)
    if not titled:
        spec.pop("title", None)
    return spec


def _spec(data: OverviewPublic, chart: Chart, metric: str) -> dict[str, Any]:
    if chart is Chart.TOUCH:
        return _touch(data, metric)
    points = {
        Chart.SESSIONS: data.sessions_trend,
        Chart.CONVERSIONS: data.conversions_trend,
        Chart.REVENUE: data.revenue_trend,
    }[chart]
    return _trend(points, stacked=chart is Chart.SESSIONS, title=_trend_title(chart))


def _trend_title(chart: Chart) -> str:
    return {
        Chart.SESSIONS: gettext("Sessions per day by channel"),
        Chart.CONVERSIONS: gettext("Contacts, qualified leads and sales per day"),
        Chart.REVENUE: gettext("Revenue per day"),
    }[chart]


def _label(series: str) -> str:
    label = SERIES_LABELS.get(series)
    return gettext(label) if label else channel_label(series)


def _trend(points: list[TrendPoint], *, stacked: bool, title: str) -> dict[str, Any]:
    if not any(p.value for p in points):
        return empty_chart(gettext("Nothing happened in this range."))
    rows = [{"day": p.day.isoformat(), "series": _label(p.series), "value": p.value} for p in points]
    colors = series_colors({p.series: _label(p.series) for p in points})
    base = alt.Chart(alt.InlineData(values=rows), title=title)
    mark = base.mark_area(opacity=0.85) if stacked else base.mark_line(point=len(rows) < 200)
    chart = mark.encode(
        x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0)),
        y=alt.Y("value:Q", title=None, stack="zero" if stacked else None, axis=alt.Axis(format="~s")),
        color=alt.Color("series:N", title=None, scale=colors, legend=alt.Legend(orient="bottom", columns=6)),
        tooltip=[
            alt.Tooltip("day:T", title=gettext("Day"), format="%Y-%m-%d"),
            alt.Tooltip("series:N", title=" "),
            alt.Tooltip("value:Q", title=gettext("Value"), format=",.0f"),
        ],
    ).properties(width="container", height=220)
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _touch(data: OverviewPublic, metric: str) -> dict[str, Any]:
    rows = [
        {
            "channel": channel_label(row.channel),
            "touch": gettext(TOUCH_LABELS[touch]),
            "value": round(float(getattr(getattr(row, touch), metric)), 2),
        }
        for row in data.channels
        for touch in TOUCH_LABELS
    ]
    if not any(r["value"] for r in rows):
        return empty_chart(gettext("No conversions in this range."))
    order = [
        channel_label(r.channel) for r in sorted(data.channels, key=lambda c: -getattr(c.last_touch, metric))
    ]
    chart = (
        alt.Chart(alt.InlineData(values=rows), title=f"{_label(metric)}: {gettext('first and last touch')}")
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", sort=order, title=None),
            yOffset=alt.YOffset("touch:N"),
            x=alt.X("value:Q", title=_label(metric), axis=alt.Axis(format="~s")),
            color=alt.Color(
                "touch:N",
                title=None,
                scale=series_colors({key: gettext(label) for key, label in TOUCH_LABELS.items()}),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("channel:N", title=gettext("Channel")),
                alt.Tooltip("touch:N", title=" "),
                alt.Tooltip("value:Q", title=_label(metric), format=",.2f"),
            ],
        )
        .properties(width="container", height=max(120, 22 * len(order) * 2))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def channels_csv(data: OverviewPublic) -> str:
    """One row per channel: sessions, then contacts, qualified, sales and revenue by first and by last touch."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    measures = ("contacts", "qualified", "sales", "revenue")
    writer.writerow(
        ["channel", "sessions"] + [f"{m}_{t}" for t in ("first_touch", "last_touch") for m in measures]
    )
    for row in data.channels:
        values = [
            round(getattr(getattr(row, t), m), 4) for t in ("first_touch", "last_touch") for m in measures
        ]
        writer.writerow([row.channel, row.sessions, *values])
    return buffer.getvalue()
