"""In a real browser, the unchanged libraries omnicx serves: a shop's page (another origin) loads analytics.js 2.0
or RudderStack's SDK v3 from omnicx with a source's write key, and its calls land in the store; a browser's
retry of the same request stores nothing twice; nothing is fetched from anywhere but omnicx."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, Request, Route
from sqlalchemy import select

from omnicx.kernel.runtime import Runtime
from omnicx.tracking import sdk
from omnicx.tracking.models import Event
from omnicx.tracking.sdk import ANALYTICS_NEXT, RUDDER_ANALYTICS
from tests.helpers import chromium_browser
from tests.realtime.conftest import ThreadServer, build_app
from tests.tracking.conftest import KeyedSource

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not (ANALYTICS_NEXT / "index.js").is_file() or not RUDDER_ANALYTICS.is_file(),
        reason="./setup installs the bundles",
    ),
]
SHOP = "http://shop.example"

SEGMENT_CALLS = """<script>
  analytics.identify("u-42", {plan: "pro"});
  analytics.page("Home");
  analytics.track("Order Completed", {total: 42.5});
</script>"""
RUDDER_CALLS = """<script>
  rudderanalytics.identify("u-7", {plan: "pro"});
  rudderanalytics.track("Order Completed", {total: 42.5});
</script>"""


def shop_page(library: str, calls: str, *, base_url: str, write_key: str) -> str:
    """The shop's page: the snippet Settings → Sources shows for `library`, then the shop's own calls."""
    snippet = sdk.snippets(base_url=base_url, write_key=write_key)[library]
    return f"<!doctype html><html><head><title>Shop</title>{snippet}{calls}</head><body>shop</body></html>"


@pytest.fixture
def chromium() -> Iterator[Browser]:
    # The shop is a public site here and omnicx a loopback server: a real omnicx is public too.
    with chromium_browser(
        "--disable-features=BlockInsecurePrivateNetworkRequests,LocalNetworkAccessChecks"
    ) as browser:
        yield browser


def events(runtime: Runtime) -> list[tuple[str, str]]:
    """(type, event or page name) of every stored event, sorted."""
    with runtime.sessions() as session:
        rows = session.scalars(select(Event))
        return sorted((e.type, e.payload.get("event") or e.payload.get("name") or "") for e in rows)


def wait_for(page: Page, check: Callable[[], bool], seconds: float = 15) -> None:
    """Wait while the page runs (its requests pass through this test's route handler: it must keep running)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        page.wait_for_timeout(100)


def open_shop(chromium: Browser, html: str, elsewhere: list[str], base: str) -> Page:
    """A page served as `SHOP`; any request to a third host is recorded and refused."""
    page = chromium.new_context().new_page()

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(SHOP):
            route.fulfill(status=200, content_type="text/html", body=html)
        elif url.startswith(base):
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", route)
    return page


def test_analytics_next_sends_identify_page_and_track_and_a_retry_stores_nothing_twice(
    runtime: Runtime, source: KeyedSource, chromium: Browser
) -> None:
    elsewhere: list[str] = []
    sent: list[Request] = []
    with ThreadServer(build_app(runtime)) as server:
        html = shop_page("analytics-next", SEGMENT_CALLS, base_url=server.url, write_key=source.write_key)
        page = open_shop(chromium, html, elsewhere, server.url)
        page.on("requestfinished", lambda r: sent.append(r) if "/v1/t" in r.url else None)
        # `ajs_event` in the address makes the library load a chunk (from omnicx, not Segment's CDN) to track it.
        page.goto(f"{SHOP}/?ajs_event=Signed%20Up")
        # The snippet's own `analytics.page()`, the shop's calls and the address's event.
        expected = [
            ("identify", ""),
            ("page", ""),
            ("page", "Home"),
            ("track", "Order Completed"),
            ("track", "Signed Up"),
        ]
        wait_for(page, lambda: events(runtime) == expected and len(sent) == 2)
        [track] = [r for r in sent if "Order Completed" in (r.post_data or "")]
        assert track.headers["content-type"].startswith("text/plain")
        # The browser sends the very same request again (a retry): still one event.
        replay = page.evaluate(
            "([url, body]) => fetch(url, {method: 'POST', body, headers: {'Content-Type': 'text/plain'}})"
            ".then(r => r.json())",
            [track.url, track.post_data],
        )
        assert replay == {"success": True}
        assert events(runtime) == expected
    assert elsewhere == []


def test_segments_snippet_with_omnicx_as_its_host_queues_calls_and_sends_them(
    runtime: Runtime, source: KeyedSource, chromium: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The address Segment's snippet loads analytics.js from, on omnicx: the calls the page makes before the
    library arrives are queued, then sent where the settings omnicx serves say (its public address)."""
    elsewhere: list[str] = []
    server = ThreadServer(build_app(runtime))
    monkeypatch.setattr(runtime.settings, "base_url", server.url)
    with server:
        html = shop_page("analytics-js", SEGMENT_CALLS, base_url=server.url, write_key=source.write_key)
        page = open_shop(chromium, html, elsewhere, server.url)
        page.goto(f"{SHOP}/")
        expected = [("identify", ""), ("page", ""), ("page", "Home"), ("track", "Order Completed")]
        wait_for(page, lambda: events(runtime) == expected)
    assert elsewhere == []


def test_rudderstack_v3_loads_its_source_config_and_sends_its_calls(
    runtime: Runtime, source: KeyedSource, chromium: Browser
) -> None:
    elsewhere: list[str] = []
    with ThreadServer(build_app(runtime)) as server:
        html = shop_page("rudderstack", RUDDER_CALLS, base_url=server.url, write_key=source.write_key)
        page = open_shop(chromium, html, elsewhere, server.url)
        page.goto(f"{SHOP}/")
        wait_for(page, lambda: [kind for kind, _ in events(runtime)] == ["identify", "page", "track"])
    assert ("track", "Order Completed") in events(runtime)
    assert elsewhere == []


def test_rudderstack_v3_with_use_beacon_sends_its_batch_with_send_beacon(
    runtime: Runtime, source: KeyedSource, chromium: Browser
) -> None:
    elsewhere: list[str] = []
    beacons: list[str] = []
    with ThreadServer(build_app(runtime)) as server:
        html = shop_page("rudderstack", RUDDER_CALLS, base_url=server.url, write_key=source.write_key)
        options = f'{{ configUrl: "{server.url}/v1/rudderstack" }}'
        beacon = options.replace(" }", ", useBeacon: true, beaconQueueOptions: { flushQueueInterval: 200 } }")
        assert options in html
        page = open_shop(chromium, html.replace(options, beacon), elsewhere, server.url)
        page.on("request", lambda r: beacons.append(r.url) if "/beacon/v1/batch" in r.url else None)
        page.goto(f"{SHOP}/")
        wait_for(page, lambda: ("track", "Order Completed") in events(runtime))
    assert beacons and elsewhere == []
