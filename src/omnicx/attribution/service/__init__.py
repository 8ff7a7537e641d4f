"""Public face of the attribution domain: stage definitions, channel reports, model comparisons, charts, and
the models themselves for other domains' own paths (`Path`, `PathSet`, `run_model`)."""

from omnicx.attribution.engine import Path, PathSet, run_model
from omnicx.attribution.service.charts import MODEL_LABELS, chart_spec, report_csv
from omnicx.attribution.service.reports import (
    compare_models_for_stage,
    daily_conversions,
    default_range,
    report,
)
from omnicx.attribution.service.stages import list_stages, update_stage
from omnicx.kernel.charts import chart_png, chart_svg

__all__ = [
    "MODEL_LABELS",
    "Path",
    "PathSet",
    "chart_png",
    "chart_spec",
    "chart_svg",
    "compare_models_for_stage",
    "daily_conversions",
    "default_range",
    "list_stages",
    "report",
    "report_csv",
    "run_model",
    "update_stage",
]
