"""Public face of the journeys domain: funnels, paths, the journey map, channel usage and channel overlap over
the analytics copy, tables and charts."""

from omnicx.journeys.service.charts import (
    combinations_spec,
    duration_spec,
    frequency_spec,
    funnel_spec,
    heatmap_spec,
    main_currency,
    returns_spec,
    spend_spec,
    stages_spec,
    switching_spec,
    trend_spec,
)
from omnicx.journeys.service.funnels import (
    default_range,
    dropped_customers,
    funnel,
    funnel_csv,
    funnel_statement,
    suggested_events,
)
from omnicx.journeys.service.journey_map import (
    journey_customers,
    journey_map,
    journey_map_csv,
    journey_statement,
)
from omnicx.journeys.service.map_settings import (
    default_map,
    get_journey_map,
    reset_journey_map,
    save_journey_map,
)
from omnicx.journeys.service.overlap import overlap, overlap_csv, overlap_statements
from omnicx.journeys.service.path_charts import paths_spec
from omnicx.journeys.service.paths import path_statement, paths, paths_csv
from omnicx.journeys.service.saved import (
    delete_saved_funnel,
    get_saved_funnel,
    list_saved_funnels,
    save_funnel,
)
from omnicx.journeys.service.usage import usage, usage_csv

__all__ = [
    "combinations_spec",
    "default_map",
    "default_range",
    "delete_saved_funnel",
    "dropped_customers",
    "duration_spec",
    "frequency_spec",
    "funnel",
    "funnel_csv",
    "funnel_spec",
    "funnel_statement",
    "get_journey_map",
    "get_saved_funnel",
    "heatmap_spec",
    "journey_customers",
    "journey_map",
    "journey_map_csv",
    "journey_statement",
    "list_saved_funnels",
    "main_currency",
    "overlap",
    "overlap_csv",
    "overlap_statements",
    "path_statement",
    "paths",
    "paths_csv",
    "paths_spec",
    "reset_journey_map",
    "returns_spec",
    "save_funnel",
    "save_journey_map",
    "spend_spec",
    "stages_spec",
    "suggested_events",
    "switching_spec",
    "trend_spec",
    "usage",
    "usage_csv",
]
