"""Properties every model must have, on random path sets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicx.attribution.engine import (
    AttributionResult,
    Model,
    ModelOptions,
    Path,
    PathSet,
    markov,
    run_model,
)

CHANNELS = ("a", "b", "c", "d", "e", "direct")
HEURISTICS = tuple(m for m in Model if m is not Model.MARKOV)
ORDERS = (1, 2, 3)
Row = tuple[tuple[str, ...], float, float, float]


@st.composite
def rows(draw: st.DrawFn, min_size: int = 1, max_size: int = 14) -> list[Row]:
    """(channels, conversions, value, nulls); value only where there are conversions, counts may be fractional."""
    out = []
    for _ in range(draw(st.integers(min_size, max_size))):
        channels = tuple(draw(st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=6)))
        conversions = draw(st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.0, 0.5, 7.25]))
        nulls = draw(st.sampled_from([0.0, 1.0, 4.0, 2.5]))
        value = draw(st.floats(0.0, 500.0)) if conversions else 0.0
        out.append((channels, conversions, value, nulls))
    return out


def build(data: list[Row]) -> PathSet:
    return PathSet.from_paths(Path(channels, c, v, n) for channels, c, v, n in data)


def every_result(paths: PathSet) -> list[AttributionResult]:
    results = [run_model(paths, model) for model in HEURISTICS]
    return results + [markov(paths, order=order) for order in ORDERS]


def by_name(result: AttributionResult, measure: str = "conversions") -> dict[str, float]:
    return dict(zip(result.channels, getattr(result, measure).tolist(), strict=True))


@settings(max_examples=60, deadline=None)
@given(rows())
def test_credits_add_up_to_total_conversions_and_value_and_are_never_negative(data: list[Row]) -> None:
    paths = build(data)

    for result in every_result(paths):
        assert result.conversions.sum() == pytest.approx(paths.total_conversions, rel=1e-9, abs=1e-9)
        assert result.value.sum() == pytest.approx(paths.total_value, rel=1e-9, abs=1e-9)
        assert (result.conversions >= -1e-12).all()
        assert (result.value >= -1e-12).all()


@settings(max_examples=40, deadline=None)
@given(rows(), st.permutations(CHANNELS[:-1]))
def test_renaming_channels_renames_the_credit(data: list[Row], new_names: list[str]) -> None:
    """Names are shuffled (so sorted order changes too); "direct" keeps its name, which last-non-direct reads."""
    rename = dict(zip(CHANNELS[:-1], (f"x{n}" for n in new_names), strict=True)) | {"direct": "direct"}
    renamed = [(tuple(rename[c] for c in channels), c, v, n) for channels, c, v, n in data]

    for before, after in zip(every_result(build(data)), every_result(build(renamed)), strict=True):
        expected = {rename[name]: credit for name, credit in by_name(before).items()}
        assert by_name(after) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(rows(), st.data())
def test_a_channel_never_on_a_converting_path_gets_nothing_from_heuristics_and_shapley(
    data: list[Row], draw: st.DataObject
) -> None:
    ghost_rows = draw.draw(
        st.lists(st.sampled_from(CHANNELS), min_size=1, max_size=4).map(tuple), label="ghost"
    )
    positions = draw.draw(st.integers(0, 4))
    data = [*data, ((*ghost_rows[:positions], "ghost", *ghost_rows[positions:]), 0.0, 0.0, 3.0)]

    paths = build(data)

    for model in HEURISTICS:
        result = run_model(paths, model)
        assert result.credit("ghost").conversions == 0
        assert result.credit("ghost").value == 0


@settings(max_examples=40, deadline=None)
@given(rows(), st.lists(st.sampled_from(CHANNELS), max_size=4))
def test_markov_gives_nothing_to_a_channel_that_only_ends_non_converting_paths(
    data: list[Row], prefix: list[str]
) -> None:
    """Markov recombines paths, so a channel seen only on non-converting paths may still be credited when a
    walk through it can go on to convert; a channel that only ever ends such paths leads to (null) alone."""
    data = [*data, ((*prefix, "ghost"), 0.0, 0.0, 2.0), (("ghost",), 0.0, 0.0, 1.0)]

    paths = build(data)

    for order in ORDERS:
        result = markov(paths, order=order)
        ghost = result.credit("ghost")
        assert ghost.conversions == 0
        assert ghost.removal_effect == 0


@settings(max_examples=40, deadline=None)
@given(rows())
def test_duplicating_every_path_or_doubling_every_count_doubles_every_credit(data: list[Row]) -> None:
    duplicated = build(data + data)
    doubled = build([(channels, 2 * c, 2 * v, 2 * n) for channels, c, v, n in data])

    for single, twice, double in zip(
        every_result(build(data)), every_result(duplicated), every_result(doubled), strict=True
    ):
        for measure in ("conversions", "value"):
            expected = 2 * getattr(single, measure)
            np.testing.assert_allclose(getattr(twice, measure), expected, rtol=1e-9, atol=1e-9)
            np.testing.assert_allclose(getattr(double, measure), expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(rows(min_size=2), st.randoms(use_true_random=False))
def test_the_order_of_paths_does_not_matter(data: list[Row], rng: object) -> None:
    shuffled = list(data)
    rng.shuffle(shuffled)  # type: ignore[attr-defined]

    for before, after in zip(every_result(build(data)), every_result(build(shuffled)), strict=True):
        np.testing.assert_allclose(after.conversions, before.conversions, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(after.value, before.value, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(rows())
def test_markov_conversion_probability_is_the_share_of_converting_weight(data: list[Row]) -> None:
    paths = build(data)
    weight = paths.total_conversions + float(paths.nulls.sum())

    for order in ORDERS:
        result = markov(paths, order=order)
        assert result.markov is not None
        expected = paths.total_conversions / weight if weight else 0.0
        assert result.markov.conversion_probability == pytest.approx(expected, rel=1e-9, abs=1e-12)
        assert result.removal_effects is not None
        assert ((result.removal_effects >= 0) & (result.removal_effects <= 1)).all()


@settings(max_examples=30, deadline=None)
@given(rows(), st.floats(0.1, 60.0), st.data())
def test_time_decay_with_times_distributes_exactly_the_totals(
    data: list[Row], half_life: float, draw: st.DataObject
) -> None:
    timed = []
    for channels, c, v, n in data:
        ages = draw.draw(st.lists(st.floats(0, 400), min_size=len(channels), max_size=len(channels)))
        timed.append(
            Path(channels, c, v, n, touch_times=tuple(-a * 86_400 for a in ages), conversion_time=0.0)
        )
    paths = PathSet.from_paths(timed)

    result = run_model(paths, Model.TIME_DECAY, options=ModelOptions(half_life_days=half_life))

    assert result.conversions.sum() == pytest.approx(paths.total_conversions, rel=1e-9, abs=1e-9)
    assert result.value.sum() == pytest.approx(paths.total_value, rel=1e-9, abs=1e-9)
