"""Retry delays: exponential backoff with full jitter (no I/O, no clock, so it is tested with plain numbers).

Full jitter spreads the retries of many jobs that failed together (a provider outage) over the whole window
instead of sending them back in one wave: delay = uniform(0, min(cap, base * 2 ** (attempt - 1))).
"""

from __future__ import annotations

import random
from collections.abc import Callable

Uniform = Callable[[float, float], float]

# 2 ** 62 seconds is far beyond any sensible cap; stopping the exponent there keeps the arithmetic finite.
_MAX_EXPONENT = 62


def backoff_ceiling(attempt: int, *, base: float, cap: float) -> float:
    """Upper bound of the delay after the `attempt`-th failure (1-based): doubles each time, up to `cap`."""
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    exponent = min(attempt - 1, _MAX_EXPONENT)
    return float(min(cap, base * 2**exponent))


def backoff_delay(attempt: int, *, base: float, cap: float, uniform: Uniform = random.uniform) -> float:
    """Seconds to wait before retrying after the `attempt`-th failure; `uniform` is injectable for tests."""
    return uniform(0.0, backoff_ceiling(attempt, base=base, cap=cap))
