"""Backoff: exponential ceiling with a cap, full jitter drawn from an injectable source."""

from __future__ import annotations

import random

import pytest

from omnicx.kernel.jobs.backoff import backoff_ceiling, backoff_delay


@pytest.mark.parametrize(
    ("attempt", "base", "cap", "ceiling"),
    [
        (1, 2.0, 3600.0, 2.0),
        (2, 2.0, 3600.0, 4.0),
        (3, 2.0, 3600.0, 8.0),
        (8, 2.0, 3600.0, 256.0),
        (11, 2.0, 3600.0, 2048.0),
        (12, 2.0, 3600.0, 3600.0),
        (1, 0.5, 1.0, 0.5),
        (2, 0.5, 1.0, 1.0),
        (5, 0.5, 1.0, 1.0),
        (10_000, 2.0, 3600.0, 3600.0),
    ],
)
def test_ceiling_doubles_up_to_the_cap(attempt: int, base: float, cap: float, ceiling: float) -> None:
    assert backoff_ceiling(attempt, base=base, cap=cap) == ceiling


@pytest.mark.parametrize(
    ("attempt", "draw", "delay"),
    [
        (1, 0.0, 0.0),
        (1, 1.0, 2.0),
        (3, 0.5, 4.0),
        (12, 1.0, 3600.0),
        (12, 0.25, 900.0),
    ],
)
def test_delay_is_a_uniform_draw_below_the_ceiling(attempt: int, draw: float, delay: float) -> None:
    def uniform(low: float, high: float) -> float:
        return low + (high - low) * draw

    assert backoff_delay(attempt, base=2.0, cap=3600.0, uniform=uniform) == delay


def test_real_jitter_stays_within_bounds() -> None:
    source = random.Random(7)
    delays = [backoff_delay(4, base=2.0, cap=3600.0, uniform=source.uniform) for _ in range(500)]
    assert all(0.0 <= d <= 16.0 for d in delays)
    assert len(set(delays)) > 400  # jittered, not one wave


def test_attempts_are_one_based() -> None:
    with pytest.raises(ValueError, match="1-based"):
        backoff_ceiling(0, base=2.0, cap=10.0)
