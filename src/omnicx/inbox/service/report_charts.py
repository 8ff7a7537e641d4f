"""Charts of an inbox report: Altair (Vega-Lite) specs shown in the page by the served Vega bundle, and PNG/SVG
rendered on the server by vl-convert (no browser, no network), as the attribution page does."""

from __future__ import annotations

from typing import Any, Literal

import altair as alt

from omnicx.inbox.labels import CHANNEL_LABELS, intent_label
from omnicx.inbox.schemas import ContactReasonsReport, InboxReport, ReportRow
from omnicx.kernel.charts import empty_chart, series_colors
from omnicx.kernel.i18n import gettext

Dimension = Literal["channel", "agent", "team"]
ChartKind = Literal["trend", "times"]


def trend_spec(report: InboxReport) -> dict[str, Any]:
    """Conversations per day (bars) and the SLA hit rate per day (line, right axis)."""
    if not report.totals.conversations:
        return empty_chart(gettext("No conversations in this range."))
    conversations = gettext("Conversations")
    hit_rate = gettext("SLA hit rate")
    rows = [
        {"day": d.day.isoformat(), "conversations": d.conversations, "rate": d.sla_hit_rate}
        for d in report.daily
    ]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("day:O", title=None, axis=alt.Axis(labelAngle=-45, labelOverlap=True))
    )
    bars = base.mark_bar(opacity=0.7).encode(
        y=alt.Y("conversations:Q", title=conversations),
        tooltip=[
            alt.Tooltip("day:O", title=gettext("Day")),
            alt.Tooltip("conversations:Q", title=conversations),
        ],
    )
    line = base.mark_line(point=True, color="#d9480f").encode(
        y=alt.Y("rate:Q", title=hit_rate, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        tooltip=[
            alt.Tooltip("day:O", title=gettext("Day")),
            alt.Tooltip("rate:Q", title=hit_rate, format=".0%"),
        ],
    )
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(width="container", height=240)
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _rows(report: InboxReport, dimension: Dimension) -> list[ReportRow]:
    return {"channel": report.by_channel, "agent": report.by_agent, "team": report.by_team}[dimension]


def times_spec(report: InboxReport, dimension: Dimension = "channel") -> dict[str, Any]:
    """First response and resolution, median and p90 (minutes), side by side per channel, agent or team."""
    measures = (
        (gettext("First response, median"), "first_response_median_seconds"),
        (gettext("First response, p90"), "first_response_p90_seconds"),
        (gettext("Resolution, median"), "resolution_median_seconds"),
        (gettext("Resolution, p90"), "resolution_p90_seconds"),
    )
    values = []
    for row in _rows(report, dimension):
        for label, field in measures:
            seconds = getattr(row, field)
            if seconds is not None:
                values.append({"group": row.label, "measure": label, "minutes": round(seconds / 60, 2)})
    if not values:
        return empty_chart(gettext("No answered or resolved conversations in this range."))
    minutes = gettext("Minutes")
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None),
            yOffset=alt.YOffset("measure:N"),
            x=alt.X("minutes:Q", title=minutes),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=series_colors({field: label for label, field in measures}),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("group:N", title=gettext("Group")),
                alt.Tooltip("measure:N", title=gettext("Measure")),
                alt.Tooltip("minutes:Q", title=minutes, format=",.1f"),
            ],
        )
        .properties(width="container", height=max(120, 60 * len({v["group"] for v in values})))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def chart_spec(report: InboxReport, chart: ChartKind, dimension: Dimension = "channel") -> dict[str, Any]:
    return trend_spec(report) if chart == "trend" else times_spec(report, dimension)


def _reason(reason: str) -> str:
    return gettext("No detected reason") if reason == "none" else intent_label(reason)


def reasons_spec(report: ContactReasonsReport, chart: Literal["weekly", "channels"]) -> dict[str, Any]:
    """Conversations per contact reason, stacked: per week (the trend) or per channel (the comparison)."""
    counts = report.weekly if chart == "weekly" else report.by_channel
    if not counts:
        return empty_chart(gettext("No conversations in this range."))
    reasons = {c.reason: _reason(c.reason) for c in counts}
    names = {channel.value: label for channel, label in CHANNEL_LABELS.items()}
    values = [
        {
            "key": c.key if chart == "weekly" else gettext(names.get(c.key, c.key)),
            "reason": reasons[c.reason],
            "conversations": c.conversations,
        }
        for c in counts
    ]
    key_title = gettext("Week of") if chart == "weekly" else gettext("Channel")
    conversations = gettext("Conversations")
    chart_spec = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("key:O", title=key_title, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("sum(conversations):Q", title=conversations),
            color=alt.Color(
                "reason:N",
                title=None,
                scale=series_colors(reasons),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("key:O", title=key_title),
                alt.Tooltip("reason:N", title=gettext("Contact reason")),
                alt.Tooltip("conversations:Q", title=conversations),
            ],
        )
        .properties(width="container", height=260)
    )
    spec: dict[str, Any] = chart_spec.to_dict()
    return spec
