"""Public face of the journeys domain: funnels and channel usage over the analytics copy, tables and charts."""

from omnicx.journeys.service.charts import frequency_spec, funnel_spec, heatmap_spec, trend_spec
from omnicx.journeys.service.funnels import (
    default_range,
    dropped_customers,
    funnel,
    funnel_csv,
    suggested_events,
)
from omnicx.journeys.service.usage import usage, usage_csv

__all__ = [
    "default_range",
    "dropped_customers",
    "frequency_spec",
    "funnel",
    "funnel_csv",
    "funnel_spec",
    "heatmap_spec",
    "suggested_events",
    "trend_spec",
    "usage",
    "usage_csv",
]
