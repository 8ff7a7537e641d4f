"""The funnel's chart: Altair (Vega-Lite), drawn in the page by the served Vega bundle and rendered to PNG/SVG
on the server (`kernel.charts`)."""

from __future__ import annotations

from typing import Any

import altair as alt

from omnicx.journeys.schemas import FunnelResult, JourneyMapReport, OverlapReport, UsageReport
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.tracking.service import channel_label


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


def heatmap_spec(report: UsageReport, channel: str = "*", device: str = "*") -> dict[str, Any]:
    """Sessions by weekday (rows, Monday first) and hour of the day (columns), for one channel or one device
    category (or all)."""
    weekdays = [gettext(name) for name in WEEKDAYS]
    rows = [
        {"weekday": weekdays[cell.weekday - 1], "hour": cell.hour, "sessions": cell.sessions}
        for cell in report.heatmap
        if cell.channel == channel and cell.device == device
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
            tooltip=[
                alt.Tooltip("weekday:O", title=gettext("Day")),
                alt.Tooltip("hour:O", title=gettext("Hour")),
                alt.Tooltip("sessions:Q", title=gettext("Sessions"), format=",d"),
            ],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def frequency_spec(report: UsageReport) -> dict[str, Any]:
    """Customers by how many sessions they had in the range (the last bar is 10 or more)."""
    counts = sorted(report.visits_per_customer.items())
    labels = [f"{n}+" if n == 10 else str(n) for n, _ in counts]
    x_title, y_title = gettext("Sessions per customer"), gettext("Customers")
    return _bars(list(zip(labels, [c for _, c in counts], strict=True)), x_title, y_title)


def _bars(bars: list[tuple[str, int]], x_title: str, y_title: str) -> dict[str, Any]:
    """Bars of counts in the given order, labels level (the empty chart when every count is zero)."""
    if not any(count for _, count in bars):
        return empty_chart(gettext("No sessions in this range."))
    labels = [label for label, _ in bars]
    chart = (
        alt.Chart(alt.InlineData(values=[{"x": label, "y": count} for label, count in bars]))
        .mark_bar(color="#4c78a8")
        .encode(
            x=alt.X("x:O", title=x_title, sort=labels, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("y:Q", title=y_title),
            tooltip=[alt.Tooltip("x:O", title=x_title), alt.Tooltip("y:Q", title=y_title)],
        )
        .properties(width="container", height=200)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


#: ISO weekday names, Monday first (marked for translation where they are shown).
WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


#: The channel combinations an UpSet-style chart shows (most customers first), and each one's width in pixels
#: (two stacked views cannot share the container's width).
TOP_COMBINATIONS = 12
COMBINATION_WIDTH = 52


def combinations_spec(report: OverlapReport) -> dict[str, Any]:
    """UpSet-style: customers per channel combination as bars, over a matrix of dots saying which channels make
    each combination (most customers first)."""
    shown = [c for c in report.combinations if c.customers][:TOP_COMBINATIONS]
    if not shown:
        return empty_chart(gettext("No touchpoints in this range."))
    named = [tuple(channel_label(channel) for channel in c.channels) for c in shown]
    labels = [" + ".join(names) for names in named]
    channels = sorted({name for names in named for name in names})
    bars = [{"combination": label, "customers": c.customers} for label, c in zip(labels, shown, strict=True)]
    dots = [
        {"combination": label, "channel": channel, "member": channel in names}
        for label, names in zip(labels, named, strict=True)
        for channel in channels
    ]
    x = alt.X("combination:N", sort=labels, axis=None)
    top = (
        alt.Chart(alt.InlineData(values=bars))
        .mark_bar(color="#4c78a8")
        .encode(
            x=x,
            y=alt.Y("customers:Q", title=gettext("Customers")),
            tooltip=[
                alt.Tooltip("combination:N", title=gettext("Channels used")),
                alt.Tooltip("customers:Q", title=gettext("Customers"), format=",d"),
            ],
        )
        .properties(width=alt.Step(COMBINATION_WIDTH), height=180)
    )
    matrix = (
        alt.Chart(alt.InlineData(values=dots))
        .mark_circle(size=90)
        .encode(
            x=x,
            y=alt.Y("channel:N", title=None, sort=channels),
            color=alt.Color(
                "member:N", scale=alt.Scale(domain=[True, False], range=["#1f2937", "#e5e7eb"]), legend=None
            ),
        )
        .properties(width=alt.Step(COMBINATION_WIDTH), height=22 * len(channels))
    )
    spec: dict[str, Any] = alt.vconcat(top, matrix, spacing=4).to_dict()
    return spec


def switching_spec(report: OverlapReport) -> dict[str, Any]:
    """The switching matrix: from a channel (rows) to the next (columns), coloured by the share of the row's
    moves, labelled with the moves."""
    if not report.switching:
        return empty_chart(gettext("No customer touched twice within the gap in this range."))
    rows = [
        {
            "from": channel_label(c.from_channel),
            "to": channel_label(c.to_channel),
            "moves": c.moves,
            "share": c.share_of_from,
        }
        for c in report.switching
    ]
    channels = sorted({str(row[end]) for row in rows for end in ("from", "to")})
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("to:N", title=gettext("Next channel"), sort=channels, axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("from:N", title=gettext("From channel"), sort=channels),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "share:Q", title=gettext("Share of moves"), scale=alt.Scale(scheme="blues", domain=[0, 1])
        ),
        tooltip=[
            alt.Tooltip("from:N", title=gettext("From channel")),
            alt.Tooltip("to:N", title=gettext("Next channel")),
            alt.Tooltip("moves:Q", title=gettext("Moves"), format=",d"),
            alt.Tooltip("share:Q", title=gettext("Share of moves"), format=".0%"),
        ],
    )
    labels = base.mark_text(fontSize=11).encode(
        text="moves:Q", color=alt.condition("datum.share > 0.5", alt.value("white"), alt.value("#1f2937"))
    )
    chart = (cells + labels).properties(width="container", height=max(120, 30 * len(channels)))
    spec: dict[str, Any] = chart.to_dict()
    return spec


def spend_spec(report: OverlapReport) -> dict[str, Any]:
    """Spend per buyer online and in the store by channels used, in the currency with the most buyers."""
    currency = main_currency(report)
    places = [gettext("Online"), gettext("In store")]
    spend_label = gettext("Spend per buyer")
    rows = [
        {
            "channels": "3+" if row.channels >= 3 else str(row.channels),
            "where": gettext(where),
            "per_buyer": value / 100,
        }
        for row in report.spend
        if row.currency == currency
        for where, value in ((N_("Online"), row.online_per_buyer), (N_("In store"), row.store_per_buyer))
        if value is not None
    ]
    if not rows:
        return empty_chart(gettext("No sales in this range."))
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "channels:O",
                title=gettext("Channels used"),
                sort=["1", "2", "3+"],
                axis=alt.Axis(labelAngle=0),
            ),
            xOffset=alt.XOffset("where:N", sort=places),
            y=alt.Y("per_buyer:Q", title=f"{spend_label} ({currency})"),
            color=alt.Color("where:N", title=None, sort=places),
            tooltip=[
                alt.Tooltip("channels:O", title=gettext("Channels used")),
                alt.Tooltip("where:N", title=" "),
                alt.Tooltip("per_buyer:Q", title=f"{spend_label} ({currency})", format=",.2f"),
            ],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def main_currency(report: OverlapReport) -> str | None:
    """The currency with the most buyers in the report's spend (ties: alphabetical)."""
    buyers: dict[str, int] = {}
    for row in report.spend:
        buyers[row.currency] = buyers.get(row.currency, 0) + row.online_buyers + row.store_buyers
    return min(buyers, key=lambda c: (-buyers[c], c)) if buyers else None


def duration_spec(report: UsageReport) -> dict[str, Any]:
    """Sessions by how long they lasted, shortest first."""
    bars = [(_duration_label(b.from_seconds, b.to_seconds), b.sessions) for b in report.durations]
    return _bars(bars, gettext("Session duration"), gettext("Sessions"))


def _duration_label(low: int, high: int | None) -> str:
    def short(seconds: int) -> str:
        return f"{seconds // 60} min" if seconds >= 60 else f"{seconds} s"

    return f"{short(low)}+" if high is None else f"{short(low)}–{short(high)}"


def returns_spec(report: UsageReport) -> dict[str, Any]:
    """Returning visits by the days since the customer's previous visit, soonest first."""
    bars = [
        (f"{b.from_days}+" if b.to_days is None else f"{b.from_days}–{b.to_days}", b.returns)
        for b in report.days_between_visits
    ]
    return _bars(bars, gettext("Days since the previous visit"), gettext("Returning visits"))


def stages_spec(report: JourneyMapReport) -> dict[str, Any]:
    """Customers per stage of the journey map, each beside those whose journey stopped there."""
    if not report.stages or report.stages[0].customers == 0:
        return empty_chart(gettext("No customer reached the first stage in this range."))
    order = [f"{stage.position}. {stage.name}" for stage in report.stages]
    reached, stopped = gettext("Reached"), gettext("Stopped here")
    rows = [
        {"stage": label, "measure": measure, "customers": value}
        for label, stage in zip(order, report.stages, strict=True)
        for measure, value in ((reached, stage.customers), (stopped, stage.dropped or 0))
    ]
    chart = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_bar()
        .encode(
            x=alt.X("stage:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=140)),
            xOffset=alt.XOffset("measure:N", sort=[reached, stopped]),
            y=alt.Y("customers:Q", title=gettext("Customers")),
            color=alt.Color(
                "measure:N",
                scale=alt.Scale(domain=[reached, stopped], range=["#4c78a8", "#e45756"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("stage:N", title=gettext("Stage")),
                alt.Tooltip("measure:N", title=" "),
                alt.Tooltip("customers:Q", title=gettext("Customers"), format=",d"),
            ],
        )
        .properties(width="container", height=240)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
