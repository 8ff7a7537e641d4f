"""From touchpoints and conversions to attribution paths: pure, no database.

A conversion's path is the customer's touchpoints in the lookback window before it, oldest first. Customers who
touched a channel in the report's range without converting contribute a null path, which is what lets Markov
and Shapley tell a channel that brings converting customers from one that merely brings customers.

Reports build their paths in the analytics engine (`service/inputs.py`, `PATHS`); this module is the rules'
plain statement, on rows in memory, that the engine's query is held to (`tests/analytics/test_paths_property.py`).
"""

from __future__ import annotations

import uuid
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from omnicx.attribution.engine import Path, PathSet

UNATTRIBUTED = "Unattributed"
MAX_TOUCHES = 50


@dataclass(frozen=True, slots=True)
class Touch:
    customer_id: uuid.UUID
    at: datetime
    channel: str


@dataclass(frozen=True, slots=True)
class Conversion:
    customer_id: uuid.UUID
    at: datetime
    value: float = 0.0


@dataclass(frozen=True)
class BuiltPaths:
    paths: PathSet
    converting: int
    nulls: int


def _by_customer(touches: Iterable[Touch]) -> dict[uuid.UUID, list[Touch]]:
    grouped: dict[uuid.UUID, list[Touch]] = defaultdict(list)
    for touch in touches:
        grouped[touch.customer_id].append(touch)
    for rows in grouped.values():
        rows.sort(key=lambda t: t.at)
    return grouped


def _window(rows: list[Touch], start: datetime, end: datetime) -> list[Touch]:
    """Touches with start <= at <= end (a touch at the very moment of conversion counts)."""
    times = [t.at for t in rows]
    return rows[bisect_left(times, start) : bisect_right(times, end)][-MAX_TOUCHES:]


def _path(
    touches: list[Touch], *, conversion_time: datetime, conversions: float, value: float, nulls: float
) -> Path:
    if not touches:
        return Path((UNATTRIBUTED,), conversions, value, nulls, (conversion_time,), conversion_time)
    return Path(
        tuple(t.channel for t in touches),
        conversions,
        value,
        nulls,
        tuple(t.at for t in touches),
        conversion_time,
    )


def build_paths(
    *,
    touches: Iterable[Touch],
    conversions: Iterable[Conversion],
    range_start: datetime,
    range_end: datetime,
    lookback: timedelta,
) -> BuiltPaths:
    """One path per conversion in [range_start, range_end) and one null path per touched, unconverted customer.

    `touches` must cover [range_start - lookback, range_end). A conversion with no touch in its window gets the
    one-channel path "Unattributed", so credits still add up to the conversions counted.
    """
    grouped = _by_customer(touches)
    paths: list[Path] = []
    converted: set[uuid.UUID] = set()
    for conversion in conversions:
        if not range_start <= conversion.at < range_end:
            continue
        converted.add(conversion.customer_id)
        window = _window(grouped.get(conversion.customer_id, []), conversion.at - lookback, conversion.at)
        paths.append(
            _path(window, conversion_time=conversion.at, conversions=1.0, value=conversion.value, nulls=0.0)
        )
    converting = len(paths)
    for customer_id, rows in grouped.items():
        if customer_id in converted:
            continue
        window = _window(rows, max(range_start, range_end - lookback), range_end)
        window = [t for t in window if t.at < range_end]
        if window:
            paths.append(_path(window, conversion_time=window[-1].at, conversions=0.0, value=0.0, nulls=1.0))
    nulls = len(paths) - converting
    if not paths:
        return BuiltPaths(PathSet.from_paths([]), 0, 0)
    return BuiltPaths(PathSet.from_paths(paths), converting, nulls)
