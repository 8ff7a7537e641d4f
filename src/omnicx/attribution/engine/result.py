"""What every model returns: credit per channel in conversions and in value, plus model-specific detail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from omnicx.attribution.engine.pathset import FloatArray


class Model(StrEnum):
    """Attribution models, by the name used on the command line and in JSON."""

    FIRST = "first"
    LAST = "last"
    LAST_NON_DIRECT = "last-non-direct"
    LINEAR = "linear"
    POSITION = "position"
    TIME_DECAY = "time-decay"
    MARKOV = "markov"
    SHAPLEY = "shapley"


@dataclass(frozen=True, slots=True)
class ChannelCredit:
    """One channel's share under one model; removal effects exist for Markov only."""

    channel: str
    conversions: float
    value: float
    removal_effect: float | None = None
    value_removal_effect: float | None = None


@dataclass(frozen=True, eq=False)
class TransitionMatrix:
    """The absorbing chain of a Markov model.

    `states[0]` is ``(start)``, the last two are ``(conversion)`` and ``(null)``; the others are windows of
    channels (`state_channels[i]` the channels of `states[i]`, empty for the three special states). `matrix`
    is a SciPy CSR matrix of probabilities whose rows sum to 1 (conversion and null loop on themselves).
    """

    states: tuple[str, ...]
    state_channels: tuple[tuple[str, ...], ...]
    matrix: Any

    def edges(self) -> Iterator[tuple[str, str, float]]:
        """Every non-zero transition as (from, to, probability), row by row."""
        coo = self.matrix.tocoo()
        for i, j, p in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True):
            yield self.states[i], self.states[j], float(p)


@dataclass(frozen=True, eq=False)
class MarkovDetails:
    """Detail of an exact Markov model: order, P(conversion) from the start state, expected value per path
    and the chain itself."""

    order: int
    conversion_probability: float
    expected_value: float
    transitions: TransitionMatrix


@dataclass(frozen=True, eq=False)
class AttributionResult:
    """Credit per channel (arrays aligned with `channels`) and the totals they distribute.

    Every model credits exactly the total conversions and total value of its paths (up to rounding), so
    `conversions.sum() == total_conversions` is an invariant, not a coincidence.
    """

    model: Model
    channels: tuple[str, ...]
    conversions: FloatArray
    value: FloatArray
    total_conversions: float
    total_value: float
    removal_effects: FloatArray | None = None
    value_removal_effects: FloatArray | None = None
    markov: MarkovDetails | None = None

    @cached_property
    def _index(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.channels)}

    def credits(self) -> tuple[ChannelCredit, ...]:
        """One `ChannelCredit` per channel, in channel order."""
        return tuple(self.credit(name) for name in self.channels)

    def credit(self, channel: str) -> ChannelCredit:
        """The credit of one channel (KeyError if the channel is not in the paths)."""
        i = self._index[channel]
        return ChannelCredit(
            channel=channel,
            conversions=float(self.conversions[i]),
            value=float(self.value[i]),
            removal_effect=_at(self.removal_effects, i),
            value_removal_effect=_at(self.value_removal_effects, i),
        )

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"model", "channels": {name: {"conversions", "value", "removal_effect"?,
        "value_removal_effect"?}}, "totals": {"conversions", "value"}}`` plus ``"markov"`` detail
        (order, conversion_probability, expected_value) for the Markov model."""
        channels: dict[str, dict[str, float]] = {}
        for credit in self.credits():
            entry = {"conversions": credit.conversions, "value": credit.value}
            if credit.removal_effect is not None:
                entry["removal_effect"] = credit.removal_effect
            if credit.value_removal_effect is not None:
                entry["value_removal_effect"] = credit.value_removal_effect
            channels[credit.channel] = entry
        out: dict[str, Any] = {
            "model": str(self.model),
            "channels": channels,
            "totals": {"conversions": self.total_conversions, "value": self.total_value},
        }
        if self.markov is not None:
            out["markov"] = {
                "order": self.markov.order,
                "conversion_probability": self.markov.conversion_probability,
                "expected_value": self.markov.expected_value,
            }
        return out


@dataclass(frozen=True, eq=False)
class ModelComparison:
    """Several models on the same paths, side by side (`results` keeps the order the models were asked in)."""

    channels: tuple[str, ...]
    results: dict[Model, AttributionResult]

    def table(self) -> dict[str, dict[Model, ChannelCredit]]:
        """channel -> model -> credit, the shape of a side-by-side report."""
        return {
            name: {model: result.credit(name) for model, result in self.results.items()}
            for name in self.channels
        }

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """JSON-ready: model name -> `AttributionResult.as_dict()`."""
        return {str(model): result.as_dict() for model, result in self.results.items()}


def tally(ids: npt.NDArray[np.integer[Any]], weights: FloatArray, size: int) -> FloatArray:
    """Sum of `weights` per id in 0..size-1 (a weighted `bincount`, typed as float)."""
    return np.bincount(ids, weights=weights, minlength=size).astype(np.float64, copy=False)


def _at(array: FloatArray | None, i: int) -> float | None:
    return None if array is None else float(array[i])


def frozen(array: FloatArray) -> FloatArray:
    """Results are values: freeze their arrays."""
    array.flags.writeable = False
    return array


def make_result(
    model: Model,
    channels: tuple[str, ...],
    conversions: FloatArray,
    value: FloatArray,
    *,
    total_conversions: float,
    total_value: float,
    removal_effects: FloatArray | None = None,
    value_removal_effects: FloatArray | None = None,
    markov: MarkovDetails | None = None,
) -> AttributionResult:
    """Build a result with frozen float64 arrays (helper shared by the model modules)."""
    return AttributionResult(
        model=model,
        channels=channels,
        conversions=frozen(np.asarray(conversions, dtype=np.float64)),
        value=frozen(np.asarray(value, dtype=np.float64)),
        total_conversions=total_conversions,
        total_value=total_value,
        removal_effects=None if removal_effects is None else frozen(removal_effects),
        value_removal_effects=None if value_removal_effects is None else frozen(value_removal_effects),
        markov=markov,
    )
