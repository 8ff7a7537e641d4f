"""Pages: the live event debugger, Settings → Sources and Settings → Channels, driven like a browser."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.helpers import session_csrf, sign_in
from tests.tracking.conftest import KeyedSource


def browser(client: TestClient, world: World, runtime: Runtime, role: Role = Role.MARKETER) -> dict[str, str]:
    member = world.members[role]
    sign_in(client, member.email, member.password)
    return session_csrf(client, runtime.settings.resolved_secret_key)


def test_debugger_lists_events_and_rejections_live(
    client: TestClient, source: KeyedSource, world: World, runtime: Runtime
) -> None:
    batch = [
        {"type": "track", "event": "Checkout Started", "userId": "u-7", "messageId": "dbg-1"},
        {"type": "track", "userId": "u-7", "messageId": "dbg-2"},
    ]
    client.post("/v1/batch", json={"batch": batch}, headers=source.basic)
    browser(client, world, runtime, Role.ANALYST)
    page = client.get("/events")
    assert page.status_code == 200
    assert "Checkout Started" in page.text and "dbg-1" in page.text
    assert 'hx-trigger="every 2s"' in page.text
    assert 'data-nav="events"' in page.text
    feed = client.get(f"/events/feed?source_id={source.id}")
    assert feed.status_code == 200 and "Checkout Started" in feed.text and "<html" not in feed.text
    rejected = client.get("/events?view=rejected")
    assert "missing_field" in rejected.text and "dbg-2" in rejected.text


def test_sources_page_creates_rotates_and_revokes(client: TestClient, world: World, runtime: Runtime) -> None:
    headers = browser(client, world, runtime)
    created = client.post("/settings/sources", data={"name": "Storefront", "kind": "web"}, headers=headers)
    assert created.status_code == 201
    key = re.search(r'id="new-write-key">([^<]+)<', created.text)
    assert key is not None
    assert client.get("/settings/sources").text.count(key.group(1)) == 0  # shown once
    french = client.get("/settings/sources", headers={"accept-language": "fr"}).text
    assert re.search(r'data-kind="web">Site web<', french)  # a kind by its name, in the reader's language
    assert '<option value="import">Import</option>' in french and ">web</option>" not in french
    source_id = re.search(r'id="source-([0-9a-f-]+)"', created.text)
    assert source_id is not None
    rotated = client.post(f"/settings/sources/{source_id.group(1)}/rotate", headers=headers)
    new_key = re.search(r'id="new-write-key">([^<]+)<', rotated.text)
    assert new_key is not None and new_key.group(1) != key.group(1)
    revoked = client.post(
        f"/settings/sources/{source_id.group(1)}/revoke", headers=headers, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert "Revoked" in client.get("/settings/sources").text
    duplicate = client.post("/settings/sources", data={"name": "Storefront"}, headers=headers)
    assert duplicate.status_code == 409 and 'role="alert"' in duplicate.text


def test_channels_page_adds_moves_tries_and_deletes_rules(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    headers = browser(client, world, runtime)
    form = {
        "channel": "Posters",
        "field": ["source", "medium", "campaign"],
        "op": ["starts_with", "equals", "contains"],
        "value": ["qr", "", ""],
    }
    assert (
        client.post("/settings/channels", data=form, headers=headers, follow_redirects=False).status_code
        == 303
    )
    form2 = {"channel": "Radio", "field": ["medium"], "op": ["equals"], "value": ["radio"]}
    client.post("/settings/channels", data=form2, headers=headers)
    page = client.get("/settings/channels?source=qr-42&medium=offline")
    assert page.status_code == 200
    assert re.search(r'id="classify-result">.*Posters', page.text)
    assert "Organic Search" in page.text  # the default group is listed
    rule_ids = re.findall(r'id="rule-([0-9a-f-]+)"', page.text)
    assert len(rule_ids) == 2
    client.post(f"/settings/channels/{rule_ids[1]}/move", data={"position": "0"}, headers=headers)
    assert re.findall(r'id="rule-([0-9a-f-]+)"', client.get("/settings/channels").text) == rule_ids[::-1]
    bad = client.post("/settings/channels", data={**form2, "op": ["regex"], "value": ["("]}, headers=headers)
    assert bad.status_code == 422 and 'role="alert"' in bad.text
    for rule_id in rule_ids:
        client.post(f"/settings/channels/{rule_id}/delete", headers=headers)
    assert "No custom rules" in client.get("/settings/channels").text


def test_settings_pages_are_for_tracking_managers_only(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    browser(client, world, runtime, Role.ANALYST)
    assert client.get("/settings/sources").status_code == 403
    assert client.get("/events").status_code == 200


def test_a_new_key_comes_with_a_snippet_per_library_with_the_key_filled_in(
    client: TestClient, world: World, runtime: Runtime
) -> None:
    headers = browser(client, world, runtime)
    created = client.post("/settings/sources", data={"name": "Shop", "kind": "web"}, headers=headers)
    key = re.search(r'id="new-write-key">([^<]+)<', created.text)
    assert key is not None
    base = runtime.settings.base_url.rstrip("/")
    for library in ("analytics-next", "rudderstack", "swift", "kotlin"):
        snippet = re.search(rf'id="snippet-{library}">([^<]+)<', created.text, re.S)
        assert snippet is not None and key.group(1) in snippet.group(1)
    assert f"&lt;script src=&#34;{base}/analytics-next/bundles/index.js&#34;&gt;" in created.text
    assert "snippet-" not in client.get("/settings/sources").text  # like the key, shown once
