"""A chat inbox's settings show the snippet that puts its widget on a website, with a copy button that works
under the app's Content-Security-Policy (no inline script: app.js gives the button its click)."""

from __future__ import annotations

import html
import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.helpers import sign_in
from tests.realtime.conftest import ThreadServer, build_app


def snippet(base_url: str, inbox: InboxPublic) -> str:
    return f'<script src="{base_url}/chat/widget.js" data-omnicx-chat="{inbox.address}" async></script>'


def test_a_chat_inbox_shows_its_embed_snippet_with_a_copy_button(
    client: TestClient, world: World, chat_inbox: InboxPublic, email_inbox: InboxPublic, settings: Settings
) -> None:
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)

    page = client.get("/settings/inboxes").text

    embed = re.search(rf'<code id="embed-{chat_inbox.id}" data-copy>(.*?)</code>', page, re.S)
    assert embed is not None
    assert html.unescape(embed.group(1)) == snippet(settings.base_url.rstrip("/"), chat_inbox)
    assert f'data-copy-target="embed-{chat_inbox.id}"' in page
    assert f'data-embed-for="{email_inbox.id}"' not in page  # only chat inboxes have a widget
    # The snippet's script is the one the app serves.
    assert client.get("/chat/widget.js").status_code == 200


@pytest.mark.e2e
def test_the_copy_button_copies_the_snippet_in_a_browser(
    runtime: Runtime, world: World, chat_inbox: InboxPublic, chromium: Browser
) -> None:
    owner = world.members[Role.OWNER]
    with ThreadServer(build_app(runtime)) as server:
        context = chromium.new_context()
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
        page = context.new_page()
        refused: list[str] = []
        page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
        page.goto(f"{server.url}/signin")
        page.fill("#email", owner.email)
        page.fill("#password", owner.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/settings/inboxes")
        page.click(f"#inbox-{chat_inbox.id} summary")
        button = page.locator(f"button[data-copy-target='embed-{chat_inbox.id}']")

        button.click()

        expect(button).to_have_attribute("data-copy-state", "copied")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == page.locator(f"#embed-{chat_inbox.id}").text_content()
        assert f'data-omnicx-chat="{chat_inbox.address}"' in copied
        assert refused == []
        context.close()
