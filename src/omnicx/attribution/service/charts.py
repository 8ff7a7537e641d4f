"""Charts and exports of a report: an Altair (Vega-Lite) spec shown in the page, PNG and SVG rendered by
vl-convert on the server (no browser, no network), and CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import Any

import altair as alt

from omnicx.attribution.engine import Model
from omnicx.attribution.schemas import AttributionReport, StageKey
from omnicx.kernel.charts import empty_chart, series_colors
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.tracking.service import channel_label

MODEL_LABELS = {
    Model.FIRST: N_("First touch"),
    Model.LAST: N_("Last touch"),
    Model.LAST_NON_DIRECT: N_("Last non-direct touch"),
    Model.LINEAR: N_("Linear"),
    Model.POSITION: N_("Position-based (40/20/40)"),
    Model.TIME_DECAY: N_("Time decay (7-day half-life)"),
    Model.MARKOV: N_("Markov chain (exact)"),
    Model.SHAPLEY: N_("Shapley value"),
}
STAGE_LABELS = {
    StageKey.CONTACT: N_("Contacts"),
    StageKey.QUALIFIED: N_("Qualified leads"),
    StageKey.SALE: N_("Sales"),
}
METRIC_LABELS = {"conversions": N_("Conversions"), "value": N_("Value")}


def _series(report: AttributionReport) -> dict[str, str]:
    """The chart's three series by key (first touch, last touch, the chosen model) and their shown labels."""
    model_label = gettext(MODEL_LABELS[report.model])
    if report.model is Model.MARKOV:
        model_label += f" · {report.order}"
    return {
        "first": gettext(MODEL_LABELS[Model.FIRST]),
        "last": gettext(MODEL_LABELS[Model.LAST]),
        "model": model_label,
    }


def _rows(report: AttributionReport, stage: StageKey, metric: str) -> list[dict[str, Any]]:
    labels = tuple(_series(report).values())
    rows = []
    for channel in report.channels:
        credit = channel.stages[stage]
        values = (
            (credit.first, credit.last, credit.model)
            if metric == "conversions"
            else (credit.value_first, credit.value_last, credit.value_model)
        )
        for label, value in zip(labels, values, strict=True):
            rows.append({"channel": channel_label(channel.channel), "model": label, "value": round(value, 4)})
    return rows


def chart_spec(
    report: AttributionReport,
    *,
    stage: StageKey = StageKey.SALE,
    metric: str = "conversions",
    title: str = "",
) -> dict[str, Any]:
    """Grouped bars: for each channel, credit by first touch, last touch and the chosen model."""
    rows = _rows(report, stage, metric)
    if not rows:
        return empty_chart(gettext("No sessions or conversions in this range."))
    data = alt.InlineData(values=rows)
    order = [channel_label(c.channel) for c in report.channels]
    chart = (
        alt.Chart(
            data, title=title or f"{gettext(STAGE_LABELS[stage])} · {report.date_from} → {report.date_to}"
        )
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", sort=order, title=None),
            yOffset=alt.YOffset("model:N"),
            x=alt.X("value:Q", title=gettext(METRIC_LABELS[metric]), axis=alt.Axis(tickCount=8, format="~s")),
            color=alt.Color(
                "model:N",
                title=None,
                scale=series_colors(_series(report)),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=[
                alt.Tooltip("channel:N", title=gettext("Channel")),
                alt.Tooltip("model:N", title=gettext("Model")),
                alt.Tooltip("value:Q", title=gettext(METRIC_LABELS[metric]), format=",.2f"),
            ],
        )
        .properties(width="container", height=max(120, 26 * len(order) * 3 // 2))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def report_csv(report: AttributionReport) -> str:
    """One row per channel; per stage: first, last and model conversions and value, and the conversion rate."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["channel", "sessions"]
    for key in StageKey:
        header += [
            f"{key}_first",
            f"{key}_last",
            f"{key}_{report.model.value}",
            f"{key}_value_{report.model.value}",
            f"{key}_rate",
        ]
    writer.writerow(header)
    for row in report.channels:
        line: list[Any] = [row.channel, row.sessions]
        for key in StageKey:
            credit = row.stages[key]
            rate = row.conversion_rate[key]
            line += [
                f"{credit.first:.6g}",
                f"{credit.last:.6g}",
                f"{credit.model:.6g}",
                f"{credit.value_model:.2f}",
                "" if rate is None else f"{rate:.6g}",
            ]
        writer.writerow(line)
    return buffer.getvalue()
