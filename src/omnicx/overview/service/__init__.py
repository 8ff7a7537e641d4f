"""Public face of the Overview: its numbers for a range, its charts and its CSV export, and the CX scorecard."""

from omnicx.overview.service.charts import Chart, channels_csv, chart_spec
from omnicx.overview.service.scorecard import (
    METRIC_NAMES,
    benchmarks,
    scorecard,
    scorecard_chart_spec,
    scorecard_csv,
    set_benchmark,
)
from omnicx.overview.service.scorecard_print import HOURS as HOUR_METRICS
from omnicx.overview.service.scorecard_print import PERCENT as PERCENT_METRICS
from omnicx.overview.service.scorecard_print import scorecard_html, scorecard_pdf
from omnicx.overview.service.summary import overview, sections_for, sessions_per_day

__all__ = [
    "HOUR_METRICS",
    "METRIC_NAMES",
    "PERCENT_METRICS",
    "Chart",
    "benchmarks",
    "channels_csv",
    "chart_spec",
    "overview",
    "scorecard",
    "scorecard_chart_spec",
    "scorecard_csv",
    "scorecard_html",
    "scorecard_pdf",
    "sections_for",
    "sessions_per_day",
    "set_benchmark",
]
