"""Screenshots for the user guide, taken from a freshly seeded `omnicx demo` by a real browser.

    python scripts/screenshots.py                  # docs/images/*.png, English
    python scripts/screenshots.py --lang fr --out /tmp/shots

Starts `omnicx demo --size small --no-live` in a temporary data directory, signs in as the roles the guide
follows, and saves one PNG per page listed in SHOTS, so the guide's pictures always show the current product.
Needs what `./setup` installs (Playwright and Debian's Chromium).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urljoin

import httpx
from playwright.sync_api import Page, sync_playwright

CHROMIUM = os.environ.get("OMNICX_CHROMIUM", "/usr/bin/chromium")
SIGNIN_LINE = re.compile(r"^signin (\w+) (\S+) (\S+)$")
ROOT = Path(__file__).resolve().parent.parent


def _first_link(selector: str) -> Callable[[Page], None]:
    """Follow the first link matching `selector` on the current page (a conversation, a customer, an order)."""

    def follow(page: Page) -> None:
        href = page.locator(selector).first.get_attribute("href")
        if href:
            page.goto(urljoin(page.url, href))

    return follow


@dataclass(frozen=True)
class Shot:
    name: str
    role: str
    path: str
    then: Callable[[Page], None] | None = None
    full_page: bool = True


SHOTS = [
    Shot("overview", "owner", "/"),
    Shot("inbox", "agent", "/inbox?view=all&status=open"),
    Shot(
        "conversation",
        "agent",
        "/inbox?view=all&status=open",
        _first_link("a[href^='/inbox/conversations/']"),
    ),
    Shot("inbox-reports", "admin", "/inbox/reports"),
    Shot("attribution", "marketer", "/attribution"),
    Shot("funnels", "analyst", "/journeys/funnels"),
    Shot("paths", "analyst", "/journeys/paths"),
    Shot("journey-map", "analyst", "/journeys/map"),
    Shot("channel-usage", "analyst", "/journeys/usage"),
    Shot("channel-overlap", "analyst", "/journeys/overlap"),
    Shot("customers", "marketer", "/customers", full_page=False),
    Shot("customer", "marketer", "/customers", _first_link("a[href^='/customers/']")),
    Shot("orders", "admin", "/commerce", full_page=False),
    Shot("order", "admin", "/commerce", _first_link("a[href^='/commerce/orders/']")),
    Shot("pickup", "agent", "/commerce/pickup"),
    Shot("stock", "admin", "/commerce/stock", full_page=False),
    Shot("events", "analyst", "/events", full_page=False),
    Shot("sources", "admin", "/settings/sources"),
    Shot("settings-members", "owner", "/settings/members"),
    Shot("settings-inboxes", "admin", "/settings/inboxes"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_demo() -> Iterator[tuple[str, dict[str, tuple[str, str]]]]:
    """`omnicx demo --size small --no-live` on a free port; yields its URL and the printed sign-ins."""
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="omnicx-shots-") as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMNICX_")}
        env["OMNICX_DATA_DIR"] = data_dir
        command = [str(Path(sys.executable).parent / "omnicx"), "demo", "--size", "small", "--no-live"]
        process = subprocess.Popen(  # noqa: S603 (our own installed command, fixed arguments)
            [*command, "--port", str(port), "--providers-port", str(_free_port())],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        credentials: dict[str, tuple[str, str]] = {}
        for line in process.stdout:
            print(line, end="", file=sys.stderr)
            if match := SIGNIN_LINE.match(line.strip()):
                credentials[match.group(1)] = (match.group(2), match.group(3))
            if len(credentials) == 6:
                break
        seeded = (
            threading.Event()
        )  # the demo serves first and seeds its world behind: wait for the whole world
        threading.Thread(target=_read_until_seeded, args=(process.stdout, seeded), daemon=True).start()
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url)
            if not seeded.wait(timeout=600):
                raise SystemExit("omnicx demo did not finish seeding its world")
            yield url, credentials
        finally:
            process.terminate()
            process.wait(timeout=15)


def _read_until_seeded(stream: IO[str], seeded: threading.Event) -> None:
    """Keep reading what the demo prints (a full pipe would block it); `seeded` once its world is whole."""
    for line in stream:
        if line.strip() == "seeded":
            seeded.set()


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit("omnicx demo did not become ready")


def take(url: str, credentials: dict[str, tuple[str, str]], out: Path, lang: str) -> list[Path]:
    """Sign in once per role, visit each shot's page, wait for charts, save the PNGs."""
    out.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        pages: dict[str, Page] = {}
        for shot in SHOTS:
            page = pages.get(shot.role) or _signed_in(
                browser.new_page(viewport={"width": 1440, "height": 900}), url, credentials[shot.role], lang
            )
            pages[shot.role] = page
            page.goto(url + shot.path)
            if shot.then is not None:
                shot.then(page)
            page.wait_for_load_state("networkidle")
            _wait_for_charts(page)
            target = out / f"{shot.name}.png"
            page.screenshot(path=str(target), full_page=shot.full_page)
            saved.append(target)
            print(f"saved {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")
        browser.close()
    return saved


def _signed_in(page: Page, url: str, credential: tuple[str, str], lang: str) -> Page:
    page.context.add_cookies([{"name": "omnicx_lang", "value": lang, "url": url}])
    page.goto(f"{url}/signin")
    page.fill("#email", credential[0])
    page.fill("#password", credential[1])
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def _wait_for_charts(page: Page) -> None:
    charts = page.locator("[data-vega-spec]")
    for index in range(charts.count()):
        charts.nth(index).and_(page.locator("[data-rendered]")).wait_for(timeout=15_000)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images")
    parser.add_argument("--lang", default="en", choices=["en", "fr", "id", "ca"])
    args = parser.parse_args()
    with running_demo() as (url, credentials):
        take(url, credentials, args.out, args.lang)


if __name__ == "__main__":
    main()
