"""Browser tests: a visitor writes in the widget on a shop's page; the agent sees it appear live in the inbox and
replies; the visitor sees the reply live. A signed-in user's widget is verified, and the next user of the same
browser starts afresh. Real servers, Debian's Chromium (screenshots in test-artifacts/)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox import service as inbox_service
from omnicx.inbox import site_identity
from omnicx.inbox.schemas import InboxPublic, InboxView
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import SECRET_KEY, World
from tests.helpers import chromium_browser
from tests.realtime.conftest import ThreadServer, build_app

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SHOP = "http://127.0.0.1:9/shop.html"  # another origin (intercepted), in the same address space


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium_browser() as browser:
        yield browser


@pytest.fixture
def live(runtime: Runtime) -> Iterator[str]:
    with ThreadServer(build_app(runtime)) as server:
        yield server.url


class ShopSite:
    """A customer's website on its own loopback origin, embedding the widget like any site would."""

    def __init__(self, live: str, token: str, signed_in: dict[str, str] | None = None) -> None:
        """`signed_in`: page path -> the widget's extra attributes there (a signed-in user's identity)."""

        def page(attributes: str = "") -> bytes:
            return (
                "<!doctype html><html><head><meta name='viewport' content='width=device-width'></head>"
                "<body><h1>Lamp shop</h1>"
                f"<script src='{live}/chat/widget.js' data-omnicx-chat='{token}' {attributes} async></script>"
                "</body></html>"
            ).encode()

        pages = {path: page(attributes) for path, attributes in (signed_in or {}).items()}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                html = pages.get(self.path, page())
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(html)))
                self.end_headers()
                self.wfile.write(html)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ShopSite:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_visitor_and_agent_chat_live(
    browser: Browser, live: str, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    with ExitStack() as stack:
        _chat(stack, browser, live, db, world, chat_inbox)


def _chat(
    stack: ExitStack, browser: Browser, live: str, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    db.rollback()
    ARTIFACTS.mkdir(exist_ok=True)
    shop = stack.enter_context(ShopSite(live, chat_inbox.address))
    visitor = browser.new_page(viewport={"width": 390, "height": 760})
    visitor.goto(shop.url)
    agent = browser.new_page(viewport={"width": 1280, "height": 800})
    member = world.members[Role.AGENT]
    agent.goto(f"{live}/signin")
    agent.fill("#email", member.email)
    agent.fill("#password", member.password)
    agent.click("button[type=submit]")
    agent.wait_for_url(f"{live}/")
    agent.goto(f"{live}/inbox")
    expect(agent.locator("[data-empty]")).to_be_visible()
    agent.wait_for_timeout(300)  # let the page's event stream connect

    visitor.click(".omx-launch")
    visitor.fill(".omx-form textarea", "Is the blue lamp in stock?")
    visitor.click(".omx-form button[type=submit]")
    expect(visitor.locator(".omx-visitor")).to_have_text("Is the blue lamp in stock?")

    expect(agent.locator("#conversation-list")).to_contain_text("Is the blue lamp in stock?", timeout=10_000)
    agent.screenshot(path=str(ARTIFACTS / "inbox-live-list.png"), full_page=True)
    agent.click("#conversation-list a")
    agent.fill("#reply-text", "Yes, three left in the Lyon store.")
    agent.click("#reply-form button[type=submit]")
    expect(agent.locator("#messages")).to_contain_text("Yes, three left in the Lyon store.")

    expect(visitor.locator(".omx-agent")).to_have_text("Yes, three left in the Lyon store.", timeout=10_000)
    panel = visitor.locator(".omx-panel").bounding_box()
    assert panel is not None and panel["width"] >= 380  # full width on a phone
    visitor.screenshot(path=str(ARTIFACTS / "chat-widget-phone.png"))
    agent.screenshot(path=str(ARTIFACTS / "inbox-conversation.png"), full_page=True)


def test_a_signed_in_users_widget_is_verified_and_the_next_user_starts_afresh(
    browser: Browser, live: str, db: Session, world: World, chat_inbox: InboxPublic
) -> None:
    """The shop signs its signed-in user's id; the widget passes it. When Bob signs in on the browser Alice
    used, the widget starts a new conversation: Bob never sees Alice's."""
    secret = inbox_service.get_identity_secret(
        db, workspace_id=world.workspace.id, inbox_id=chat_inbox.id, secret_key=SECRET_KEY
    ).secret
    assert secret is not None
    alice = identity_service.resolve(
        db,
        workspace_id=world.workspace.id,
        identifiers=[Identifier(kind=IdentifierKind.USER_ID, value="u-alice")],
        traits={"name": "Alice Martin"},
    )
    db.commit()

    def signed(user_id: str, name: str) -> str:
        user_hash = site_identity.sign(secret, user_id)
        return f"data-user-id='{user_id}' data-user-name='{name}' data-user-hash='{user_hash}'"

    pages = {"/alice": signed("u-alice", "Alice Martin"), "/bob": signed("u-bob", "Bob Stone")}
    with ShopSite(live, chat_inbox.address, pages) as shop:
        tab = browser.new_page()
        tab.goto(shop.url + "alice")
        tab.click(".omx-launch")
        tab.fill(".omx-form textarea", "Where is my order?")
        tab.click(".omx-form button[type=submit]")
        expect(tab.locator(".omx-visitor")).to_have_text("Where is my order?")
        [conversation] = inbox_service.list_conversations(
            db, principal=world.members[Role.OWNER].principal, view=InboxView()
        )
        db.rollback()
        assert conversation.customer_id == alice and conversation.contact.verified

        tab.goto(shop.url + "bob")  # the same browser (origin, storage): another signed-in user
        tab.click(".omx-launch")
        expect(tab.locator(".omx-visitor")).to_have_count(0)
        tab.fill(".omx-form textarea", "Hello")
        tab.click(".omx-form button[type=submit]")
        expect(tab.locator(".omx-visitor")).to_have_text("Hello")
        found = inbox_service.list_conversations(
            db, principal=world.members[Role.OWNER].principal, view=InboxView()
        )
        db.rollback()
        bobs = [c for c in found if c.id != conversation.id]
        assert len(bobs) == 1 and bobs[0].customer_id not in (None, alice) and bobs[0].contact.verified
