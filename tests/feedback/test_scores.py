"""Satisfaction arithmetic against sets computed by hand (the working is in each test's comment)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicx.feedback.scores import nps, nps_group, wilson


def test_wilson_on_eight_of_ten() -> None:
    # p = 0.8, z² = 3.8415; centre = (0.8 + 0.19207) / 1.38415 = 0.71681;
    # half = 1.96 × sqrt(0.016 + 0.0096037) / 1.38415 = 0.22653 → [0.4902, 0.9433]
    found = wilson(8, 10)
    assert found is not None and found.estimate == 0.8
    assert found.low == pytest.approx(0.4902, abs=1e-4) and found.high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_never_collapses_on_all_satisfied() -> None:
    # 3 of 3: centre = (1 + 0.64025) / 2.28049 = 0.71925, half = 1.96 × sqrt(0.10671) / 2.28049 = 0.28075
    found = wilson(3, 3)
    assert (
        found is not None
        and found.high == pytest.approx(1.0)
        and found.low == pytest.approx(0.4385, abs=1e-4)
    )
    assert wilson(0, 0) is None


def test_nps_of_fifty_thirty_twenty() -> None:
    # NPS = 100 × (50 - 20) / 100 = 30. Adjusted: n' = 103, p' = 50.75/103 = 0.492718, d' = 20.75/103 = 0.201456,
    # centre = 0.291262, variance = 0.694175 - 0.084834 = 0.609341, SE = sqrt(0.609341/103) = 0.076915,
    # half = 1.96 × 0.076915 = 0.150750 → [14.05, 44.20]
    found = nps(50, 30, 20)
    assert found is not None and found.estimate == 30 and found.n == 100
    assert found.low == pytest.approx(14.05, abs=0.01) and found.high == pytest.approx(44.20, abs=0.01)


def test_nps_of_a_single_promoter_is_100_with_a_wide_interval() -> None:
    # n' = 4, p' = 1.75/4 = 0.4375, d' = 0.75/4 = 0.1875, centre = 0.25, variance = 0.625 - 0.0625 = 0.5625,
    # SE = 0.375, half = 0.734986 → [-48.50, 98.50]
    found = nps(1, 0, 0)
    assert found is not None and found.estimate == 100
    assert found.low == pytest.approx(-48.50, abs=0.01) and found.high == pytest.approx(98.50, abs=0.01)
    assert nps(0, 0, 0) is None


def test_nps_groups() -> None:
    assert [nps_group(s) for s in (0, 6, 7, 8, 9, 10)] == [
        "detractor",
        "detractor",
        "passive",
        "passive",
        "promoter",
        "promoter",
    ]
    with pytest.raises(ValueError, match="0 to 10"):
        nps_group(11)


@given(st.integers(0, 500), st.integers(0, 500), st.integers(0, 500))
def test_the_nps_interval_holds_its_score_range(promoters: int, passives: int, detractors: int) -> None:
    found = nps(promoters, passives, detractors)
    if found is None:
        assert promoters + passives + detractors == 0
        return
    assert -100 <= found.low <= found.high <= 100
    assert -100 <= found.estimate <= 100


@given(st.integers(1, 1000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_the_wilson_interval_contains_the_share(pair: tuple[int, int]) -> None:
    successes, n = pair
    found = wilson(successes, n)
    assert found is not None and 0 <= found.low <= found.estimate <= found.high <= 1
