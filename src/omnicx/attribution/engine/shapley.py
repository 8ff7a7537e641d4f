"""Shapley-value attribution in closed form.

The game: a coalition S of channels is worth the conversions (or value) of the paths whose distinct channels
all lie in S. That worth is a sum, over paths, of unanimity games (a path pays only when all its channels are
present), and the Shapley value of a unanimity game splits its payoff equally among its members. So the exact
Shapley value gives each converting path's conversions and value in equal parts to its distinct channels: no
sampling, no coalition enumeration, never negative, and linear in the number of touches.
"""

from __future__ import annotations

import numpy as np

from omnicx.attribution.engine.pathset import BoolArray, FloatArray, PathSet
from omnicx.attribution.engine.result import AttributionResult, Model, make_result, tally

_BITS = 64


def shapley(paths: PathSet) -> AttributionResult:
    """Each path's conversions and value split equally among its distinct channels ("a > a > b": halves)."""
    if len(paths) == 0:
        empty = np.zeros(paths.n_channels)
        credits = [empty, empty]
    elif paths.n_channels <= _BITS:
        credits = _by_bitmask(paths)
    else:
        credits = _by_sort(paths)
    return make_result(
        Model.SHAPLEY,
        paths.channels,
        credits[0],
        credits[1],
        total_conversions=paths.total_conversions,
        total_value=paths.total_value,
    )


def _by_bitmask(paths: PathSet) -> list[FloatArray]:
    """One OR-reduction of channel bits per path gives its distinct channels; then one pass per channel."""
    bits = np.left_shift(np.uint64(1), paths.touches.astype(np.uint64))
    masks = np.bitwise_or.reduceat(bits, paths.offsets[:-1])
    holds: list[BoolArray] = [(masks & np.uint64(1 << c)) != 0 for c in range(paths.n_channels)]
    distinct = np.sum(holds, axis=0, dtype=np.float64)
    amounts = [paths.conversions / distinct, paths.value / distinct]
    return [np.array([amount[held].sum() for held in holds], dtype=np.float64) for amount in amounts]


def _by_sort(paths: PathSet) -> list[FloatArray]:
    """Distinct (path, channel) pairs by sorting path * C + channel, for more channels than bits in a word."""
    keys = np.unique(paths.path_of_touch.astype(np.int64) * paths.n_channels + paths.touches)
    owners, channels = keys // paths.n_channels, keys % paths.n_channels
    distinct = np.bincount(owners, minlength=len(paths)).astype(np.float64)
    return [
        tally(channels, (amount / distinct)[owners], paths.n_channels)
        for amount in (paths.conversions, paths.value)
    ]
