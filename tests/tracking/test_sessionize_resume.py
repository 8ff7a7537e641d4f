"""Resuming a stored session from its summary gives what sessionising all of its hits again gives."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicx.tracking.sessionize import Hit, OpenSession, SessionSpan, resume, sessionize

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CAMPAIGNS = [
    {},
    {"source": "newsletter", "medium": "email", "name": "spring"},
    {"source": "fb", "medium": "cpc"},
]


@st.composite
def hit_specs(draw: st.DrawFn) -> tuple[int, str, str | None, int, str | None, str, str]:
    """(seconds apart from the previous hit, type, event name, campaign, referrer, path, device)."""
    return (
        draw(st.sampled_from([0, 1, 5, 9, 11, 600, 1800, 1801, 3600, 20 * 3600])),
        draw(st.sampled_from(["page", "screen", "track", "identify"])),
        draw(st.sampled_from([None, "Order Completed", "Product Viewed"])),
        draw(st.integers(0, len(CAMPAIGNS) - 1)),
        draw(st.sampled_from([None, "https://www.google.com/", "https://friend.example/"])),
        draw(st.sampled_from(["/", "/shoes", "/cart"])),
        draw(st.sampled_from(["desktop", "mobile"])),
    )


def build(specs: list[tuple[int, str, str | None, int, str | None, str, str]]) -> list[Hit]:
    hits, at = [], T0
    for index, (gap, kind, name, campaign, referrer, path, device) in enumerate(specs):
        at += timedelta(seconds=gap)
        hits.append(
            Hit(
                id=f"{index:06d}",
                at=at,
                type=kind,
                name=name,
                page_url=f"https://shop.example{path}",
                page_path=path,
                referrer=referrer,
                campaign=CAMPAIGNS[campaign],
                device_category=device,
            )
        )
    return hits


def as_stored(span: SessionSpan) -> SessionSpan:
    """What a session's row keeps: its counts and attributes, not its hits or key events."""
    return replace(
        span, hit_ids=(), key_events=0, carried_events=span.event_count, carried_engaged=span.engaged
    )


def row(span: SessionSpan) -> tuple[object, ...]:
    return (
        span.start,
        span.end,
        span.event_count,
        span.device_category,
        span.landing_page,
        span.source,
        span.medium,
        span.campaign,
        span.page_views,
        span.engaged,
        span.bounced,
    )


@settings(max_examples=400, deadline=None)
@given(
    before=st.lists(hit_specs(), min_size=1, max_size=12),
    after=st.lists(hit_specs(), min_size=1, max_size=12),
    gap=st.sampled_from([1, 10, 1799, 1800, 1801]),
)
def test_resuming_equals_sessionising_everything_again(
    before: list[tuple[int, str, str | None, int, str | None, str, str]],
    after: list[tuple[int, str, str | None, int, str | None, str, str]],
    gap: int,
) -> None:
    after = [(gap, *after[0][1:]), *after[1:]]  # the later hits start strictly after the stored ones
    hits = build(before + after)
    earlier, later = hits[: len(before)], hits[len(before) :]
    stored = sessionize(earlier)
    first = next(h for h in earlier if h.id == stored[-1].hit_ids[0])
    # The stored summary alone is enough once the session has a page view.
    open_session = OpenSession(
        span=as_stored(stored[-1]), first=first if stored[-1].page_views == 0 else None
    )
    resumed = [*stored[:-1], *resume(open_session, later)]
    assert [row(s) for s in resumed] == [row(s) for s in sessionize(hits)]


def test_a_stored_session_without_views_takes_its_landing_from_the_first_later_view() -> None:
    """The case the summary alone cannot answer: the landing page, device and source come from a new hit."""
    first = Hit(id="a", at=T0, type="track", name="Product Viewed", device_category="mobile")
    view = Hit(
        id="b",
        at=T0 + timedelta(seconds=30),
        type="page",
        page_path="/shoes",
        referrer="https://www.google.com/",
        device_category="desktop",
    )
    [stored] = sessionize([first])
    [carried] = resume(OpenSession(span=as_stored(stored), first=first), [view])
    assert (carried.landing_page, carried.device_category, carried.source, carried.event_count) == (
        "/shoes",
        "desktop",
        "google",
        2,
    )
    assert carried.engaged  # 30 seconds long


def test_a_session_engaged_by_a_key_event_stays_engaged_when_carried_on() -> None:
    """Its row does not say why it was engaged; a quick later hit must not make it bounce."""
    order = Hit(id="a", at=T0, type="track", name="Order Completed")
    later = Hit(id="b", at=T0 + timedelta(seconds=1), type="identify")
    [stored] = sessionize([order])
    [carried] = resume(OpenSession(span=as_stored(stored), first=order), [later])
    assert carried.engaged == sessionize([order, later])[0].engaged is True


def test_a_session_without_views_cannot_be_carried_on_without_its_first_hit() -> None:
    """Its landing, device and source may still come from a later view: refusing beats guessing them."""
    first = Hit(id="a", at=T0, type="track", name="Product Viewed")
    view = Hit(id="b", at=T0 + timedelta(seconds=30), type="page", page_path="/shoes")
    [stored] = sessionize([first])
    with pytest.raises(ValueError, match="first hit"):
        resume(OpenSession(span=as_stored(stored)), [view])
