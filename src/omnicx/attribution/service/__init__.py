"""Public face of the attribution domain: stage definitions, channel reports, model comparisons, charts."""

from omnicx.attribution.service.charts import chart_spec, report_csv
from omnicx.attribution.service.reports import (
    compare_models_for_stage,
    daily_conversions,
    default_range,
    report,
)
from omnicx.attribution.service.stages import list_stages, update_stage
from omnicx.kernel.charts import chart_png, chart_svg

__all__ = [
    "chart_png",
    "chart_spec",
    "chart_svg",
    "compare_models_for_stage",
    "daily_conversions",
    "default_range",
    "list_stages",
    "report",
    "report_csv",
    "update_stage",
]
