"""The funnel's chart: Altair (Vega-Lite), drawn in the page by the served Vega bundle and rendered to PNG/SVG
on the server (`kernel.charts`)."""

from __future__ import annotations

from typing import Any

import altair as alt

from omnicx.journeys.schemas import FunnelResult, UsageReport
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_


def funnel_spec(result: FunnelResult) -> dict[str, Any]:
    """Customers per step, as bars in step order, each labelled with its share of step 1."""
    if not result.steps or result.steps[0].customers == 0:
        return empty_chart(gettext("No customer did the first step in this range."))
    order = [f"{step.position}. {step.label}" for step in result.steps]
    rows = [
        {
            "step": label,
            "customers": step.customers,
            "share": f"{step.share_of_first:.0%}" if step.share_of_first is not None else "",
        }
        for label, step in zip(order, result.steps, strict=True)
    ]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("step:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
        x=alt.X("customers:Q", title=gettext("Customers")),
    )
    bars = base.mark_bar(color="#4c78a8")
    labels = base.mark_text(align="left", dx=4).encode(text="share:N")
    chart = (bars + labels).properties(width="container", height=max(120, 44 * len(rows)))
    spec: dict[str, Any] = chart.to_dict()
    return spec


def trend_spec(result: FunnelResult) -> dict[str, Any]:
    """Conversion (last step over step 1) per day of entry, with the customers entered as bars behind it."""
    rows = [
        {
            "day": d.day.isoformat(),
            "entered": d.entered,
            "conversion": d.conversion,
        }
        for d in result.trend
    ]
    if not any(row["entered"] for row in rows):
        return empty_chart(gettext("No customer did the first step in this range."))
    base = alt.Chart(alt.InlineData(values=rows)).encode(x=alt.X("day:T", title=None))
    bars = base.mark_bar(color="#c6d4e6").encode(y=alt.Y("entered:Q", title=gettext("Entered")))
    line = base.mark_line(point=True, color="#e45756").encode(
        y=alt.Y("conversion:Q", title=gettext("Conversion"), axis=alt.Axis(format="%"))
    )
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(width="container", height=220)
    spec: dict[str, Any] = chart.to_dict()
    return spec


def heatmap_spec(report: UsageReport, channel: str = "*") -> dict[str, Any]:
    """Sessions by weekday (rows, Monday first) and hour of the day (columns), for one channel or all."""
    weekdays = [gettext(name) for name in WEEKDAYS]
    rows = [
        {"weekday": weekdays[cell.weekday - 1], "hour": cell.hour, "sessions": cell.sessions}
        for cell in report.heatmap
        if cell.channel == channel
    ]
    if not rows:
        return empty_chart(gettext("No sessions in this range."))
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=gettext("Hour"), scale=alt.Scale(domain=list(range(24)))),
            y=alt.Y("weekday:O", title=None, sort=weekdays, scale=alt.Scale(domain=weekdays)),
            color=alt.Color("sessions:Q", title=gettext("Sessions"), scale=alt.Scale(scheme="blues")),
            tooltip=["weekday:O", "hour:O", "sessions:Q"],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def frequency_spec(report: UsageReport) -> dict[str, Any]:
    """Customers by how many sessions they had in the range (the last bar is 10 or more)."""
    labels = [f"{n}+" if n == 10 else str(n) for n in sorted(report.visits_per_customer)]
    rows = [
        {"visits": label, "customers": report.visits_per_customer[n]}
        for label, n in zip(labels, sorted(report.visits_per_customer), strict=True)
    ]
    if not rows:
        return empty_chart(gettext("No sessions in this range."))
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("visits:O", title=gettext("Sessions per customer"), sort=labels),
            y=alt.Y("customers:Q", title=gettext("Customers")),
        )
        .properties(width="container", height=200)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


#: ISO weekday names, Monday first (marked for translation where they are shown).
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
