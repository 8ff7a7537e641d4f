"""The engine's path query (`attribution.service.inputs.PATHS`) agrees with the in-memory rules
(`attribution.paths.build_paths`) on any touches and conversions: ties, more than fifty touches, conversions
outside the range, customers with no touch."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicx.attribution.paths import MAX_TOUCHES, UNATTRIBUTED, Conversion, Touch, build_paths
from omnicx.attribution.service.inputs import PATHS

START = datetime(2026, 3, 1, tzinfo=UTC)
END = START + timedelta(days=10)
LOOKBACK = timedelta(days=3)
PEOPLE = [uuid.UUID(int=i + 1) for i in range(4)]
CHANNELS = ["Direct", "Email", "Organic Search"]

minutes = st.integers(min_value=-5 * 24 * 60, max_value=12 * 24 * 60)  # before, in and after the range
touch = st.tuples(st.sampled_from(PEOPLE), st.sampled_from(CHANNELS), minutes)
conversion = st.tuples(st.sampled_from(PEOPLE), minutes, st.integers(min_value=0, max_value=100))


def _at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


def _engine(
    touches: list[Touch], conversions: list[Conversion]
) -> dict[tuple[str, ...], tuple[float, float, float]]:
    database = duckdb.connect()
    database.execute("SET TimeZone = 'UTC'")
    database.execute(
        "CREATE TABLE touchpoints (id BIGINT, person_id UUID, touched_at TIMESTAMPTZ, channel VARCHAR)"
    )
    for i, t in enumerate(touches):
        database.execute("INSERT INTO touchpoints VALUES (?, ?, ?, ?)", [i, t.customer_id, t.at, t.channel])
    inside = [c for c in conversions if START <= c.at < END]
    database.execute(
        "CREATE TABLE conversion (stage INTEGER, n BIGINT, person UUID, converted_at TIMESTAMPTZ, value DOUBLE)"
    )
    for i, c in enumerate(inside):
        database.execute("INSERT INTO conversion VALUES (0, ?, ?, ?, ?)", [i, c.customer_id, c.at, c.value])
    params: dict[str, Any] = {
        "range_start": START,
        "until": END,
        "idle_since": max(START, END - LOOKBACK),
        "lookback": LOOKBACK,
        "longest": MAX_TOUCHES,
        "unattributed": UNATTRIBUTED,
        "timed": False,
        "tz": "UTC",
        "stages": [0],
    }
    rows = database.execute(PATHS, params).fetchall()
    assert {r[1] for r in rows} <= {0}
    per_day = {r[7]: int(r[3]) for r in rows if r[0] == "day"}
    expected_days: dict[Any, int] = defaultdict(int)
    for c in inside:
        expected_days[c.at.date()] += 1
    assert per_day == expected_days  # the same statement counts the conversions per day
    return {tuple(r[2]): (float(r[3]), round(float(r[4]), 6), float(r[5])) for r in rows if r[0] == "path"}


def _memory(
    touches: list[Touch], conversions: list[Conversion]
) -> dict[tuple[str, ...], tuple[float, float, float]]:
    built = build_paths(
        touches=touches, conversions=conversions, range_start=START, range_end=END, lookback=LOOKBACK
    )
    grouped: dict[tuple[str, ...], list[float]] = defaultdict(lambda: [0.0, 0.0, 0.0])
    paths = built.paths
    for i in range(len(paths)):
        channels = tuple(paths.channels[c] for c in paths.touches[paths.offsets[i] : paths.offsets[i + 1]])
        grouped[channels][0] += float(paths.conversions[i])
        grouped[channels][1] += float(paths.value[i])
        grouped[channels][2] += float(paths.nulls[i])
    return {k: (v[0], round(v[1], 6), v[2]) for k, v in grouped.items()}


@settings(max_examples=150, deadline=None)
@given(
    touches=st.lists(touch, max_size=140),
    conversions=st.lists(conversion, max_size=8),
    crowded=st.booleans(),
)
def test_engine_paths_equal_in_memory_paths(
    touches: list[tuple[uuid.UUID, str, int]], conversions: list[tuple[uuid.UUID, int, int]], crowded: bool
) -> None:
    if (
        crowded
    ):  # one customer with far more than fifty touches inside one lookback, several at the same minute
        touches = touches + [(PEOPLE[0], CHANNELS[i % 3], 6 * 24 * 60 + i // 2) for i in range(130)]
        conversions = [*conversions, (PEOPLE[0], 6 * 24 * 60 + 100, 10)]
        # The window's two edges: a touch at the very moment of a conversion, one exactly a lookback before.
        edge = 8 * 24 * 60
        touches += [(PEOPLE[0], "Edge", 6 * 24 * 60 + 100), (PEOPLE[1], "Edge", edge - 3 * 24 * 60)]
        conversions = [*conversions, (PEOPLE[1], edge, 5)]
    # Touches in id order: both sides break ties in time by it (SQL by id, memory by input order).
    rows = [Touch(person, _at(minute), channel) for person, channel, minute in touches]
    done = sorted((Conversion(p, _at(m), float(v)) for p, m, v in conversions), key=lambda c: c.at)
    assert _engine(rows, done) == _memory(rows, done)
