"""What report routes send back besides JSON: a CSV attachment, a chart as its spec or rendered on the server.

Every report (Overview, attribution, inbox, sales) offers the same three: one way to name the file, one media
type per chart format, documented alike in the OpenAPI schema.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import Response

from omnicx.kernel.charts import chart_png, chart_svg

ChartFormat = Literal["json", "png", "svg"]
CHART_MEDIA: dict[str, str] = {"json": "application/json", "png": "image/png", "svg": "image/svg+xml"}
#: `responses=` for a chart route and a CSV route, so the OpenAPI schema names what comes back.
CHART_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {media: {} for media in CHART_MEDIA.values()}}
}
CSV_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"content": {"text/csv": {}}}}


def csv_attachment(text: str, filename: str) -> Response:
    """`text` as a CSV file the browser saves under `filename`."""
    return Response(
        text, media_type="text/csv", headers={"content-disposition": f'attachment; filename="{filename}"'}
    )


def chart_response(spec: dict[str, Any], fmt: ChartFormat) -> Response:
    """A Vega-Lite chart as its spec (json) or rendered on the server (png, svg)."""
    body: bytes | str = (
        json.dumps(spec) if fmt == "json" else (chart_png(spec) if fmt == "png" else chart_svg(spec))
    )
    return Response(body, media_type=CHART_MEDIA[fmt])
