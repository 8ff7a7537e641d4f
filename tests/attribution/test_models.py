"""Each model on small paths whose credit can be worked out by hand."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from omnicx.attribution.engine import (
    Model,
    ModelOptions,
    Path,
    PathSet,
    compare_models,
    first_touch,
    last_non_direct_touch,
    last_touch,
    linear,
    markov,
    position_based,
    run_model,
    shapley,
    time_decay,
)
from omnicx.attribution.errors import AttributionParameterError, PathSetError

EXACT = 1e-12
markov_module = importlib.import_module("omnicx.attribution.engine.markov")


def paths_of(*rows: tuple[str, float, float]) -> PathSet:
    """Rows of (path, conversions, nulls), value = 10 per conversion."""
    return PathSet.from_strings(
        [r[0] for r in rows],
        conversions=[r[1] for r in rows],
        value=[10 * r[1] for r in rows],
        nulls=[r[2] for r in rows],
    )


def credit(result_channels: tuple[str, ...], values: np.ndarray) -> dict[str, float]:
    return dict(zip(result_channels, values.tolist(), strict=True))


def test_markov_textbook_google_ads_and_mailing() -> None:
    paths = paths_of(
        ("google_ads", 2, 0), ("mailing", 1, 0), ("google_ads > mailing", 1, 0), ("google_ads", 0, 1)
    )

    result = markov(paths)

    assert result.markov is not None
    assert result.markov.conversion_probability == pytest.approx(0.8, abs=EXACT)
    assert result.removal_effects is not None
    effects = credit(result.channels, result.removal_effects)
    assert effects["google_ads"] == pytest.approx(0.75, abs=EXACT)
    assert effects["mailing"] == pytest.approx(0.5, abs=EXACT)
    conversions = credit(result.channels, result.conversions)
    assert conversions["google_ads"] == pytest.approx(2.4, abs=EXACT)
    assert conversions["mailing"] == pytest.approx(1.6, abs=EXACT)


def test_markov_textbook_three_channels() -> None:
    paths = paths_of(("c1 > c2 > c3", 1, 0), ("c1", 0, 1), ("c2 > c3", 0, 1))

    result = markov(paths)

    assert result.markov is not None
    assert result.markov.conversion_probability == pytest.approx(1 / 3, abs=EXACT)
    assert result.removal_effects is not None
    assert result.removal_effects.tolist() == pytest.approx([0.5, 1.0, 1.0], abs=EXACT)
    assert result.conversions.tolist() == pytest.approx([0.2, 0.4, 0.4], abs=EXACT)
    assert result.value.tolist() == pytest.approx([2.0, 4.0, 4.0], abs=EXACT)


def test_markov_transition_matrix_is_the_row_normalised_chain() -> None:
    paths = paths_of(("c1 > c2 > c3", 1, 0), ("c1", 0, 1), ("c2 > c3", 0, 1))

    result = markov(paths)

    assert result.markov is not None
    edges = {(a, b): p for a, b, p in result.markov.transitions.edges()}
    assert edges == pytest.approx(
        {
            ("(start)", "c1"): 2 / 3,
            ("(start)", "c2"): 1 / 3,
            ("c1", "c2"): 0.5,
            ("c1", "(null)"): 0.5,
            ("c2", "c3"): 1.0,
            ("c3", "(conversion)"): 0.5,
            ("c3", "(null)"): 0.5,
            ("(conversion)", "(conversion)"): 1.0,
            ("(null)", "(null)"): 1.0,
        }
    )
    row_sums = np.asarray(result.markov.transitions.matrix.sum(axis=1)).ravel()
    assert row_sums == pytest.approx(np.ones(row_sums.size))


def test_markov_collapses_repeated_channels_at_order_one() -> None:
    repeated = paths_of(("a > a > b", 1, 1), ("b > b", 0, 2))
    collapsed = paths_of(("a > b", 1, 1), ("b", 0, 2))

    assert markov(repeated).removal_effects.tolist() == pytest.approx(  # type: ignore[union-attr]
        markov(collapsed).removal_effects.tolist(),  # type: ignore[union-attr]
        abs=EXACT,
    )


def test_markov_order_two_states_are_windows_and_short_paths_are_one_state() -> None:
    paths = paths_of(("a > b > c", 1, 0), ("a", 0, 1), ("a > a > a", 1, 1))

    result = markov(paths, order=2)

    assert result.markov is not None
    states = result.markov.transitions.states
    assert states[0] == "(start)"
    assert states[-2:] == ("(conversion)", "(null)")
    assert set(states[1:-2]) == {"a", "a > b", "b > c", "a > a"}
    assert result.conversions.sum() == pytest.approx(2.0, abs=EXACT)


def test_markov_order_three_credits_every_channel_of_a_single_converting_path_equally() -> None:
    paths = paths_of(("c1 > c2 > c3", 1, 0), ("c1", 0, 1), ("c2 > c3", 0, 1))

    result = markov(paths, order=3)

    assert result.conversions.tolist() == pytest.approx([1 / 3] * 3, abs=EXACT)


@pytest.mark.parametrize("order", [0, 4])
def test_markov_rejects_orders_outside_one_to_three(order: int) -> None:
    with pytest.raises(AttributionParameterError, match="order"):
        markov(paths_of(("a", 1, 0)), order=order)


def test_markov_on_paths_that_never_convert_credits_nothing() -> None:
    result = markov(paths_of(("a > b", 0, 3), ("b", 0, 1)))

    assert result.conversions.tolist() == [0.0, 0.0]
    assert result.markov is not None
    assert result.markov.conversion_probability == 0.0


def test_first_last_and_linear_count_repeated_touches() -> None:
    paths = paths_of(("a > a > b", 3, 0), ("b > c", 1, 5))

    assert credit(paths.channels, first_touch(paths).conversions) == {"a": 3, "b": 1, "c": 0}
    assert credit(paths.channels, last_touch(paths).conversions) == {"a": 0, "b": 3, "c": 1}
    assert credit(paths.channels, linear(paths).conversions) == pytest.approx({"a": 2, "b": 1.5, "c": 0.5})
    assert credit(paths.channels, linear(paths).value) == pytest.approx({"a": 20, "b": 15, "c": 5})


def test_last_non_direct_skips_direct_in_any_case_unless_the_path_is_all_direct() -> None:
    paths = paths_of(("email > Direct", 2, 0), ("DIRECT > direct", 1, 0), ("search > direct > email", 4, 0))

    result = last_non_direct_touch(paths)

    assert credit(paths.channels, result.conversions) == {
        "DIRECT": 0,
        "Direct": 0,
        "direct": 1,
        "email": 6,
        "search": 0,
    }


def test_last_non_direct_takes_the_direct_channel_name_as_a_parameter() -> None:
    paths = paths_of(("email > (none)", 2, 0), ("direct", 1, 0))

    result = last_non_direct_touch(paths, direct="(none)")

    assert credit(paths.channels, result.conversions) == {"(none)": 0, "direct": 1, "email": 2}


def test_position_based_gives_40_20_40_and_handles_one_and_two_touches() -> None:
    paths = paths_of(("a > b > c > d", 10, 0), ("e", 1, 0), ("f > g", 2, 0))

    result = position_based(paths)

    assert credit(paths.channels, result.conversions) == pytest.approx(
        {"a": 4, "b": 1, "c": 1, "d": 4, "e": 1, "f": 1, "g": 1}
    )


def test_position_based_weights_are_configurable_and_split_proportionally_on_two_touches() -> None:
    paths = paths_of(("a > b > c", 1, 0), ("d > e", 1, 0))

    result = position_based(paths, first=0.3, last=0.6)

    assert credit(paths.channels, result.conversions) == pytest.approx(
        {"a": 0.3, "b": 0.1, "c": 0.6, "d": 1 / 3, "e": 2 / 3}
    )


@pytest.mark.parametrize(("first", "last"), [(0.7, 0.5), (-0.1, 0.4), (float("nan"), 0.4)])
def test_position_based_rejects_impossible_weights(first: float, last: float) -> None:
    with pytest.raises(AttributionParameterError):
        position_based(paths_of(("a", 1, 0)), first=first, last=last)


def test_time_decay_without_times_counts_one_day_per_step_back() -> None:
    paths = paths_of(("a > b", 1, 0))

    result = time_decay(paths, half_life_days=1.0)

    # a is one day older than b: weights 1/2 and 1.
    assert credit(paths.channels, result.conversions) == pytest.approx({"a": 1 / 3, "b": 2 / 3})


def test_time_decay_uses_touch_and_conversion_times() -> None:
    bought = datetime(2024, 5, 20, tzinfo=UTC)
    paths = PathSet.from_paths(
        [
            Path(
                ("a", "b", "c"),
                conversions=3,
                value=30,
                touch_times=(
                    bought - timedelta(days=14),
                    bought - timedelta(days=7),
                    bought - timedelta(days=7),
                ),
                conversion_time=bought,
            )
        ]
    )

    result = time_decay(paths)

    # ages 14, 7, 7 days with a 7-day half-life: weights 1/4, 1/2, 1/2.
    assert credit(paths.channels, result.conversions) == pytest.approx({"a": 0.6, "b": 1.2, "c": 1.2})
    assert credit(paths.channels, result.value) == pytest.approx({"a": 6, "b": 12, "c": 12})


def test_time_decay_survives_very_old_paths_without_underflow() -> None:
    paths = PathSet.from_paths(
        [Path(("a", "b"), conversions=1, touch_times=(0.0, 86_400.0), conversion_time=1e13)]
    )

    result = time_decay(paths, half_life_days=0.01)

    assert result.conversions.sum() == pytest.approx(1.0)
    assert credit(paths.channels, result.conversions)["b"] == pytest.approx(1.0)


def test_time_decay_rejects_a_touch_after_its_conversion() -> None:
    with pytest.raises(PathSetError, match="after its conversion"):
        PathSet.from_paths([Path(("a",), conversions=1, touch_times=(10.0,), conversion_time=5.0)])


def test_shapley_splits_each_converting_path_among_its_distinct_channels() -> None:
    paths = paths_of(("a > a > b", 4, 0), ("c", 0, 9), ("a > b > c > c", 3, 1))

    result = shapley(paths)

    assert credit(paths.channels, result.conversions) == pytest.approx({"a": 3, "b": 3, "c": 1})


def test_shapley_matches_the_coalition_definition_on_a_small_game() -> None:
    """Brute force over every ordering of three channels: v(S) = conversions of paths inside S."""
    from itertools import permutations

    rows = [("a > b", 2.0), ("b > c > b", 5.0), ("a", 1.0), ("c > a > b", 7.0)]
    paths = paths_of(*((p, c, 0) for p, c in rows))
    sets = [(frozenset(p.split(" > ")), c) for p, c in rows]

    def worth(coalition: set[str]) -> float:
        return sum(c for s, c in sets if s <= coalition)

    brute = dict.fromkeys(paths.channels, 0.0)
    orders = list(permutations(paths.channels))
    for order in orders:
        seen: set[str] = set()
        for channel in order:
            before = worth(seen)
            seen.add(channel)
            brute[channel] += (worth(seen) - before) / len(orders)

    assert credit(paths.channels, shapley(paths).conversions) == pytest.approx(brute, abs=EXACT)


def test_compare_models_lines_every_model_up_per_channel() -> None:
    paths = paths_of(("a > b", 1, 1), ("b", 2, 0))

    comparison = compare_models(paths, options=ModelOptions(order=2))

    table = comparison.table()
    assert set(table) == {"a", "b"}
    assert list(table["a"]) == list(Model)
    assert table["b"][Model.LAST].conversions == 3
    assert table["a"][Model.MARKOV].removal_effect is not None
    assert comparison.results[Model.MARKOV].markov.order == 2  # type: ignore[union-attr]


def test_run_model_dispatches_every_model() -> None:
    paths = paths_of(("a > b > c", 2, 1))

    for model in Model:
        assert run_model(paths, model).model is model


def test_results_are_read_only() -> None:
    result = linear(paths_of(("a > b", 1, 0)))

    with pytest.raises(ValueError, match="read-only"):
        result.conversions[0] = 5


def test_as_dict_is_json_shaped() -> None:
    result = markov(paths_of(("a > b", 1, 1), ("b", 1, 0)))

    shaped = result.as_dict()

    assert shaped["model"] == "markov"
    assert set(shaped["channels"]["a"]) == {"conversions", "value", "removal_effect", "value_removal_effect"}
    assert shaped["totals"] == {"conversions": 2.0, "value": 20.0}
    assert shaped["markov"]["conversion_probability"] == pytest.approx(2 / 3)
    assert "removal_effect" not in linear(paths_of(("a", 1, 0))).as_dict()["channels"]["a"]


def test_empty_path_set_gives_empty_results() -> None:
    paths = PathSet.from_strings([], conversions=[])

    for model in Model:
        result = run_model(paths, model)
        assert result.channels == ()
        assert result.total_conversions == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conversions": [1, -1]}, "row 1, conversions: -1 is negative"),
        ({"conversions": [1, 1], "nulls": [0, float("inf")]}, "row 1, nulls: inf is not a finite number"),
        ({"conversions": [0, 1], "value": [5, 1]}, "row 0, value: 5 on a path with no conversions"),
        ({"conversions": [1]}, "expected 2 numbers"),
    ],
)
def test_path_set_rejects_bad_counts(kwargs: dict[str, list[float]], message: str) -> None:
    with pytest.raises(PathSetError, match=message):
        PathSet.from_strings(["a", "b"], **kwargs)  # type: ignore[arg-type]


def random_paths(seed: int, rows: int = 400) -> PathSet:
    rng = np.random.default_rng(seed)
    names = np.array(["a", "b", "c", "d", "e", "f"])
    paths = [" > ".join(names[rng.integers(0, 6, rng.integers(1, 7))]) for _ in range(rows)]
    conversions = rng.integers(0, 3, rows)
    return PathSet.from_strings(
        paths,
        conversions=conversions,
        value=conversions * rng.uniform(5, 50, rows),
        nulls=rng.integers(1, 4, rows),
    )


@pytest.mark.parametrize("order", [1, 2, 3])
def test_large_chains_solved_iteratively_give_the_lu_answer(
    monkeypatch: pytest.MonkeyPatch, order: int
) -> None:
    paths = random_paths(seed=order)
    direct = markov(paths, order=order)

    monkeypatch.setattr(markov_module, "_LU_STATES", 0)
    iterative = markov(paths, order=order)

    for field in ("conversions", "value", "removal_effects", "value_removal_effects"):
        np.testing.assert_allclose(getattr(iterative, field), getattr(direct, field), rtol=1e-12, atol=1e-12)


def test_the_iterative_solver_is_checked_and_replaced_by_lu_when_it_falls_short(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    paths = random_paths(seed=7)
    direct = markov(paths, order=2)
    monkeypatch.setattr(markov_module, "_LU_STATES", 0)
    monkeypatch.setattr(markov_module, "gmres", lambda matrix, rhs, **_: (np.zeros_like(rhs), 1))

    checked = markov(paths, order=2)

    np.testing.assert_allclose(checked.removal_effects, direct.removal_effects, rtol=0, atol=1e-12)  # type: ignore[arg-type]
