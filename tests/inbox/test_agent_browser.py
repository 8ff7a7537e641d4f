"""In a real browser, two agents: one types `/` in the reply box, picks a canned response with the keyboard, sends
it, then writes a private note mentioning the other with the `n` shortcut; the other agent's page shows the
notification badge live, without reload; the customer's typing shows on the first agent's page. Screenshots
kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.schemas import CannedResponseCreate, InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import Member, World
from tests.e2e.conftest import ARTIFACTS
from tests.inbox.conftest import inbound
from tests.realtime.conftest import ThreadServer, build_app

pytestmark = pytest.mark.e2e
GREETING = "Hello! Thanks for reaching out, let me check your order."


def _signed_in(chromium: Browser, url: str, member: Member) -> Page:
    page = chromium.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    page.goto(f"{url}/signin")
    page.fill("#email", member.email)
    page.fill("#password", member.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    return page


def test_canned_response_shortcut_and_live_mention(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic, chromium: Browser
) -> None:
    service.create_canned(
        db,
        principal=world.members[Role.ADMIN].principal,
        data=CannedResponseCreate(shortcut="hello", content=GREETING),
    )
    conversation = service.receive(db, inbox_id=email_inbox.id, message=inbound()).conversation_id
    db.rollback()
    ARTIFACTS.mkdir(exist_ok=True)
    with ThreadServer(build_app(runtime)) as server:
        colleague = _signed_in(chromium, server.url, world.members[Role.AGENT])
        colleague.goto(f"{server.url}/inbox")
        expect(colleague.locator("#notification-badge")).to_have_attribute("data-unread", "0")

        agent = _signed_in(chromium, server.url, world.members[Role.ADMIN])
        agent.goto(f"{server.url}/inbox/conversations/{conversation}")
        agent.keyboard.press("?")
        expect(agent.locator("#shortcut-help")).to_be_visible()
        agent.keyboard.press("Escape")
        expect(agent.locator("#shortcut-help")).to_be_hidden()
        agent.keyboard.press("r")
        expect(agent.locator("#reply-text")).to_be_focused()
        agent.keyboard.type("/hel")
        expect(agent.locator("#canned-menu [data-shortcut=hello]")).to_be_visible()
        agent.screenshot(path=str(ARTIFACTS / "inbox-canned-menu.png"), full_page=True)
        agent.keyboard.press("Enter")
        expect(agent.locator("#reply-text")).to_have_value(GREETING)
        agent.click("#reply-form button[type=submit]")
        expect(agent.locator("#messages")).to_contain_text(GREETING)

        # The customer types (a widget repeats the signal every few seconds while typing): shown live.
        for _ in range(10):
            service.visitor_typing(db, inbox_id=email_inbox.id, source_id="alice@example.com")
            if agent.locator("#visitor-typing").is_visible():
                break
            agent.wait_for_timeout(500)
        expect(agent.locator("#visitor-typing")).to_be_visible()

        agent.keyboard.press("n")  # a private note, focused
        expect(agent.locator("#reply-form input[name=private]")).to_be_checked()
        agent.keyboard.type("@agent can you take this one?")
        agent.click("#reply-form button[type=submit]")
        expect(agent.locator("#messages [data-kind=note]")).to_contain_text("@agent can you take this one?")

        badge = colleague.locator("#notification-badge")
        expect(badge).to_have_attribute("data-unread", "1", timeout=10000)  # live, no reload
        colleague.screenshot(path=str(ARTIFACTS / "inbox-mention-badge.png"), full_page=True)
        badge.click()
        expect(colleague.locator("[data-notification]")).to_contain_text("@agent can you take this one?")
