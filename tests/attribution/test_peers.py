"""omnicx against independent implementations, on ChannelAttribution's demo data (10,000 paths).

The data ships as `mta/data/data.csv.gz` in the MIT-licensed `mta` package. The oracles are
ChannelAttribution (GPL, used here only as a test oracle; its Markov model is a Monte Carlo simulation) and
marketing-attribution-models (`mam`, whose Markov model inverts the fundamental matrix exactly, order 1 only).
All three come with the `peers` extra; they are imported plainly so that a missing peer fails loudly.
"""

from __future__ import annotations

import importlib.metadata
import math
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest
from ChannelAttribution import heuristic_models, markov_model
from mam.core import MAM

from omnicx.attribution.engine import (
    AttributionResult,
    PathSet,
    first_touch,
    last_touch,
    linear,
    markov,
    position_based,
)
from omnicx.attribution.pathfile import read_path_file

SIMULATIONS = 2_000_000
FOLDS = 10  # ChannelAttribution's default: it reports the fold closest to the median of folds
MC_RELATIVE = 0.03
MC_SIGMAS = 5


@pytest.fixture(scope="module")
def demo_file() -> Path:
    return Path(str(importlib.metadata.distribution("mta").locate_file("mta/data/data.csv.gz")))


@pytest.fixture(scope="module")
def frame(demo_file: Path) -> pd.DataFrame:
    return pd.read_csv(demo_file)


@pytest.fixture(scope="module")
def paths(demo_file: Path) -> PathSet:
    return read_path_file(demo_file, delimiter=",")


def by_name(result: AttributionResult, measure: str) -> dict[str, float]:
    return dict(zip(result.channels, getattr(result, measure).tolist(), strict=True))


def test_demo_file_reads_like_pandas_reads_it(paths: PathSet, frame: pd.DataFrame) -> None:
    assert len(paths) == len(frame) == 10_000
    assert paths.total_conversions == frame.total_conversions.sum()
    assert paths.total_value == pytest.approx(frame.total_conversion_value.sum(), rel=1e-12)


@pytest.mark.parametrize(
    ("model", "column", "rel"),
    [
        (first_touch, "first_touch", 0.0),
        (last_touch, "last_touch", 0.0),
        # Linear sums the same shares in another order: equal up to the last bits of a double.
        (linear, "linear_touch", 1e-13),
    ],
)
def test_heuristics_equal_channelattribution(
    paths: PathSet, frame: pd.DataFrame, model: object, column: str, rel: float
) -> None:
    expected = heuristic_models(
        frame, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False
    ).set_index("channel_name")

    result = model(paths)  # type: ignore[operator]

    for measure, suffix in (("conversions", "_conversions"), ("value", "_value")):
        oracle = expected[column + suffix].to_dict()
        assert by_name(result, measure) == pytest.approx(oracle, rel=rel, abs=0.0)


@pytest.fixture(scope="module")
def mam_model(frame: pd.DataFrame) -> MAM:
    """Grouped journeys: one row of converting journeys and one of non-converting ones per path."""
    converting = frame[frame.total_conversions > 0]
    lost = frame[frame.total_null > 0]
    grouped = pl.concat(
        [
            pl.DataFrame(
                {"journey": converting.path.tolist(), "converted": True, "n": converting.total_conversions}
            ),
            pl.DataFrame({"journey": lost.path.tolist(), "converted": False, "n": lost.total_null}),
        ]
    )
    return MAM(
        df=grouped,
        format_type="grouped_journey",
        channels_colname="journey",
        journey_with_conv_colname="converted",
        occurrences_colname="n",
    )


@pytest.mark.parametrize(
    ("method", "model"),
    [
        ("run_first_click", first_touch),
        ("run_last_click", last_touch),
        ("run_linear", linear),
        ("run_position_based", position_based),
    ],
)
def test_heuristics_equal_marketing_attribution_models(
    paths: PathSet, mam_model: MAM, method: str, model: object
) -> None:
    table = getattr(mam_model, method)().to_pandas().set_index("channels")["attribution"].to_dict()

    result = model(paths)  # type: ignore[operator]

    assert by_name(result, "conversions") == pytest.approx(table, rel=1e-12, abs=1e-12)


def test_markov_removal_effects_equal_the_exact_matrix_inverse(paths: PathSet, mam_model: MAM) -> None:
    peer = mam_model.run_markov(transition_to_same_state=False)
    oracle = peer.metadata["removal_effect"]["removal_effect"].to_dict()

    result = markov(paths, order=1)

    assert by_name(result, "removal_effects") == pytest.approx(oracle, abs=1e-9)


def test_markov_transition_matrix_equals_the_exact_peer(paths: PathSet, mam_model: MAM) -> None:
    peer = mam_model.run_markov(transition_to_same_state=False).metadata["transition_matrix"]
    peer = peer.rename(index={"(inicio)": "(start)"}, columns={"(inicio)": "(start)"})

    result = markov(paths, order=1)

    assert result.markov is not None
    ours = {(a, b): p for a, b, p in result.markov.transitions.edges()}
    theirs = {(a, b): p for (a, b), p in peer.stack().to_dict().items() if p > 0}
    assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.fixture(scope="module")
def simulated(frame: pd.DataFrame) -> dict[int, dict[str, pd.DataFrame]]:
    return {
        order: markov_model(
            frame,
            "path",
            "total_conversions",
            var_value="total_conversion_value",
            var_null="total_null",
            order=order,
            nsim_start=SIMULATIONS,
            nfold=FOLDS,
            out_more=True,
            verbose=False,
            flg_pro=False,
        )
        for order in (1, 2, 3)
    }


def monte_carlo_tolerance(effect: float, conversions: float, spread: float = 1.0) -> float:
    """3% or 5 standard errors of a share estimated from `conversions` simulated conversions, whichever is
    larger; `spread` (root mean square over mean of the values) widens it for value-weighted shares."""
    sigma = spread * math.sqrt(max(effect * (1 - effect), 0.0) / conversions)
    return max(MC_RELATIVE * effect, MC_SIGMAS * sigma)


def value_spread(frame: pd.DataFrame) -> float:
    converting = frame[frame.total_conversions > 0]
    per_conversion = converting.total_conversion_value / converting.total_conversions
    weights = converting.total_conversions
    mean = np.average(per_conversion, weights=weights)
    return float(math.sqrt(np.average(per_conversion**2, weights=weights)) / mean)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_lies_within_channelattribution_monte_carlo_noise(
    paths: PathSet, frame: pd.DataFrame, simulated: dict[int, dict[str, pd.DataFrame]], order: int
) -> None:
    peer = simulated[order]["removal_effects"].set_index("channel_name")
    result = markov(paths, order=order)
    assert result.markov is not None
    simulated_conversions = SIMULATIONS / FOLDS * result.markov.conversion_probability

    for name in result.channels:
        ours = result.credit(name)
        assert ours.removal_effect is not None and ours.value_removal_effect is not None
        conversion_effect = peer.loc[name, "removal_effects_conversion"]
        assert abs(ours.removal_effect - conversion_effect) <= monte_carlo_tolerance(
            ours.removal_effect, simulated_conversions
        ), name
        value_effect = peer.loc[name, "removal_effects_conversion_value"]
        assert abs(ours.value_removal_effect - value_effect) <= monte_carlo_tolerance(
            ours.value_removal_effect, simulated_conversions, value_spread(frame)
        ), name


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_credits_lie_within_channelattribution_monte_carlo_noise(
    paths: PathSet, frame: pd.DataFrame, simulated: dict[int, dict[str, pd.DataFrame]], order: int
) -> None:
    peer = simulated[order]["result"].set_index("channel_name")
    result = markov(paths, order=order)
    assert result.markov is not None
    simulated_conversions = SIMULATIONS / FOLDS * result.markov.conversion_probability

    for name in result.channels:
        ours = result.credit(name)
        share = ours.conversions / result.total_conversions
        peer_share = peer.loc[name, "total_conversions"] / result.total_conversions
        assert abs(share - peer_share) <= monte_carlo_tolerance(share, simulated_conversions), name
        value_share = ours.value / result.total_value
        peer_value_share = peer.loc[name, "total_conversion_value"] / result.total_value
        tolerance = monte_carlo_tolerance(value_share, simulated_conversions, value_spread(frame))
        assert abs(value_share - peer_value_share) <= tolerance, name


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_chain_equals_channelattribution_transition_matrix(
    paths: PathSet, simulated: dict[int, dict[str, pd.DataFrame]], order: int
) -> None:
    """ChannelAttribution's matrix is counted, not simulated, so it must match exactly. Its states are
    1-based channel numbers in order of first appearance, joined by spaces."""
    names = simulated[order]["result"]["channel_name"].tolist()

    def state(label: str) -> str:
        if label.startswith("("):
            return label
        return " > ".join(names[int(i) - 1] for i in label.split())

    matrix = simulated[order]["transition_matrix"]
    theirs = {
        (state(a), state(b)): p
        for a, b, p in zip(matrix.channel_from, matrix.channel_to, matrix.transition_probability, strict=True)
    }

    result = markov(paths, order=order)

    assert result.markov is not None
    ours = {(a, b): p for a, b, p in result.markov.transitions.edges() if a != b or not a.startswith("(")}
    assert ours == pytest.approx(theirs, abs=1e-12)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_conversion_probability_is_conversions_over_conversions_and_nulls(
    paths: PathSet, frame: pd.DataFrame, order: int
) -> None:
    conversions, nulls = frame.total_conversions.sum(), frame.total_null.sum()

    result = markov(paths, order=order)

    assert result.markov is not None
    assert result.markov.conversion_probability == pytest.approx(
        conversions / (conversions + nulls), abs=1e-12
    )
