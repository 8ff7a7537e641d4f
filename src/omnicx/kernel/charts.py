"""Shared by every report's charts: the "nothing to show" chart, and exports of Vega-Lite specs rendered to PNG
or SVG on the server by vl-convert (no browser, no network)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import altair as alt
import vl_convert as vlc

from omnicx.kernel.i18n import current_language
from omnicx.kernel.i18n.formats import chart_locale

#: Exported images have no page around them to size a "container" width: they get this one.
EXPORT_WIDTH = 720

#: Series colours (Vega's "tableau10", its default for categories), handed out in order of the series' keys.
PALETTE = (
    "#4c78a8",
    "#f58518",
    "#e45756",
    "#72b7b2",
    "#54a24b",
    "#eeca3b",
    "#b279a2",
    "#ff9da6",
    "#9d755d",
    "#bab0ac",
)


def series_colors(labels: Mapping[str, str]) -> alt.Scale:
    """A colour scale that gives each series the same colour in every language: `labels` maps each series'
    key (stable: "first", "last", "model") to the label the chart shows (translated). Left to itself Vega
    sorts a legend by label, so "Last touch" and "First touch" swapped colours in French ("Dernier contact"
    before "Premier contact"); here the domain follows the keys, and the colours follow the domain. Two keys
    shown under one label (the chosen model is first touch itself) share the first one's colour."""
    domain = list(dict.fromkeys(labels[key] for key in sorted(labels)))
    return alt.Scale(domain=domain, range=[PALETTE[i % len(PALETTE)] for i in range(len(domain))])


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
    """The spec as an exported image draws it: a fixed width, and none of Vega's generated descriptions of axes,
    legends and marks (English sentences, whatever the reader's language)."""
    return {**spec, "width": EXPORT_WIDTH, "config": {**spec.get("config", {}), "aria": False}}


def _locale() -> dict[str, Any]:
    """The request's language as the d3 locales vl-convert formats axes with (as the page's charts do)."""
    locale = chart_locale(current_language())
    return {"format_locale": locale["number"], "time_format_locale": locale["time"]}


def chart_png(spec: dict[str, Any]) -> bytes:
    png: bytes = vlc.vegalite_to_png(_static(spec), scale=2, **_locale())
    return png


def chart_svg(spec: dict[str, Any]) -> str:
    svg: str = vlc.vegalite_to_svg(_static(spec), **_locale())
    return svg
