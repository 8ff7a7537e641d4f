"""Browser test: a customer writes on WhatsApp (a signed notification); the agent sees the window open in the
conversation and answers from the inbox; the Graph API (the simulator) receives exactly the documented request.
Real servers, Debian's Chromium (screenshots in test-artifacts/)."""

from __future__ import annotations

import httpx
import orjson
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from omnicx.channels.whatsapp.simulator import WhatsAppSimulator
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.runtime import Runtime
from tests.channels.test_chat_browser import ARTIFACTS, browser, live
from tests.channels.test_sms_browser import agent_page
from tests.channels.test_whatsapp import PNID, SECRET, WA_ID, graph, wa_inbox, writes
from tests.inbox.conftest import drain_until

__all__ = ["agent_page", "browser", "graph", "live", "wa_inbox"]  # fixtures shared with other tests

pytestmark = pytest.mark.e2e


def test_an_agent_answers_a_whatsapp_conversation_and_the_graph_api_gets_the_request(
    agent_page: object,
    live: str,
    db: Session,
    runtime: Runtime,
    wa_inbox: InboxPublic,
    graph: tuple[WhatsAppSimulator, str],
) -> None:
    import hashlib
    import hmac

    assert isinstance(agent_page, Page)
    page = agent_page
    body = orjson.dumps(writes("Hola, tenen la làmpada blava?"))
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    response = httpx.post(
        f"{live}{wa_inbox.callbacks['webhook']}",
        content=body,
        headers={"Content-Type": "application/json", "X-Hub-Signature-256": signature},
    )
    assert response.status_code == 200, response.text
    page.goto(f"{live}/inbox")
    expect(page.locator("#conversation-list")).to_contain_text("Hola, tenen la làmpada blava?")
    page.click("#conversation-list a")
    expect(page.locator("[data-reply-window]")).to_have_attribute("data-reply-window", "open")
    page.fill("#reply-text", "Sí, en queden tres a la botiga de Lió.")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox-whatsapp-conversation.png"), full_page=True)
    page.click("#reply-form button[type=submit]")
    expect(page.locator("#messages")).to_contain_text("Sí, en queden tres a la botiga de Lió.")
    sim = graph[0]
    drain_until(runtime, lambda: bool(sim.sent))
    [sent] = sim.sent
    assert sent.phone_number_id == PNID
    assert {k: v for k, v in sent.body.items() if k != "biz_opaque_callback_data"} == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": WA_ID,
        "type": "text",
        "text": {"body": "Sí, en queden tres a la botiga de Lió.", "preview_url": False},
    }
