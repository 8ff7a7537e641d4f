"""Run one model by name, or several side by side, with one set of parameters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from omnicx.attribution.engine.heuristics import (
    DEFAULT_DIRECT,
    DEFAULT_HALF_LIFE_DAYS,
    DEFAULT_POSITION_WEIGHTS,
    first_touch,
    last_non_direct_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
)
from omnicx.attribution.engine.markov import markov
from omnicx.attribution.engine.pathset import PathSet
from omnicx.attribution.engine.result import AttributionResult, Model, ModelComparison
from omnicx.attribution.engine.shapley import shapley


@dataclass(frozen=True, slots=True)
class ModelOptions:
    """Parameters of the models that have any; each model reads only its own."""

    order: int = 1
    direct: str = DEFAULT_DIRECT
    position_first: float = DEFAULT_POSITION_WEIGHTS[0]
    position_last: float = DEFAULT_POSITION_WEIGHTS[1]
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS


def run_model(paths: PathSet, model: Model, *, options: ModelOptions | None = None) -> AttributionResult:
    """The result of `model` on `paths` (the single entry point the CLI and reports use)."""
    opts = options or ModelOptions()
    match model:
        case Model.FIRST:
            return first_touch(paths)
        case Model.LAST:
            return last_touch(paths)
        case Model.LAST_NON_DIRECT:
            return last_non_direct_touch(paths, direct=opts.direct)
        case Model.LINEAR:
            return linear(paths)
        case Model.POSITION:
            return position_based(paths, first=opts.position_first, last=opts.position_last)
        case Model.TIME_DECAY:
            return time_decay(paths, half_life_days=opts.half_life_days)
        case Model.MARKOV:
            return markov(paths, order=opts.order)
        case Model.SHAPLEY:
            return shapley(paths)


def compare_models(
    paths: PathSet, *, models: Sequence[Model] = tuple(Model), options: ModelOptions | None = None
) -> ModelComparison:
    """Every requested model on the same paths; `table()` on the result gives channel -> model -> credit."""
    results = {model: run_model(paths, model, options=options) for model in dict.fromkeys(models)}
    return ModelComparison(channels=paths.channels, results=results)
