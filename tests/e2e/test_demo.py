"""A new user's first minutes: `omnicx demo`, sign in with a printed credential, look around."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from omnicx.kernel.i18n.formats import chart_locale
from tests.e2e.conftest import ARTIFACTS, Demo

pytestmark = pytest.mark.e2e


def sign_in(page: Page, demo: Demo, role: str) -> None:
    email, password = demo.credentials[role]
    page.goto(f"{demo.url}/signin")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{demo.url}/")


def test_owner_signs_in_and_sees_the_overview_frame(browser: Browser, demo: Demo) -> None:
    assert demo.served_while_seeding  # the first minute: the server answers, the world fills in behind it
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, demo, "owner")
    expect(page.locator("h1")).to_have_text("Overview")
    expect(page.locator("#demo-seeding")).to_have_count(0)  # the world is whole: no progress shown
    expect(page.locator("nav.sidebar")).to_contain_text("Settings")
    expect(page.locator(".topbar")).to_contain_text("Maison Lumière")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "overview-owner.png"), full_page=True)
    page.close()


def test_language_switch_translates_the_frame(browser: Browser, demo: Demo) -> None:
    page = browser.new_page()
    sign_in(page, demo, "analyst")
    page.goto(f"{demo.url}/settings/profile")
    page.select_option("#language", "fr")
    page.click("form[action='/settings/profile/language'] button")
    expect(page.locator("nav.sidebar")).to_contain_text("Paramètres")
    page.screenshot(path=str(ARTIFACTS / "profile-fr.png"), full_page=True)
    # The charts' axes too: vega-embed draws with the page's d3 locales (built from Babel), not in English.
    page.goto(f"{demo.url}/")
    page.wait_for_selector("#chart-sessions[data-rendered=true] svg")
    words = {w for t in page.locator("#chart-sessions svg text").all_text_contents() for w in t.split()}
    french, english = chart_locale("fr")["time"], chart_locale("en")["time"]
    assert words & {*french["shortMonths"], *french["shortDays"]}, words
    assert not words & ({*english["shortMonths"], *english["shortDays"]} - {*french["shortMonths"]}), words
    page.goto(f"{demo.url}/settings/profile")
    page.select_option("#language", "en")
    page.click("form[action='/settings/profile/language'] button")
    page.close()


def _chart_svg(page: Page) -> str:
    page.wait_for_selector("#attribution-chart[data-rendered=true] svg")
    return page.inner_html("#attribution-chart")


def test_attribution_chart_follows_model_and_range_and_exports_png(browser: Browser, demo: Demo) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, demo, "marketer")
    page.goto(f"{demo.url}/attribution")
    markov = _chart_svg(page)
    assert "Markov chain (exact) · 1" in markov
    page.select_option("select[name=model]", "linear")
    page.wait_for_url("**/attribution?*model=linear*")
    linear = _chart_svg(page)
    assert linear != markov
    assert "Linear" in linear
    first_day = page.input_value("input[name=date_from]")
    page.fill("input[name=date_to]", first_day)
    page.dispatch_event("input[name=date_to]", "change")
    page.wait_for_url(f"**/attribution?*date_to={first_day}*")
    one_day = _chart_svg(page)
    assert one_day != linear
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "attribution.png"), full_page=True)
    href = page.get_attribute("a[data-export=png]", "href")
    assert href
    exported = page.request.get(f"{demo.url}{href}")
    assert exported.status == 200
    assert exported.body()[:8] == b"\x89PNG\r\n\x1a\n"
    page.close()


def test_customer_360_of_the_demo_shows_identifiers_last_contact_and_timeline(
    browser: Browser, demo: Demo
) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, demo, "agent")
    page.goto(f"{demo.url}/customers?email=yes")
    page.locator("main table a[href^='/customers/']").first.click()
    page.wait_for_url("**/customers/*")
    expect(page.locator("#identifiers")).to_contain_text("Email")
    expect(page.locator("#identifiers")).to_contain_text("@maison-lumiere-clients.example.com")
    expect(page.locator("#last-contact")).not_to_contain_text("has not reached out")
    expect(page.locator("#timeline li").first).to_be_visible()
    assert page.locator("#timeline li").count() >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "customer-360.png"), full_page=True)
    page.close()
