"""Public face of the Overview: its numbers for a range, its charts and its CSV export."""

from omnicx.overview.service.charts import Chart, channels_csv, chart_spec
from omnicx.overview.service.summary import overview, sections_for, sessions_per_day

__all__ = ["Chart", "channels_csv", "chart_spec", "overview", "sections_for", "sessions_per_day"]
