"""Rule-based models: each path's conversions and value are split among its touches by a fixed rule.

All of them are one weighted pass over the touches (or over one chosen touch per path), so they run in time
linear in the number of touches with no Python loop per path. Repeated channels in a path count once per
touch (linear "a > a > b" gives a two thirds).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp

from omnicx.attribution.engine.pathset import FloatArray, IntArray, PathSet
from omnicx.attribution.engine.result import AttributionResult, Model, make_result, tally
from omnicx.attribution.errors import AttributionParameterError

DEFAULT_DIRECT = "direct"
DEFAULT_POSITION_WEIGHTS = (0.4, 0.4)
DEFAULT_HALF_LIFE_DAYS = 7.0


def first_touch(paths: PathSet) -> AttributionResult:
    """All credit to the first channel of each path."""
    return _credit_one_touch(paths, Model.FIRST, paths.first_touch)


def last_touch(paths: PathSet) -> AttributionResult:
    """All credit to the last channel of each path."""
    return _credit_one_touch(paths, Model.LAST, paths.last_touch)


def last_non_direct_touch(paths: PathSet, *, direct: str = DEFAULT_DIRECT) -> AttributionResult:
    """All credit to the last channel that is not `direct`; a path made only of direct touches credits direct.

    Direct visits usually mean the customer already knew where to go, so the campaign that brought them is
    the better answer. `direct` is matched case-insensitively ("Direct" and "DIRECT" are the same channel).
    """
    direct_ids = paths.channel_ids([direct], casefold=True)
    if direct_ids.size == 0 or len(paths) == 0:
        return _credit_one_touch(paths, Model.LAST_NON_DIRECT, paths.last_touch)
    is_direct = np.zeros(paths.n_channels, dtype=np.bool_)
    is_direct[direct_ids] = True
    index = np.arange(paths.touches.size, dtype=np.int64)
    candidates = np.where(is_direct[paths.touches], -1, index)
    last_other = np.maximum.reduceat(candidates, paths.offsets[:-1])
    chosen = np.where(last_other >= 0, last_other, paths.offsets[1:] - 1)
    return _credit_one_touch(paths, Model.LAST_NON_DIRECT, paths.touches[chosen])


def linear(paths: PathSet) -> AttributionResult:
    """Equal credit to every touch of a path."""
    share = 1.0 / paths.lengths
    return _credit_touches(paths, Model.LINEAR, path_share=share)


def position_based(
    paths: PathSet, *, first: float = DEFAULT_POSITION_WEIGHTS[0], last: float = DEFAULT_POSITION_WEIGHTS[1]
) -> AttributionResult:
    """`first` to the first touch, `last` to the last, the rest shared by the touches in between (40/20/40).

    A one-touch path gives its touch everything. A two-touch path has no middle, so the middle share is split
    between its two touches in proportion to `first` and `last` (50/50 by default; equal if both are 0).
    """
    _check_position_weights(first, last)
    lengths = paths.lengths
    middle = np.where(lengths > 2, (1.0 - first - last) / np.maximum(lengths - 2, 1), 0.0)
    share = np.repeat(middle, lengths)
    ends = first + last
    two_first, two_last = (first / ends, last / ends) if ends > 0 else (0.5, 0.5)
    share[paths.offsets[1:] - 1] = np.where(lengths == 2, two_last, last)
    share[paths.offsets[:-1]] = np.where(lengths == 1, 1.0, np.where(lengths == 2, two_first, first))
    return _credit_touches(paths, Model.POSITION, touch_share=share)


def time_decay(paths: PathSet, *, half_life_days: float = DEFAULT_HALF_LIFE_DAYS) -> AttributionResult:
    """Weight each touch by 2^(-age / half-life), age being the days from the touch to the conversion.

    Recent touches pushed the customer over the line, older ones matter less. Paths without times use
    positions: the k-th touch before the last is taken to be k days old (the last touch is 0 days old), so
    with the default half-life of 7 days each step back weighs 2^(-1/7) ~ 0.906 of the next one. Weights are
    normalised within each path; the youngest touch's age is subtracted first so that very old paths do not
    underflow to zero weight.
    """
    if not (math.isfinite(half_life_days) and half_life_days > 0):
        raise AttributionParameterError(
            f"the half-life must be a positive number of days, not {half_life_days}"
        )
    if len(paths) == 0:
        return _credit_touches(paths, Model.TIME_DECAY)
    ages = paths.touch_ages
    if ages is None:
        ages = ((paths.lengths - 1)[paths.path_of_touch] - paths.position).astype(np.float64)
    starts = paths.offsets[:-1]
    youngest = np.minimum.reduceat(ages, starts)
    weight = np.exp2(-(ages - youngest[paths.path_of_touch]) / half_life_days)
    total = np.add.reduceat(weight, starts)
    return _credit_touches(paths, Model.TIME_DECAY, touch_share=weight, path_share=1.0 / total)


def _check_position_weights(first: float, last: float) -> None:
    weights_ok = all(math.isfinite(w) and 0 <= w <= 1 for w in (first, last)) and first + last <= 1
    if not weights_ok:
        raise AttributionParameterError(
            f"position weights must be in [0, 1] and sum to at most 1, not first={first}, last={last}"
        )


def _credit_one_touch(paths: PathSet, model: Model, channel_of_path: IntArray) -> AttributionResult:
    n = paths.n_channels
    return make_result(
        model,
        paths.channels,
        tally(channel_of_path, paths.conversions, n),
        tally(channel_of_path, paths.value, n),
        total_conversions=paths.total_conversions,
        total_value=paths.total_value,
    )


def _credit_touches(
    paths: PathSet,
    model: Model,
    *,
    touch_share: FloatArray | None = None,
    path_share: FloatArray | None = None,
) -> AttributionResult:
    """Credit each touch `touch_share[t] * path_share[path(t)]` of its path's conversions and value.

    The touches already are a CSR matrix (rows = paths, columns = channels, row pointers = offsets), so the
    credit is one sparse product with the (paths x 2) matrix of conversions and value, both measures in a
    single pass over the touches.
    """
    shares = np.ones(paths.touches.size) if touch_share is None else touch_share
    incidence = sp.csr_matrix((shares, paths.touches, paths.offsets), shape=(len(paths), paths.n_channels))
    amounts = np.stack([paths.conversions, paths.value], axis=1)
    if path_share is not None:
        amounts *= path_share[:, np.newaxis]
    credit: FloatArray = np.asarray(incidence.T @ amounts, dtype=np.float64)
    return make_result(
        model,
        paths.channels,
        credit[:, 0],
        credit[:, 1],
        total_conversions=paths.total_conversions,
        total_value=paths.total_value,
    )
