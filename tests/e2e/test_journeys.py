"""The journeys pages on the demo, in each language: every chart drawn, the numbers the API gives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from omnicx.kernel.i18n import set_language
from omnicx.tracking import service as tracking_service
from tests.e2e.conftest import ARTIFACTS, Demo
from tests.e2e.test_demo import sign_in

pytestmark = pytest.mark.e2e

PAGES = {
    "/journeys/funnels": ["#funnel-chart", "#funnel-trend"],
    "/journeys/paths": ["#paths-sankey"],
    "/journeys/map": ["#journey-map-chart"],
    "/journeys/usage": ["#usage-heatmap", "#usage-frequency", "#usage-returns", "#usage-durations"],
    "/journeys/overlap": ["#overlap-combinations", "#overlap-switching-chart", "#overlap-spend"],
}
HEADINGS = {
    "en": ("Funnels", "Paths", "Journey map", "Channel usage", "Channel overlap"),
    "fr": ("Entonnoirs", "Parcours", "Carte du parcours", "Usage des canaux", "Chevauchement des canaux"),
    "id": ("Corong", "Jalur", "Peta perjalanan", "Penggunaan kanal", "Tumpang tindih kanal"),
    "ca": ("Embuts", "Recorreguts", "Mapa del recorregut", "Ús dels canals", "Superposició de canals"),
}


def _digits(text: str) -> int:
    """A number as a page writes it in any of the four languages (`12,996`, `12 996`, `12.996`)."""
    return int(re.sub(r"\D", "", text))


def _in_language(page: Page, demo: Demo, language: str) -> None:
    page.goto(f"{demo.url}/settings/profile")
    page.select_option("#language", language)
    page.click("form[action='/settings/profile/language'] button")
    page.wait_for_load_state()


@pytest.fixture
def analyst(browser: Browser, demo: Demo) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo, "analyst")
    yield page
    _in_language(page, demo, "en")  # the demo is shared with the other browser tests
    page.close()
    assert not errors, errors


@pytest.mark.parametrize("language", ["en", "fr", "id", "ca"])
def test_the_journeys_pages_draw_their_charts_and_show_the_api_numbers(
    analyst: Page, demo: Demo, language: str
) -> None:
    _in_language(analyst, demo, language)
    for (path, charts), heading in zip(PAGES.items(), HEADINGS[language], strict=True):
        response = analyst.goto(f"{demo.url}{path}")
        assert response is not None and response.status == 200, path
        expect(analyst.locator("main h1")).to_have_text(heading)
        for chart in charts:
            analyst.wait_for_selector(f"{chart}[data-rendered=true] svg")
        NUMBERS[path](analyst, demo)  # each page visited once: its numbers are checked while it is open
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"journeys-{path.rsplit('/', 1)[1]}-{language}.png"
        analyst.screenshot(path=str(ARTIFACTS / name), full_page=True)


def _api(page: Page, demo: Demo, path: str, query: str | None = None) -> dict[str, Any]:
    """What the API says for the page's own range (or `query`)."""
    body: dict[str, Any] = page.request.get(
        f"{demo.url}/api/v1/journeys/{path}?{query or _range(page)}"
    ).json()
    return body


def _funnel_numbers(page: Page, demo: Demo) -> None:
    funnel = _api(page, demo, "funnel", page.get_attribute("#funnel-chart", "data-chart-key"))
    assert funnel["steps"][0]["customers"] > 0
    cells = page.locator("#funnel-table tbody tr td:nth-child(2)").all_inner_texts()
    assert [_digits(cell) for cell in cells] == [step["customers"] for step in funnel["steps"]]


def _paths_numbers(page: Page, demo: Demo) -> None:
    paths = _api(page, demo, "paths")
    assert _digits(page.inner_text("[data-kpi=visits]")) == paths["visits"] > 0
    top_path = page.locator("#paths-top tbody tr").first.locator("td").all_inner_texts()
    best = paths["top_paths"][0]
    assert (top_path[0], _digits(top_path[1])) == (" → ".join(best["items"]), best["visits"])


def _map_numbers(page: Page, demo: Demo) -> None:
    journey = _api(page, demo, "map")
    shown = page.locator("#journey-map [data-number=reached]").all_inner_texts()
    assert [_digits(n) for n in shown] == [stage["customers"] for stage in journey["stages"]]
    assert journey["stages"][0]["customers"] > journey["stages"][2]["customers"] > 0  # some went on to buy
    assert any(stage["struggling_customers"] for stage in journey["stages"])  # the demo's help-page visits


def _overlap_numbers(page: Page, demo: Demo) -> None:
    overlap = _api(page, demo, "overlap")
    assert _digits(page.inner_text("[data-kpi=customers]")) == overlap["customers"] > 0
    moves = page.locator("#overlap-switching tbody tr").first.locator("td").all_inner_texts()
    top = overlap["switching"][0]
    names = (_channel_name(page, top["from_channel"]), _channel_name(page, top["to_channel"]))
    assert (moves[0], moves[1], _digits(moves[2])) == (*names, top["moves"])


def _usage_numbers(page: Page, demo: Demo) -> None:
    usage = _api(page, demo, "usage")
    first = page.locator("#usage-channels tbody tr").first.locator("td").all_inner_texts()
    busiest = usage["by_channel"][0]
    assert (first[0], _digits(first[1])) == (_channel_name(page, busiest["key"]), busiest["sessions"])


def _channel_name(page: Page, channel: str) -> str:
    """A channel as the page's language names it (the API keeps the stored name)."""
    set_language(page.get_attribute("html", "lang") or "en")
    try:
        return tracking_service.channel_label(channel)
    finally:
        set_language("en")


NUMBERS: dict[str, Callable[[Page, Demo], None]] = {
    "/journeys/funnels": _funnel_numbers,
    "/journeys/paths": _paths_numbers,
    "/journeys/map": _map_numbers,
    "/journeys/usage": _usage_numbers,
    "/journeys/overlap": _overlap_numbers,
}


def _range(page: Page) -> str:
    """The page's date range as query parameters."""
    since, until = page.input_value("input[name=date_from]"), page.input_value("input[name=date_to]")
    return f"date_from={since}&date_to={until}"
