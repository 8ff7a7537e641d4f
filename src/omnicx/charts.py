"""Chart exports shared by every report: Vega-Lite specs rendered to PNG or SVG on the server by vl-convert
(no browser, no network)."""

from __future__ import annotations

from typing import Any

import vl_convert as vlc

#: Exported images have no page around them to size a "container" width: they get this one.
EXPORT_WIDTH = 720


def _static(spec: dict[str, Any]) -> dict[str, Any]:
    return {**spec, "width": EXPORT_WIDTH}


def chart_png(spec: dict[str, Any]) -> bytes:
    png: bytes = vlc.vegalite_to_png(_static(spec), scale=2)
    return png


def chart_svg(spec: dict[str, Any]) -> str:
    svg: str = vlc.vegalite_to_svg(_static(spec))
    return svg
