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
from omnicx.overview.service.summary import overview, sections_for, sessions_per_day

__all__ = [
    "METRIC_NAMES",
    "Chart",
    "benchmarks",
    "channels_csv",
    "chart_spec",
    "overview",
    "scorecard",
    "scorecard_chart_spec",
    "scorecard_csv",
    "sections_for",
    "sessions_per_day",
    "set_benchmark",
]
