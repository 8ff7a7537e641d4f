"""The pure sessioniser: the 30 minute, 24 hour and campaign boundaries, and session attributes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from omnicx.tracking.sessionize import Hit, sessionize, split

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CAMPAIGN_A = {"source": "newsletter", "medium": "email", "name": "spring"}
CAMPAIGN_B = {"source": "facebook", "medium": "cpc", "name": "spring"}


def page(minutes: float, campaign: dict[str, str] | None = None, path: str = "/") -> Hit:
    at = T0 + timedelta(minutes=minutes)
    return Hit(id=f"{minutes:012.3f}", at=at, type="page", page_path=path, campaign=campaign or {})


def track(minutes: float, name: str) -> Hit:
    return Hit(id=f"{minutes:012.3f}", at=T0 + timedelta(minutes=minutes), type="track", name=name)


# (hits, sizes of the sessions they form)
BOUNDARIES = [
    pytest.param([page(0)], [1], id="one hit"),
    pytest.param([page(0), page(30)], [2], id="exactly 30 min apart: same session"),
    pytest.param([page(0), page(30.01)], [1, 1], id="just over 30 min: new session"),
    pytest.param([page(0), page(29), page(58), page(87)], [4], id="activity keeps it alive"),
    pytest.param([page(m) for m in range(0, 24 * 60, 20)], [72], id="just under 24 h"),
    pytest.param([page(m) for m in range(0, 24 * 60 + 1, 20)], [72, 1], id="24 h cap"),
    pytest.param([page(m) for m in range(0, 50 * 60, 20)], [72, 72, 6], id="capped twice"),
    pytest.param([page(0), page(5, CAMPAIGN_A)], [1, 1], id="campaign arrives: new session"),
    pytest.param(
        [page(0, CAMPAIGN_A), page(5, CAMPAIGN_A), page(6)], [3], id="same campaign, untagged pages"
    ),
    pytest.param([page(0, CAMPAIGN_A), page(5, CAMPAIGN_B)], [1, 1], id="campaign source changes"),
    pytest.param([page(0, CAMPAIGN_A), page(5), page(9, CAMPAIGN_A)], [3], id="campaign repeated"),
    pytest.param([page(41), page(0), page(10)], [2, 1], id="out of order input"),
]


@pytest.mark.parametrize(("hits", "sizes"), BOUNDARIES)
def test_session_boundaries(hits: list[Hit], sizes: list[int]) -> None:
    assert [len(group) for group in split(hits)] == sizes


def test_attributes_of_an_engaged_campaign_session() -> None:
    hits = [
        Hit(
            id="1",
            at=T0,
            type="page",
            page_url="https://shop.example/landing?utm_source=newsletter",
            page_path="/landing",
            campaign=CAMPAIGN_A,
            device_category="mobile",
        ),
        page(0.5, path="/product"),
        track(1, "Order Completed"),
    ]
    [session] = sessionize(hits)
    assert (session.start, session.end) == (T0, T0 + timedelta(minutes=1))
    assert session.duration_seconds == 60
    assert (session.source, session.medium, session.campaign) == ("newsletter", "email", "spring")
    assert session.landing_page == "/landing"
    assert session.device_category == "mobile"
    assert (session.page_views, session.key_events) == (2, 1)
    assert session.engaged and not session.bounced


@pytest.mark.parametrize(
    ("hits", "engaged"),
    [
        pytest.param([page(0)], False, id="single page view bounces"),
        pytest.param([page(0), track(9.9 / 60, "Scrolled")], False, id="9.9 s, one view: bounce"),
        pytest.param([page(0), track(10 / 60, "Scrolled")], True, id="10 s engages"),
        pytest.param([page(0), page(0.01)], True, id="two page views engage"),
        pytest.param([track(0, "Signed Up")], True, id="a key event engages"),
    ],
)
def test_engagement(hits: list[Hit], engaged: bool) -> None:
    [session] = sessionize(hits)
    assert session.engaged is engaged
    assert session.bounced is not engaged


@pytest.mark.parametrize(
    ("url", "referrer", "expected"),
    [
        ("https://shop.example/", None, ("(direct)", "(none)", "")),
        ("https://shop.example/", "https://shop.example/cart", ("(direct)", "(none)", "")),
        ("https://shop.example/", "https://www.google.co.uk/search?q=x", ("google", "organic", "")),
        ("https://shop.example/", "https://blog.example.org/post", ("blog.example.org", "referral", "")),
        ("https://shop.example/?gclid=abc", None, ("google", "cpc", "")),
    ],
)
def test_traffic_source_without_campaign_parameters(
    url: str, referrer: str | None, expected: tuple[str, str, str]
) -> None:
    from omnicx.tracking.context import campaign_from_url

    hit = Hit(id="1", at=T0, type="page", page_url=url, referrer=referrer, campaign=campaign_from_url(url))
    [session] = sessionize([hit])
    assert (session.source, session.medium, session.campaign) == expected
