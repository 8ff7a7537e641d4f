"""In a real browser at 1366x768: the inbox is one screen of three panes. Clicking a conversation loads its
thread and its customer side by side without reloading the page and pushes its URL; `j` opens the next one; a
message arriving moves its conversation up the list live; the document never scrolls sideways nor grows past
the window. At tablet width the customer pane folds behind a button; on a phone the panes stack. Screenshots
kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import Member, World
from tests.e2e.conftest import ARTIFACTS
from tests.inbox.conftest import inbound
from tests.realtime.conftest import ThreadServer, build_app

pytestmark = pytest.mark.e2e
SENDERS = ["dana", "eli", "farah", "gus", "hana", "ivo", "jun", "kim", "lea", "max", "noor", "omar"]
TEXT = (
    "Hello, my order {n} has not arrived yet and the tracking page has not moved since Monday. Can you check?"
)


def _signed_in(chromium: Browser, url: str, member: Member, width: int, height: int) -> Page:
    page = chromium.new_context(viewport={"width": width, "height": height}).new_page()
    page.goto(f"{url}/signin")
    page.fill("#email", member.email)
    page.fill("#password", member.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def _fits(page: Page) -> dict[str, int]:
    return page.evaluate(
        """() => ({scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
                  scrollHeight: document.documentElement.scrollHeight, innerHeight: window.innerHeight})"""
    )


def _seed(db: Session, world: World, inbox: InboxPublic) -> list[str]:
    now = datetime.now(UTC)
    ids = []
    for n, name in enumerate(SENDERS):
        got = service.receive(
            db,
            inbox_id=inbox.id,
            message=inbound(f"{name}@example.com", TEXT.format(n=n)),
            now=now - timedelta(minutes=20 * (len(SENDERS) - n)),
        )
        ids.append(str(got.conversation_id))
    service.update_conversation(
        db,
        principal=world.members[Role.ADMIN].principal,
        conversation_id=got.conversation_id,
        data=ConversationUpdate(priority="urgent"),
    )
    db.rollback()
    return ids


def test_three_panes_side_by_side_in_one_screen(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic, chromium: Browser
) -> None:
    ids = _seed(db, world, email_inbox)
    ARTIFACTS.mkdir(exist_ok=True)
    with ThreadServer(build_app(runtime)) as server:
        page = _signed_in(chromium, server.url, world.members[Role.AGENT], 1366, 768)
        page.goto(f"{server.url}/inbox?sort=recent")
        expect(page.locator("#conversation-list li[data-conversation]")).to_have_count(len(ids))
        page.evaluate("() => { window.__samePage = true; }")  # gone if the page were reloaded

        row = page.locator(f'#conversation-list li[data-conversation="{ids[3]}"] a')
        row.click()
        expect(page).to_have_url(f"{server.url}/inbox/conversations/{ids[3]}?sort=recent")
        expect(page.locator("#messages")).to_contain_text(TEXT.format(n=3))
        thread, customer = page.locator(".pane-thread"), page.locator("#customer-pane")
        expect(customer).to_be_visible()
        expect(page.locator("#customer-sidebar")).to_contain_text("gus@example.com")
        assert page.evaluate("() => window.__samePage") is True
        listed, shown, side = (
            page.locator(s).bounding_box() for s in (".pane-list", ".pane-thread", "#customer-pane")
        )
        assert listed and shown and side
        assert listed["x"] + listed["width"] <= shown["x"] and shown["x"] + shown["width"] <= side["x"]
        assert abs(shown["y"] - side["y"]) < 2 and side["x"] + side["width"] <= 1366
        expect(page.locator(f'li[data-conversation="{ids[3]}"]')).to_have_attribute("aria-current", "true")
        page.screenshot(path=str(ARTIFACTS / "inbox-workspace-1366.png"))
        fits = _fits(page)
        assert fits["scrollWidth"] <= fits["clientWidth"], fits
        assert fits["scrollHeight"] <= fits["innerHeight"], fits
        assert thread.bounding_box()["height"] <= 768  # type: ignore[index]

        page.keyboard.press("j")  # the next conversation of the list (the recent order: older)
        expect(page.locator("[data-open-conversation]")).to_have_attribute("data-open-conversation", ids[2])
        expect(page).to_have_url(f"{server.url}/inbox/conversations/{ids[2]}?sort=recent")
        page.keyboard.press("r")
        expect(page.locator("#reply-text")).to_be_focused()
        page.locator("#reply-text").blur()

        # A customer writes again in an old conversation: its row moves to the top, live.
        service.receive(db, inbox_id=email_inbox.id, message=inbound("dana@example.com", "Any news at all?"))
        db.rollback()
        first = page.locator("#conversation-list li[data-conversation]").first
        expect(first).to_have_attribute("data-conversation", ids[0], timeout=10000)
        expect(first.locator(".row-preview")).to_have_text("Any news at all?")
        expect(page.locator(f'li[data-conversation="{ids[2]}"]')).to_have_attribute("aria-current", "true")
        assert page.evaluate("() => window.__samePage") is True

        page.go_back()
        expect(page).to_have_url(f"{server.url}/inbox/conversations/{ids[3]}?sort=recent")
        expect(page.locator("[data-open-conversation]")).to_have_attribute("data-open-conversation", ids[3])

        tablet = _signed_in(chromium, server.url, world.members[Role.AGENT], 800, 1000)
        tablet.goto(f"{server.url}/inbox/conversations/{ids[3]}?sort=recent")
        expect(tablet.locator("#messages")).to_be_visible()
        expect(tablet.locator("#customer-pane")).to_be_hidden()
        tablet.click("[data-customer-toggle]")
        expect(tablet.locator("#customer-pane")).to_be_visible()
        fits = _fits(tablet)
        assert fits["scrollWidth"] <= fits["clientWidth"], fits
        tablet.screenshot(path=str(ARTIFACTS / "inbox-workspace-800-open.png"))
        tablet.click("[data-customer-toggle]")
        expect(tablet.locator("#customer-pane")).to_be_hidden()
        tablet.screenshot(path=str(ARTIFACTS / "inbox-workspace-800.png"))

        phone = _signed_in(chromium, server.url, world.members[Role.AGENT], 390, 844)
        phone.goto(f"{server.url}/inbox/conversations/{ids[3]}?sort=recent")
        listed, shown, side = (
            phone.locator(s).bounding_box() for s in (".pane-list", ".pane-thread", "#customer-pane")
        )
        assert listed and shown and side  # stacked: the list, the thread, then the customer
        assert listed["y"] + listed["height"] <= shown["y"] and shown["y"] + shown["height"] <= side["y"]
        fits = _fits(phone)
        assert fits["scrollWidth"] <= fits["clientWidth"], fits
        phone.screenshot(path=str(ARTIFACTS / "inbox-workspace-390.png"), full_page=True)
