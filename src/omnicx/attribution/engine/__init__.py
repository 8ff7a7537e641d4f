"""Attribution models as pure functions on paths: no database, no I/O, numpy and SciPy only.

Build a `PathSet` once (`from_strings`, `from_arrays`, `from_paths`), then call any model on it:

    paths = PathSet.from_strings(["email > search", "search"], conversions=[1, 2], nulls=[3, 0])
    markov(paths, order=2).credit("email").conversions

Every model returns an `AttributionResult` whose conversion and value credits sum to the totals of the paths.
`compare_models` runs several side by side.
"""

from omnicx.attribution.engine.compare import ModelOptions, compare_models, run_model
from omnicx.attribution.engine.heuristics import (
    first_touch,
    last_non_direct_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from omnicx.attribution.engine.markov import ORDERS, markov
from omnicx.attribution.engine.pathset import Path, PathSet
from omnicx.attribution.engine.result import (
    AttributionResult,
    ChannelCredit,
    MarkovDetails,
    Model,
    ModelComparison,
    TransitionMatrix,
)
from omnicx.attribution.engine.shapley import shapley

__all__ = [
    "ORDERS",
    "AttributionResult",
    "ChannelCredit",
    "MarkovDetails",
    "Model",
    "ModelComparison",
    "ModelOptions",
    "Path",
    "PathSet",
    "TransitionMatrix",
    "compare_models",
    "first_touch",
    "last_non_direct_touch",
    "last_touch",
    "linear",
    "markov",
    "position_based",
    "run_model",
    "shapley",
    "time_decay",
]
