"""Path building from touchpoints and conversions (pure): windows, nulls and the unattributed path."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from omnicx.attribution.paths import UNATTRIBUTED, Conversion, Touch, build_paths

T = datetime(2026, 1, 10, tzinfo=UTC)
A, B, C = (uuid.UUID(int=i) for i in (1, 2, 3))


def paths_of(built):  # type: ignore[no-untyped-def]
    p = built.paths
    out = []
    for i in range(len(p.conversions)):
        names = [p.channels[t] for t in p.touches[p.offsets[i] : p.offsets[i + 1]]]
        out.append((tuple(names), float(p.conversions[i]), float(p.value[i]), float(p.nulls[i])))
    return sorted(out)


def test_window_includes_a_touch_at_the_conversion_moment_and_excludes_older_ones() -> None:
    touches = [
        Touch(A, T - timedelta(days=31), "Paid Search"),
        Touch(A, T - timedelta(days=2), "Email"),
        Touch(A, T, "Direct"),
        Touch(A, T + timedelta(minutes=1), "Referral"),
    ]
    built = build_paths(
        touches=touches,
        conversions=[Conversion(A, T, 10.0)],
        range_start=T - timedelta(days=1),
        range_end=T + timedelta(days=1),
        lookback=timedelta(days=30),
    )
    assert paths_of(built) == [(("Email", "Direct"), 1.0, 10.0, 0.0)]
    assert (built.converting, built.nulls) == (1, 0)


def test_unconverted_customers_give_null_paths_and_lonely_conversions_are_unattributed() -> None:
    touches = [Touch(B, T - timedelta(hours=1), "Organic Social"), Touch(B, T, "Direct")]
    built = build_paths(
        touches=touches,
        conversions=[Conversion(C, T, 5.0)],
        range_start=T - timedelta(days=1),
        range_end=T + timedelta(days=1),
        lookback=timedelta(days=30),
    )
    assert paths_of(built) == [
        (("Organic Social", "Direct"), 0.0, 0.0, 1.0),
        ((UNATTRIBUTED,), 1.0, 5.0, 0.0),
    ]


def test_conversions_outside_the_range_are_ignored() -> None:
    built = build_paths(
        touches=[Touch(A, T, "Email")],
        conversions=[Conversion(A, T + timedelta(days=3))],
        range_start=T - timedelta(days=1),
        range_end=T + timedelta(days=1),
        lookback=timedelta(days=30),
    )
    assert paths_of(built) == [(("Email",), 0.0, 0.0, 1.0)]
