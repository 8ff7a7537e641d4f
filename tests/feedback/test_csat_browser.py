"""Browser test: after the conversation is resolved, the visitor rates it with the widget's stars on the shop's
page (Debian's Chromium, real servers); the rating is stored once and the agent sees it in the conversation."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from omnicx.feedback import service
from omnicx.feedback.schemas import CsatSettingUpdate
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import ConversationStatus
from omnicx.inbox.schemas import ConversationUpdate, InboxPublic, InboxView
from omnicx.kernel.access.permissions import Role
from tests.channels.test_chat_browser import ARTIFACTS, ShopSite, browser, live
from tests.conftest import SECRET_KEY, World

pytestmark = pytest.mark.e2e
__all__ = ["browser", "live"]  # the chat browser tests' fixtures: Chromium, and omnicx on a real server


def test_the_visitor_rates_the_resolved_conversation_with_the_widgets_stars(
    browser: Browser, live: str, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    service.update_setting(
        db,
        principal=world.members[Role.OWNER].principal,
        inbox_id=chat_inbox.id,
        data=CsatSettingUpdate(enabled=True),
    )
    with ShopSite(live, chat_inbox.address) as shop:
        visitor = browser.new_page(viewport={"width": 390, "height": 760})
        visitor.goto(shop.url)
        visitor.click(".omx-launch")
        visitor.fill(".omx-form textarea", "Do you ship to Lyon?")
        visitor.click(".omx-form button[type=submit]")
        expect(visitor.locator(".omx-visitor")).to_have_text("Do you ship to Lyon?")
        [conversation] = inbox_service.list_conversations(
            db, principal=world.members[Role.OWNER].principal, view=InboxView()
        )
        inbox_service.update_conversation(
            db,
            principal=world.members[Role.AGENT].principal,
            conversation_id=conversation.id,
            data=ConversationUpdate(status=ConversationStatus.RESOLVED),
        )
        survey = service.conversation_survey(
            db, workspace_id=world.workspace.id, conversation_id=conversation.id
        )
        assert survey is not None
        assert service.ask(db, survey_id=survey.id, base_url=live, secret=SECRET_KEY)
        db.commit()

        stars = visitor.locator(f"[data-omnicx-csat='{survey.id}'] .omx-stars button")
        expect(stars).to_have_count(5, timeout=10_000)  # the question arrived live, with its stars
        expect(visitor.locator(".omx-agent")).to_contain_text("How would you rate the help you received?")
        stars.nth(3).click()
        expect(visitor.locator(".omx-csat")).to_contain_text("Thank you for your rating")
        expect(visitor.locator(".omx-stars button.omx-on")).to_have_count(4)
        expect(visitor.locator(".omx-stars button:disabled")).to_have_count(5)
        ARTIFACTS.mkdir(exist_ok=True)
        visitor.screenshot(path=str(ARTIFACTS / "chat-widget-rated.png"))

    rated = service.get_csat_survey(db, survey_id=survey.id)
    db.rollback()
    assert (rated.rating, rated.answered_via) == (4, "widget")
    agent = browser.new_page(viewport={"width": 1280, "height": 800})
    member = world.members[Role.AGENT]
    agent.goto(f"{live}/signin")
    agent.fill("#email", member.email)
    agent.fill("#password", member.password)
    agent.click("button[type=submit]")
    agent.wait_for_url(f"{live}/")
    agent.goto(f"{live}/inbox/conversations/{conversation.id}")
    expect(agent.locator("[data-event-kind='rated'] [data-rating='4']")).to_have_count(1)
