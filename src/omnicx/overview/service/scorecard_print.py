"""The CX scorecard as a PDF report: the table, the benchmarks and four charts, printed by Chromium.

The document is self-contained (styles inline, charts rendered to SVG on the server by vl-convert), so the
browser that prints it fetches nothing.
"""

from __future__ import annotations

from markupsafe import Markup

from omnicx.kernel.charts import chart_svg
from omnicx.kernel.printing import html_to_pdf
from omnicx.kernel.web.templating import render_document
from omnicx.overview.schemas import Scorecard, ScoreMetric
from omnicx.overview.service.scorecard import METRIC_NAMES, scorecard_chart_spec

M = ScoreMetric
PRINTED_CHARTS = (M.VOLUME, M.CSAT, M.FIRST_RESPONSE, M.REVENUE)
PERCENT = (M.CSAT, M.SLA)
HOURS = (M.FIRST_RESPONSE, M.RESOLUTION)


def scorecard_html(card: Scorecard, *, workspace: str) -> str:
    """The printable document, in the current language."""
    charts = {metric: Markup(chart_svg(scorecard_chart_spec(card, metric))) for metric in PRINTED_CHARTS}  # noqa: S704 (vl-convert's own SVG)
    context = {
        "card": card,
        "workspace": workspace,
        "metrics": list(M),
        "metric_names": METRIC_NAMES,
        "percent_metrics": PERCENT,
        "hour_metrics": HOURS,
        "charts": charts,
    }
    return render_document("overview/scorecard_print.html", context)


def scorecard_pdf(card: Scorecard, *, workspace: str, chromium: str | None = None) -> bytes:
    """The scorecard as PDF bytes (`PrintingUnavailable` without a Chromium to print with)."""
    return html_to_pdf(scorecard_html(card, workspace=workspace), chromium=chromium)
