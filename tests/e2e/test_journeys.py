"""The journeys pages on the demo, in each language: every chart drawn, the numbers the API gives."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, Demo
from tests.e2e.test_demo import sign_in

pytestmark = pytest.mark.e2e

PAGES = {
    "/journeys/funnels": ["#funnel-chart", "#funnel-trend"],
    "/journeys/paths": ["#paths-sankey"],
    "/journeys/usage": ["#usage-heatmap", "#usage-frequency", "#usage-returns", "#usage-durations"],
    "/journeys/overlap": ["#overlap-combinations", "#overlap-switching-chart", "#overlap-spend"],
}
HEADINGS = {
    "en": ("Funnels", "Paths", "Channel usage", "Channel overlap"),
    "fr": ("Entonnoirs", "Parcours", "Usage des canaux", "Chevauchement des canaux"),
    "id": ("Corong", "Jalur", "Penggunaan kanal", "Tumpang tindih kanal"),
    "ca": ("Embuts", "Recorreguts", "Ús dels canals", "Superposició de canals"),
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
        ARTIFACTS.mkdir(exist_ok=True)
        name = f"journeys-{path.rsplit('/', 1)[1]}-{language}.png"
        analyst.screenshot(path=str(ARTIFACTS / name), full_page=True)

    analyst.goto(f"{demo.url}/journeys/funnels")
    export = analyst.get_attribute("#funnel-chart", "data-chart-key")
    funnel = analyst.request.get(f"{demo.url}/api/v1/journeys/funnel?{export}").json()
    assert funnel["steps"][0]["customers"] > 0
    cells = analyst.locator("#funnel-table tbody tr td:nth-child(2)").all_inner_texts()
    assert [_digits(cell) for cell in cells] == [step["customers"] for step in funnel["steps"]]

    analyst.goto(f"{demo.url}/journeys/paths")
    paths = analyst.request.get(f"{demo.url}/api/v1/journeys/paths?{_range(analyst)}").json()
    assert _digits(analyst.inner_text("[data-kpi=visits]")) == paths["visits"] > 0
    top_path = analyst.locator("#paths-top tbody tr").first.locator("td").all_inner_texts()
    assert (top_path[0], _digits(top_path[1])) == (
        " → ".join(paths["top_paths"][0]["items"]),
        paths["top_paths"][0]["visits"],
    )

    analyst.goto(f"{demo.url}/journeys/overlap")
    overlap = analyst.request.get(f"{demo.url}/api/v1/journeys/overlap?{_range(analyst)}").json()
    assert _digits(analyst.inner_text("[data-kpi=customers]")) == overlap["customers"] > 0
    moves = analyst.locator("#overlap-switching tbody tr").first.locator("td").all_inner_texts()
    top = overlap["switching"][0]
    assert (moves[0], moves[1], _digits(moves[2])) == (top["from_channel"], top["to_channel"], top["moves"])

    analyst.goto(f"{demo.url}/journeys/usage")
    usage = analyst.request.get(f"{demo.url}/api/v1/journeys/usage?{_range(analyst)}").json()
    first = analyst.locator("#usage-channels tbody tr").first.locator("td").all_inner_texts()
    busiest = usage["by_channel"][0]
    assert (first[0], _digits(first[1])) == (busiest["key"], busiest["sessions"])


def _range(page: Page) -> str:
    """The page's date range as query parameters."""
    since, until = page.input_value("input[name=date_from]"), page.input_value("input[name=date_to]")
    return f"date_from={since}&date_to={until}"
