"""Shared by every report's charts: the "nothing to show" chart, and exports of Vega-Lite specs rendered to PNG
or SVG on the server by vl-convert (no browser, no network)."""

from __future__ import annotations

from typing import Any

import altair as alt
import vl_convert as vlc

#: Exported images have no page around them to size a "container" width: they get this one.
EXPORT_WIDTH = 720


def empty_chart(message: str) -> dict[str, Any]:
    """A chart that says there is nothing to show (an empty bar chart has no size and cannot be rendered)."""
    chart = (
        alt.Chart(alt.InlineData(values=[{"message": message}]))
        .mark_text(size=14)
        .encode(text="message:N")
        .properties(width="container", height=80)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def _static(spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "width": EXPORT_WIDTH}


def chart_png(spec: dict[str, Any]) -> bytes:
    png: bytes = vlc.vegalite_to_png(_static(spec), scale=2)
    return png


def chart_svg(spec: dict[str, Any]) -> str:
    svg: str = vlc.vegalite_to_svg(_static(spec))
    return svg
