"""Satisfaction arithmetic (pure): CSAT with its Wilson interval, NPS with its adjusted-Wald interval.

- CSAT is the share of satisfied answers (4 or 5 of 5). Its 95% interval is Wilson's score interval, which stays
  inside [0, 1] and behaves with the small counts of one agent's week (a plain normal interval says 100% ± 0 for
  three answers of 5).
- NPS counts promoters (9-10 of 0-10), passives (7-8) and detractors (0-6): NPS = 100 × (promoters - detractors) / n.
  Each answer is +1, 0 or -1, so the NPS is a mean, with variance p + d - (p - d)². The interval adds 3/4 of a
  promoter and 3/4 of a detractor before taking the normal interval (the adjusted Wald interval Rocks (2016)
  recommends for the NPS: it keeps its coverage at small n and never collapses to a point).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
PROMOTER, DETRACTOR = 9, 6  # 9-10 promote; 0-6 detract; 7-8 are passive


@dataclass(frozen=True)
class Interval:
    estimate: float
    low: float
    high: float
    n: int


def wilson(successes: int, n: int, z: float = Z95) -> Interval | None:
    """The share `successes / n` with Wilson's score interval; None without answers."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError("successes must lie between 0 and n")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The interval always holds p; min/max only absorb the last bit of float rounding at p = 0 or 1.
    return Interval(
        estimate=p, low=max(0.0, min(p, centre - half)), high=min(1.0, max(p, centre + half)), n=n
    )


def nps(promoters: int, passives: int, detractors: int, z: float = Z95) -> Interval | None:
    """The Net Promoter Score (-100 to 100) with its adjusted-Wald interval; None without answers."""
    if min(promoters, passives, detractors) < 0:
        raise ValueError("counts cannot be negative")
    n = promoters + passives + detractors
    if n == 0:
        return None
    score = 100 * (promoters - detractors) / n
    adjusted = n + 3
    p, d = (promoters + 0.75) / adjusted, (detractors + 0.75) / adjusted
    centre = p - d
    half = z * math.sqrt((p + d - centre * centre) / adjusted)
    return Interval(
        estimate=score, low=max(-100.0, 100 * (centre - half)), high=min(100.0, 100 * (centre + half)), n=n
    )


def nps_group(score: int) -> str:
    """Which group a 0-10 answer falls in: "promoter", "passive" or "detractor"."""
    if not 0 <= score <= 10:
        raise ValueError("an NPS answer is 0 to 10")
    if score >= PROMOTER:
        return "promoter"
    return "detractor" if score <= DETRACTOR else "passive"
