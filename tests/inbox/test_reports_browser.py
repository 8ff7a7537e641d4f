"""In a real browser: the inbox reports page draws its two charts (trend per day; response and resolution times
per agent) from the Altair specs, and the conversation sidebar shows the detected intent. Screenshots kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.inbox import service
from omnicx.inbox.models import Conversation
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.e2e.conftest import ARTIFACTS
from tests.inbox.conftest import inbound
from tests.realtime.conftest import ThreadServer, build_app

pytestmark = pytest.mark.e2e


def test_reports_page_draws_its_charts_and_the_sidebar_shows_the_intent(
    runtime: Runtime, db: Session, world: World, email_inbox: InboxPublic, chromium: Browser
) -> None:
    day = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    first = None
    for n in range(6):
        created = day + timedelta(days=n % 3, hours=n)
        got = service.receive(
            db,
            inbox_id=email_inbox.id,
            message=inbound(f"c{n}@example.com", "Where is my order?"),
            now=created,
        )
        first = first or got.conversation_id
        conversation = db.get(Conversation, got.conversation_id)
        assert conversation is not None
        conversation.first_reply_at = created + timedelta(minutes=20 * (n + 1))
        db.commit()
    analytics_service.sync(runtime)  # the report reads the analytics copy
    analyst = world.members[Role.ANALYST]
    with ThreadServer(build_app(runtime)) as server:
        page = chromium.new_context(viewport={"width": 1280, "height": 1200}).new_page()
        page.goto(f"{server.url}/signin")
        page.fill("#email", analyst.email)
        page.fill("#password", analyst.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/inbox")
        page.click("#inbox-reports-link")
        page.wait_for_url(f"{server.url}/inbox/reports")
        page.goto(f"{server.url}/inbox/reports?date_from=2026-03-01&date_to=2026-03-07&dimension=agent")
        expect(page.locator("#inbox-trend-chart svg").first).to_be_visible(timeout=10000)
        expect(page.locator("#inbox-times-chart svg").first).to_be_visible(timeout=10000)
        expect(page.locator("#report-totals")).to_contain_text("6")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "inbox-reports.png"), full_page=True)
        page.goto(f"{server.url}/inbox/conversations/{first}")
        expect(page.locator("#conversation-insights [data-intent=order_status]")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "inbox-conversation-intent.png"), full_page=True)
