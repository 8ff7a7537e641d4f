"""The chart of research online, purchase offline (Vega-Lite through Altair): the store purchases each online
channel is credited with, side by side per attribution model."""

from __future__ import annotations

from typing import Any

import altair as alt

from omnicx.attribution import service as attribution_service
from omnicx.commerce.schemas import RopoReport
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.i18n import gettext


def ropo_chart_spec(report: RopoReport) -> dict[str, Any]:
    """One group of bars per online channel (most credited first by the linear model), one bar per model."""
    if not report.channels:
        return empty_chart(gettext("No store purchase was researched online in this range."))
    values = [
        {
            "channel": row.channel,
            "model": gettext(attribution_service.MODEL_LABELS[model]),
            "purchases": row.credit[model],
            "value": row.value[model],
        }
        for row in report.channels
        for model in report.models
    ]
    credited = gettext("Store purchases credited")
    models = [gettext(attribution_service.MODEL_LABELS[m]) for m in report.models]
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", title=None, sort=[row.channel for row in report.channels]),
            yOffset=alt.YOffset("model:N", sort=models),
            x=alt.X("purchases:Q", title=credited),
            color=alt.Color("model:N", title=gettext("Model"), sort=models),
            tooltip=[
                alt.Tooltip("channel:N", title=gettext("Channel")),
                alt.Tooltip("model:N", title=gettext("Model")),
                alt.Tooltip("purchases:Q", title=credited, format=".2f"),
                alt.Tooltip("value:Q", title=gettext("Value credited"), format=",.2f"),
            ],
        )
        .properties(width="container", height=max(140, 9 * len(values)))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
