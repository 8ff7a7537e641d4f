"""Markov-chain attribution of order 1 to 3, solved exactly as an absorbing chain (no simulation).

The chain
    States are windows of `order` consecutive channels of a path ("a > b" for order 2); consecutive equal
    windows are merged (order 1: "a > a > b" walks a -> b), and a path shorter than the order is one state.
    Each path walks (start) -> its windows -> (conversion) and (null), weighted by its conversions + nulls for
    the inner steps, by its conversions into (conversion) and by its nulls into (null). Row-normalised counts
    are the transition probabilities. This is the chain of ChannelAttribution (Altomare and Loris) and of
    Anderl et al. (2014); with order 1 it is also the one of marketing-attribution-models.

Removal effects
    Removing channel c sends every state that contains c to (null). Then
    RE_c = 1 - P(conversion without c) / P(conversion), computed by solving the visit equations
    (I - Q)^T n = e_start on the states that remain, once per channel: a sparse LU factorisation (SuperLU)
    for chains of up to 3,000 states, GMRES to a checked residual of 1e-13 for larger ones (where LU fill-in
    would cost seconds per channel). No simulation either way. P(conversion) of the full chain equals the
    share of path weight that converted (the counts are a flow), a useful check.

    The chain recombines paths, so unlike the rule-based models it can credit a channel seen only on paths
    that did not convert, when walks through its states can go on to convert elsewhere. A channel none of
    whose states can reach (conversion), e.g. one that only ever ends non-converting paths, gets exactly 0.

Credit
    Conversions: total conversions * RE_c / sum(RE). Value: the same with value removal effects, where the
    chain stays the same but reaching (conversion) from state s pays V_s / C_s (V_s and C_s the value and
    conversions of the paths whose last state is s). The expected payoff of a walk is n . (V / out), and
    removing c gives VRE_c = 1 - E(payoff without c) / E(payoff). This is exactly the quantity that
    ChannelAttribution estimates by simulation (it draws each converting walk's value from the values of the
    paths ending in its last state), so the two agree up to its Monte Carlo noise; credits sum to total value.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import gmres, splu

from omnicx.attribution.engine.pathset import BoolArray, FloatArray, IndexArray, PathSet
from omnicx.attribution.engine.result import (
    AttributionResult,
    MarkovDetails,
    Model,
    TransitionMatrix,
    make_result,
    tally,
)
from omnicx.attribution.errors import AttributionParameterError

ORDERS = (1, 2, 3)
START, CONVERSION, NULL = "(start)", "(conversion)", "(null)"
_PARALLEL_STATES = 500  # below this, a solve takes less than starting threads
_LU_STATES = 3000  # chains up to this size are factorised (SuperLU); larger ones use GMRES
_GMRES_RTOL = 1e-15
_RESIDUAL_LIMIT = 1e-13
_DENSE_STATES = 1 << 24  # code space up to which states are numbered with a lookup table (16 MB of flags)
_DENSE_EDGES = 1 << 22  # (states + 1)^2 up to which edges are summed with one bincount (32 MB)


@dataclass(frozen=True, eq=False)
class _Chain:
    """Row 0 is the start state, rows 1..S the window states.

    `counts` (S+1 x S+1, CSR) holds transitions between them; `to_conversion`, `to_null` and `value_at_end`
    are per-state totals of the paths that end there; `contains[s, c]` tells whether state s holds channel c.
    """

    window_channels: IndexArray
    counts: sp.csr_matrix
    to_conversion: FloatArray
    to_null: FloatArray
    value_at_end: FloatArray
    contains: BoolArray


def markov(paths: PathSet, *, order: int = 1) -> AttributionResult:
    """Exact Markov attribution of the given order (see the module docstring for the model)."""
    if order not in ORDERS:
        raise AttributionParameterError(f"the Markov order must be 1, 2 or 3, not {order}")
    chain = _build_chain(paths, order)
    out = np.asarray(chain.counts.sum(axis=1)).ravel() + chain.to_conversion + chain.to_null
    scale = np.divide(1.0, out, out=np.zeros_like(out), where=out > 0)
    system = (sp.identity(out.size, format="csr") - sp.diags(scale) @ chain.counts).T.tocsr()
    rewards = np.stack([chain.to_conversion * scale, chain.value_at_end * scale], axis=1)
    full = _absorbed(system, rewards, np.ones(out.size, dtype=np.bool_))
    effects = _removal_effects(full, _without_each_channel(chain, system, rewards, full))
    return make_result(
        Model.MARKOV,
        paths.channels,
        _share(effects[:, 0], paths.total_conversions),
        _share(effects[:, 1], paths.total_value),
        total_conversions=paths.total_conversions,
        total_value=paths.total_value,
        removal_effects=effects[:, 0].copy(),
        value_removal_effects=effects[:, 1].copy(),
        markov=MarkovDetails(
            order=order,
            conversion_probability=float(full[0]),
            expected_value=float(full[1]),
            transitions=_transition_matrix(paths, chain, scale),
        ),
    )


def _without_each_channel(
    chain: _Chain, system: sp.csr_matrix, rewards: FloatArray, full: FloatArray
) -> FloatArray:
    """(conversion, value) collected with each channel removed, one row per channel.

    The solves are independent and SuperLU releases the GIL, so big chains use every core.
    """
    converting = _can_convert(chain)

    def without(channel: int) -> FloatArray:
        if (chain.contains[:, channel] & converting).any():
            return _absorbed(system, rewards, _kept(chain, channel))
        return full

    channels = range(chain.contains.shape[1])
    workers = min(os.cpu_count() or 1, len(channels))
    if system.shape[0] < _PARALLEL_STATES or workers < 2:
        rows = [without(channel) for channel in channels]
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            rows = list(pool.map(without, channels))
    return np.array(rows, dtype=np.float64).reshape(len(channels), 2)


def _can_convert(chain: _Chain) -> BoolArray:
    """States from which some walk reaches (conversion). A channel none of whose states can convert has a
    removal effect of exactly 0, with no solve and no rounding."""
    graph = chain.counts[1:, 1:].T.tocsr()  # edges reversed, start state dropped
    reached = np.zeros(graph.shape[0], dtype=np.bool_)
    frontier = np.flatnonzero(chain.to_conversion[1:] > 0)
    reached[frontier] = True
    while frontier.size:
        following = np.unique(graph[frontier].indices)
        frontier = following[~reached[following]]
        reached[frontier] = True
    return reached


def _kept(chain: _Chain, channel: int) -> BoolArray:
    keep = np.ones(chain.contains.shape[0] + 1, dtype=np.bool_)
    keep[1:] = ~chain.contains[:, channel]
    return keep


def _absorbed(system: sp.csr_matrix, rewards: FloatArray, keep: BoolArray) -> FloatArray:
    """Expected (conversion, value) collected from the start state when only `keep` states exist.

    Solves (I - Q)^T n = e_start for the expected visits n, then returns n . rewards.
    """
    index = np.flatnonzero(keep)
    start = np.zeros(index.size)
    start[0] = 1.0
    visits = _solve(system[index][:, index], start)
    result: FloatArray = visits @ rewards[index]
    return result


def _solve(matrix: sp.csr_matrix, rhs: FloatArray) -> FloatArray:
    """Solve matrix @ x = rhs: sparse LU up to `_LU_STATES` states, GMRES to machine precision beyond.

    Windows of 3 channels over 20 or 30 channels make chains of 10^4 states whose LU fills in to tens of
    millions of entries (seconds per channel); GMRES reaches a residual of 1e-15 there in milliseconds, since
    walks are short. Its result is checked and, should it ever fall short, the LU is used after all.
    """
    if matrix.shape[0] <= _LU_STATES:
        solution: FloatArray = splu(matrix.tocsc(), permc_spec="NATURAL").solve(rhs)
        return solution
    guess, _ = gmres(matrix, rhs, rtol=_GMRES_RTOL, atol=0.0, restart=50, maxiter=200)
    if np.abs(matrix @ guess - rhs).max() <= _RESIDUAL_LIMIT:
        return np.asarray(guess, dtype=np.float64)
    fallback: FloatArray = splu(matrix.tocsc(), permc_spec="NATURAL").solve(rhs)
    return fallback


def _removal_effects(full: FloatArray, removed: FloatArray) -> FloatArray:
    """1 - removed / full per channel and per measure, 0 where nothing converts; clipped to [0, 1] against
    rounding (removing states can only lose probability)."""
    ratio = np.divide(removed, full, out=np.ones_like(removed), where=full > 0)
    return np.clip(1.0 - ratio, 0.0, 1.0)


def _share(effects: FloatArray, total: float) -> FloatArray:
    weight = effects.sum()
    return effects * (total / weight) if weight > 0 else np.zeros_like(effects)


def _build_chain(paths: PathSet, order: int) -> _Chain:
    weight = paths.conversions + paths.nulls
    codes, owner = _windows(paths, order, weight > 0)
    base = paths.n_channels + 1
    state_codes, state = _number_states(codes, base**order)
    n_states = state_codes.size + 1
    first = np.ones(codes.size, dtype=np.bool_)
    first[1:] = owner[1:] != owner[:-1]
    last = np.ones(codes.size, dtype=np.bool_)
    last[:-1] = first[1:]
    previous = np.empty_like(state)
    previous[1:] = state[:-1]
    previous[first] = 0
    counts = _aggregate(previous, state, weight[owner], n_states)
    ends, enders = state[last], owner[last]
    window_channels = _digits(state_codes, base, order) - 1
    contains = np.zeros((state_codes.size, paths.n_channels), dtype=np.bool_)
    for column in window_channels.T:
        present = column >= 0
        contains[np.flatnonzero(present), column[present]] = True
    return _Chain(
        window_channels=window_channels,
        counts=counts,
        to_conversion=tally(ends, paths.conversions[enders], n_states),
        to_null=tally(ends, paths.nulls[enders], n_states),
        value_at_end=tally(ends, paths.value[enders], n_states),
        contains=contains,
    )


def _windows(paths: PathSet, order: int, active: BoolArray) -> tuple[IndexArray, IndexArray]:
    """One code per kept window, in path order, and the path it belongs to.

    A window starting at touch t codes its channels as base-(C+1) digits (digit 0 = past the path's end, so
    short paths give distinct codes); windows equal to their predecessor in the same path are dropped.
    """
    owner_of_touch = paths.path_of_touch
    if order == 1:
        starts = np.flatnonzero(active[owner_of_touch]) if not active.all() else None
        codes = paths.touches.astype(np.int64) + 1
        owner = owner_of_touch.astype(np.int64)
        if starts is not None:
            codes, owner = codes[starts], owner[starts]
    else:
        lengths = paths.lengths[owner_of_touch]
        position = paths.position
        valid = (position <= np.maximum(lengths - order, 0)) & active[owner_of_touch]
        starts = np.flatnonzero(valid)
        padded = np.concatenate((paths.touches.astype(np.int64) + 1, np.zeros(order, dtype=np.int64)))
        codes = np.zeros(starts.size, dtype=np.int64)
        remaining = (lengths - position)[starts]
        for step in range(order):
            digit = np.where(step < remaining, padded[starts + step], 0)
            codes = codes * (paths.n_channels + 1) + digit
        owner = owner_of_touch[starts].astype(np.int64)
    keep = np.ones(codes.size, dtype=np.bool_)
    keep[1:] = (codes[1:] != codes[:-1]) | (owner[1:] != owner[:-1])
    return codes[keep], owner[keep]


def _number_states(codes: IndexArray, space: int) -> tuple[IndexArray, IndexArray]:
    """Distinct codes sorted, and for each window its state id (1-based: 0 is the start state)."""
    if space <= _DENSE_STATES:
        present = np.zeros(space, dtype=np.bool_)
        present[codes] = True
        dense = np.cumsum(present, dtype=np.int64)
        return np.flatnonzero(present), dense[codes]
    state_codes, inverse = np.unique(codes, return_inverse=True)
    return state_codes, inverse.astype(np.int64) + 1


def _aggregate(sources: IndexArray, targets: IndexArray, weights: FloatArray, size: int) -> sp.csr_matrix:
    """Sum weights per (source, target): one bincount when the square fits, a sparse sum otherwise."""
    if size * size <= _DENSE_EDGES:
        dense = np.bincount(sources * size + targets, weights=weights, minlength=size * size)
        return sp.csr_matrix(dense.reshape(size, size))
    matrix = sp.coo_matrix((weights, (sources, targets)), shape=(size, size)).tocsr()
    matrix.sum_duplicates()
    return matrix


def _digits(codes: IndexArray, base: int, order: int) -> IndexArray:
    """Base-`base` digits of each code, most significant first: the 1-based channel ids of each window."""
    digits = np.empty((codes.size, order), dtype=np.int64)
    rest = codes.copy()
    for step in range(order - 1, -1, -1):
        digits[:, step] = rest % base
        rest //= base
    return digits


def _transition_matrix(paths: PathSet, chain: _Chain, scale: FloatArray) -> TransitionMatrix:
    windows = [tuple(paths.channels[c] for c in row if c >= 0) for row in chain.window_channels.tolist()]
    states = (START, *(" > ".join(w) for w in windows), CONVERSION, NULL)
    transient = sp.diags(scale) @ chain.counts
    exits = sp.csr_matrix(np.stack([chain.to_conversion * scale, chain.to_null * scale], axis=1))
    absorbing = sp.csr_matrix(
        (np.ones(2), ([0, 1], [transient.shape[0], transient.shape[0] + 1])), shape=(2, len(states))
    )
    matrix = sp.vstack([sp.hstack([transient, exits]), absorbing]).tocsr()
    matrix.eliminate_zeros()
    return TransitionMatrix(states=states, state_channels=((), *windows, (), ()), matrix=matrix)
