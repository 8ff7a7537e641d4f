"""Public face of the journeys domain: funnels over the analytics copy, their table and chart."""

from omnicx.journeys.service.charts import funnel_spec, trend_spec
from omnicx.journeys.service.funnels import (
    default_range,
    dropped_customers,
    funnel,
    funnel_csv,
    suggested_events,
)

__all__ = [
    "default_range",
    "dropped_customers",
    "funnel",
    "funnel_csv",
    "funnel_spec",
    "suggested_events",
    "trend_spec",
]
