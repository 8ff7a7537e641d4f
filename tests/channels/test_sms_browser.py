"""Browser test: an SMS arrives through Twilio's signed webhook; the agent opens it in the inbox, sees what the
reply will cost in SMS while typing (counted in the page exactly as the server counts), and answers; Twilio's
API (the simulator) receives the reply. Real servers, Debian's Chromium (screenshots in test-artifacts/)."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator

from omnicx.channels.sms import segments, twilio
from omnicx.channels.sms.simulator import TwilioSimulator
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.channels.test_chat_browser import ARTIFACTS, browser, live
from tests.channels.test_sms import ACCOUNT, CUSTOMER, NUMBER, TOKEN, incoming, simulator, sms_inbox
from tests.conftest import World
from tests.inbox.conftest import drain_until

__all__ = ["browser", "live", "simulator", "sms_inbox"]  # fixtures shared with the chat and SMS tests

pytestmark = pytest.mark.e2e

TEXTS = ["", "Your lamp is ready", "a" * 161, "Prêt à 18 h, merci 🙏", "{curly} ~ [square] €5", "ü" * 71]


@pytest.fixture
def agent_page(browser: Browser, live: str, world: World) -> Iterator[object]:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    member = world.members[Role.AGENT]
    page.goto(f"{live}/signin")
    page.fill("#email", member.email)
    page.fill("#password", member.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/")
    yield page
    page.close()


def test_an_agent_answers_an_sms_and_sees_its_cost_while_typing(
    agent_page: object,
    live: str,
    db: Session,
    runtime: Runtime,
    settings: Settings,
    sms_inbox: InboxPublic,
    simulator: tuple[TwilioSimulator, str],
) -> None:
    from playwright.sync_api import Page

    assert isinstance(agent_page, Page)
    page = agent_page
    path = sms_inbox.callbacks["messages"]
    params = incoming(body="Can I pick up my lamp today?")
    signature = RequestValidator(TOKEN).compute_signature(settings.base_url.rstrip("/") + path, params)
    response = httpx.post(
        f"{live}{path}",
        content=urlencode(params),
        headers={"Content-Type": "application/x-www-form-urlencoded", twilio.SIGNATURE_HEADER: signature},
    )
    assert response.status_code == 200, response.text
    page.goto(f"{live}/inbox")
    expect(page.locator("#conversation-list")).to_contain_text("Can I pick up my lamp today?")
    page.click("#conversation-list a")
    counter = page.locator("[data-sms-segments]")
    for text in TEXTS:
        page.fill("#reply-text", text)
        expected = segments.count(text)
        expect(counter).to_have_attribute("data-segments", str(expected.segments))
        expect(counter).to_have_attribute("data-encoding", expected.encoding.value)
        expect(counter).to_contain_text(f"{expected.units} ")
    page.fill("#reply-text", "Yes, from 2 pm at the Lyon store.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-sms-conversation.png"), full_page=True)
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("Yes, from 2 pm at the Lyon store.")
    sim = simulator[0]
    drain_until(runtime, lambda: bool(sim.sent))
    [sent] = sim.sent
    assert (sent.account_sid, sent.form["From"], sent.form["To"]) == (ACCOUNT, NUMBER, CUSTOMER)
    assert sent.form["Body"] == "Yes, from 2 pm at the Lyon store."
