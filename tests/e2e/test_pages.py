"""Every role, every page of its navigation: no error, and no empty page where the role may see data; and in
French, Indonesian and Catalan no string left in English. Other languages are read through the owner (whose
navigation holds every page) and the agent (whose inbox-first pages differ most): the other roles see the same
templates with fewer actions, and reading each of them in every language doubled the suite's browser time."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page

from tests.e2e.conftest import ARTIFACTS, Demo
from tests.e2e.test_demo import sign_in

pytestmark = pytest.mark.e2e

LOCALES = Path(__file__).resolve().parents[2] / "src" / "omnicx" / "kernel" / "i18n" / "locales"
ROLES = ["owner", "admin", "agent", "marketer", "analyst", "viewer"]
LANGUAGES = ["en", "fr", "id", "ca"]
# Interface text, not data: headings, table headers, labels, buttons, navigation, definition terms.
CHROME = "main h1, main h2, main h3, main th, main label, main button, main dt, main legend, nav a, .topbar a"
# Pages whose lists may rightly be empty in a fresh demo: nothing failed, no token was made, and the GA4 default
# channel grouping needs no custom rule.
MAY_BE_EMPTY = {"/settings/jobs", "/settings/tokens", "/settings/channels", "/inbox/notifications"}


@cache
def english_only(lang: str) -> frozenset[str]:
    """English interface strings that this language translates differently: seeing one means a miss."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return frozenset(
        str(m.id)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and m.string != m.id and "%(" not in m.id
    )


def choose_language(page: Page, demo: Demo, lang: str) -> None:
    """The profile's language, as a person picks it (it outranks the browser's and the sign-in page's choice)."""
    page.goto(f"{demo.url}/settings/profile")
    page.select_option("#language", lang)
    page.click("form[action='/settings/profile/language'] button")
    page.wait_for_load_state()


def nav_links(page: Page, demo: Demo) -> list[str]:
    links = [a.get_attribute("href") or "" for a in page.locator("nav.sidebar a[data-nav]").all()]
    page.goto(f"{demo.url}/settings/profile")
    links += [a.get_attribute("href") or "" for a in page.locator("nav.subnav a").all()]
    return list(dict.fromkeys(link for link in links if link.startswith("/")))


def untranslated(page: Page, lang: str) -> list[str]:
    if lang == "en":
        return []
    texts = page.locator(CHROME).all_inner_texts()
    english = english_only(lang)
    return sorted({t for t in (re.sub(r"\s+", " ", raw).strip() for raw in texts) if t in english})


def looks_empty(page: Page) -> bool:
    """A page whose every table holds only its "nothing here" row."""
    tables = page.locator("main table tbody")
    if tables.count() == 0:
        return False
    data_rows = page.locator("main table tbody tr:not(:has(td.muted))")
    return data_rows.count() == 0


#: Each role in English; the owner and the agent in every language.
CASES = [(role, "en") for role in ROLES] + [
    (role, lang) for role in ("owner", "agent") for lang in LANGUAGES if lang != "en"
]


@pytest.mark.parametrize(("role", "lang"), CASES)
def test_every_page_of_every_role_and_language(browser: Browser, demo: Demo, role: str, lang: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, demo, role)
    choose_language(page, demo, lang)
    problems: list[str] = []
    try:
        check_pages(page, demo, role, lang, problems)
    finally:
        choose_language(page, demo, "en")  # other tests on this demo read English
    context.close()
    assert not problems, problems
    assert not errors, errors


def check_pages(page: Page, demo: Demo, role: str, lang: str, problems: list[str]) -> None:
    for href in nav_links(page, demo):
        before = len(problems)
        response = page.goto(f"{demo.url}{href}")
        if response is None or response.status != 200:
            problems.append(f"{href}: HTTP {response.status if response else '-'}")
            continue
        if not page.locator("main h1").first.is_visible():
            problems.append(f"{href}: no heading")
        if href not in MAY_BE_EMPTY and looks_empty(page):
            problems.append(f"{href}: empty")
        missing = untranslated(page, lang)
        if missing:
            problems.append(f"{href}: untranslated {missing}")
        if len(problems) > before:  # a picture of what failed, for the CI artefacts
            ARTIFACTS.mkdir(exist_ok=True)
            name = href.strip("/").replace("/", "-") or "overview"
            page.screenshot(path=str(ARTIFACTS / f"page-{role}-{lang}-{name}.png"), full_page=True)
