"""Every role, every page of its navigation and the first customer, order and conversation of its lists: no
error (thrown or logged to the console), no empty page where the role may see data, a layout that fits its
content (no page wider than the window, no word cut across lines in a cell, a badge, a figure, a heading or a
label; headline figures in line); and in French, Indonesian and Catalan no string left in English: no text on
the page (data included, and the titles, placeholders and labels read aloud) that the catalog translates, whole
or between separators ("Email + Organic Search"), and no raw key ("order_status") in a short text. Data shown as
recorded (event properties, audit records, code) is marked `translate="no"` and left out. Templates' own text
is checked without a browser by `tests/web/test_templates_translated.py`. The owner (whose navigation holds every
page) is read in every language and each other role in one language other than English: the other roles see
the same templates with fewer actions, and reading each of them in every language doubled the suite's browser
time."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, ConsoleMessage, Page

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
# Text that must never be cut inside a word: table cells, badges, headline figures and their titles, headings,
# labels, definition terms and their values. Only the first LAYOUT_LIMIT of them are read, so a long table costs
# what a short one does.
UNBROKEN = (
    "main td, main th, main .badge, main .metric .value, main h1, main h2, main h3, main label, main dt, main dd,"
    " main legend"
)
LAYOUT_LIMIT = 400
# In the page: the document no wider than the window; each word (2+ characters between spaces, dashes or slashes,
# where a line may rightly break) of those elements on one line, found by the rectangles of a Range over it; every
# headline figure inside its card; and in a row of headline figures (`.kpis`), every figure at the same height.
LAYOUT_PROBLEMS = r"""([selector, limit]) => {
  const found = [];
  const said = (element) => element.textContent.replace(/\s+/g, " ").trim().slice(0, 80);
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth + 1) {
    found.push({text: "", reason: `page ${root.scrollWidth} px wide in a ${window.innerWidth} px window`});
  }
  const range = document.createRange();
  const seen = new Set();
  for (const element of Array.from(document.querySelectorAll(selector)).slice(0, limit)) {
    const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
    let broken = null;
    for (let node = walker.nextNode(); node && !broken; node = walker.nextNode()) {
      if (seen.has(node)) continue;
      seen.add(node);
      for (const match of node.data.matchAll(/[^\s\-\u2010-\u2015\/]{2,}/gu)) {
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0 && r.height > 0);
        const tops = rects.map((r) => r.top);
        if (rects.length > 1 && Math.max(...tops) - Math.min(...tops) > rects[0].height / 2) {
          broken = match[0];
          break;
        }
      }
    }
    if (broken) found.push({text: said(element), reason: `word "${broken}" broken across lines`});
  }
  for (const value of Array.from(document.querySelectorAll("main .metric .value")).slice(0, limit)) {
    const card = value.closest(".card");
    if (card && value.getBoundingClientRect().right > card.getBoundingClientRect().right + 1) {
      found.push({text: said(card), reason: "figure wider than its card"});
    }
  }
  for (const row of document.querySelectorAll("main .kpis")) {
    const lines = new Map();
    for (const value of row.querySelectorAll(".metric .value")) {
      const card = value.closest(".card");
      if (!card || card.getClientRects().length === 0) continue;
      const top = Math.round(card.getBoundingClientRect().top);
      const bottoms = lines.get(top) || [];
      bottoms.push([value, value.getBoundingClientRect().bottom]);
      lines.set(top, bottoms);
    }
    for (const bottoms of lines.values()) {
      const lowest = Math.max(...bottoms.map(([, bottom]) => bottom));
      for (const [value, bottom] of bottoms) {
        if (lowest - bottom > 2) {
          found.push({text: said(value.closest(".card")), reason: "figure out of line with its row"});
        }
      }
    }
  }
  return found;
}"""


#: Every text people read on the page: visible text nodes, and the attributes read aloud or on hover; code, form
#: values and what is marked `translate="no"` (audit records, which are codes) are not prose.
PAGE_TEXT = r"""() => {
  const skip = 'script, style, code, pre, textarea, [translate="no"]';
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.data.trim() || !parent || parent.closest(skip) || !parent.getClientRects().length) continue;
    found.push(node.data);
  }
  for (const element of document.body.querySelectorAll("[title], [placeholder], [aria-label], img[alt]")) {
    if (element.closest(skip)) continue;
    for (const name of ["title", "placeholder", "aria-label", "alt"]) {
      const value = element.getAttribute(name);
      if (value) found.push(value);
    }
  }
  return found;
}"""
#: Where one text holds several names: "Email + Organic Search", "Chat · Phone", "complaint (2)".
SEPARATORS = re.compile(r"\s*[·+→,:;()—]\s*")
#: A raw key shown where its name belongs, in a text of at most SHORT characters.
RAW_KEY = re.compile(r"^[a-z]+(?:_[a-z]+)+$")
SHORT = 60


@cache
def english_only(lang: str) -> frozenset[str]:
    """English interface strings that this language translates differently: seeing one means a miss (unless the
    language uses the same word for something else: Catalan's "Files" are rows)."""
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    own_words = {str(m.string) for m in catalog if isinstance(m.string, str)}
    return frozenset(
        str(m.id)
        for m in catalog
        if m.id
        and isinstance(m.id, str)
        and m.string
        and m.string != m.id
        and "%(" not in m.id
        and m.id not in own_words
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
    """The page's English: its interface elements' text, any text on it (data included) or any attribute people
    read, whole or between separators, that the catalog translates differently in `lang`; and any raw key
    (`order_status`) shown where a name belongs."""
    if lang == "en":
        return []
    english = english_only(lang)
    chrome = [_said(raw) for raw in page.locator(CHROME).all_inner_texts()]
    found = {text for text in chrome if text in english}
    for text in (_said(raw) for raw in page.evaluate(PAGE_TEXT)):
        parts = {text, *SEPARATORS.split(text)}
        found.update(part for part in parts if part in english)
        if (
            len(text) <= SHORT
        ):  # a label, a cell, a badge (prose may name a field: "subscribe to messages, ...")
            found.update(part for part in parts if RAW_KEY.match(part))
    return sorted(found)


def _said(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def looks_empty(page: Page) -> bool:
    """A page whose every table holds only its "nothing here" row."""
    tables = page.locator("main table tbody")
    if tables.count() == 0:
        return False
    data_rows = page.locator("main table tbody tr:not(:has(td.muted))")
    return data_rows.count() == 0


#: The owner, who sees every page any role sees, in every language; each other role (its own navigation, the
#: buttons its permissions show) in a language other than English, where words are longer and untranslated
#: strings stand out.
CASES = [("owner", lang) for lang in LANGUAGES] + [
    ("agent", "fr"),
    ("admin", "id"),
    ("marketer", "ca"),
    ("analyst", "id"),
    ("viewer", "ca"),
]


def test_the_sweep_covers_every_role_and_every_language() -> None:
    assert {role for role, _ in CASES} == set(ROLES)
    assert {lang for _, lang in CASES} == set(LANGUAGES) == {lang for role, lang in CASES if role == "owner"}


@pytest.mark.parametrize(("role", "lang"), CASES)
def test_every_page_of_every_role_and_language(browser: Browser, demo: Demo, role: str, lang: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error at {page.url}: {exc}"))
    page.on("console", lambda message: logged_error(message, page.url, errors))
    sign_in(page, demo, role)
    choose_language(page, demo, lang)
    problems: list[str] = []
    try:
        check_pages(page, demo, role, lang, problems, errors)
    finally:
        choose_language(page, demo, "en")  # other tests on this demo read English
    context.close()
    assert not problems, "\n".join(problems)
    assert not errors, "\n".join(errors)


def logged_error(message: ConsoleMessage, url: str, errors: list[str]) -> None:
    if message.type == "error":
        errors.append(f"console error at {url}: {message.text}")


def layout_problems(page: Page) -> list[str]:
    found = page.evaluate(LAYOUT_PROBLEMS, [UNBROKEN, LAYOUT_LIMIT])
    return [f"{item['reason']}: {item['text']!r}" if item["text"] else item["reason"] for item in found]


#: Pages reached from a list rather than the navigation, read too: the first of each list's items.
DETAILS = {
    "/customers": "main a[href^='/customers/']",
    "/commerce": "main a[href^='/commerce/orders/']",
    "/inbox": "main a[href^='/inbox/conversations/']",
}


def check_pages(page: Page, demo: Demo, role: str, lang: str, problems: list[str], errors: list[str]) -> None:
    """Each page of the navigation, and the first item of its customer, order and conversation lists; `errors`
    is where the page's listeners write what the browser threw or logged as an error: those raised while a page
    was read become its problems, the others (signing in) stay there."""
    details: list[str] = []
    for href in nav_links(page, demo):
        if check_page(page, demo, href, role, lang, problems, errors) and href in DETAILS:
            first = page.locator(DETAILS[href]).first
            if first.count():
                details.append(first.get_attribute("href") or "")
    for href in details:
        check_page(page, demo, href, role, lang, problems, errors)


def check_page(
    page: Page, demo: Demo, href: str, role: str, lang: str, problems: list[str], errors: list[str]
) -> bool:
    """One page's checks, its problems added to `problems` (and a picture of it kept); whether it loaded."""
    before = len(problems)
    errors_before = len(errors)
    response = page.goto(f"{demo.url}{href}")
    if response is None or response.status != 200:
        problems.append(f"{href}: HTTP {response.status if response else '-'}")
        return False
    if not page.locator("main h1").first.is_visible():
        problems.append(f"{href}: no heading")
    if href not in MAY_BE_EMPTY and looks_empty(page):
        problems.append(f"{href}: empty")
    missing = untranslated(page, lang)
    if missing:
        problems.append(f"{href}: untranslated {missing}")
    problems.extend(f"{href}: {problem}" for problem in layout_problems(page))
    problems.extend(f"{href}: {error}" for error in errors[errors_before:])
    del errors[errors_before:]
    if len(problems) > before:  # a picture of what failed, for the CI artefacts
        ARTIFACTS.mkdir(exist_ok=True)
        name = href.strip("/").replace("/", "-") or "overview"
        page.screenshot(path=str(ARTIFACTS / f"page-{role}-{lang}-{name}.png"), full_page=True)
    return True
