"""What the browser and mobile libraries send and fetch, over HTTP: analytics.js 2.0's one-letter paths with
`text/plain` bodies carrying `writeKey`, `/v1/b` batches, CORS preflights, the settings and source-config
endpoints (which reveal nothing but where to send), and the served bundles."""

from __future__ import annotations

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicx.kernel.runtime import Runtime
from omnicx.tracking.models import Event
from omnicx.tracking.sdk import ANALYTICS_NEXT
from tests.tracking.conftest import KeyedSource

SHORT = {
    "t": ("track", {"event": "Order Completed", "properties": {"total": 42.5}}),
    "i": ("identify", {"traits": {"plan": "pro"}}),
    "p": ("page", {"name": "Home", "properties": {"url": "https://shop.example/"}}),
    "s": ("screen", {"name": "Cart"}),
    "g": ("group", {"groupId": "g-1"}),
    "a": ("alias", {"previousId": "a-1"}),
}
TEXT = {"Content-Type": "text/plain"}


def stored(runtime: Runtime) -> list[tuple[str, str]]:
    with runtime.sessions() as session:
        return [(e.type, e.message_id) for e in session.scalars(select(Event).order_by(Event.message_id))]


@pytest.mark.parametrize("letter", list(SHORT))
def test_each_one_letter_path_stores_its_type_from_a_text_plain_body(
    letter: str, client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    kind, fields = SHORT[letter]
    body = {**fields, "userId": "u-1", "messageId": f"ajs-{letter}", "writeKey": source.write_key}
    response = client.post(f"/v1/{letter}", content=orjson.dumps(body), headers=TEXT)
    assert (response.status_code, response.json()) == (200, {"success": True})
    assert response.headers["access-control-allow-origin"] == "*"
    assert stored(runtime) == [(kind, f"ajs-{letter}")]


def test_a_v1_b_batch_is_stored_once_however_often_it_is_retried(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    batch = [
        {
            "type": "track",
            "event": "Viewed",
            "anonymousId": "a",
            "messageId": "m1",
            "writeKey": source.write_key,
        },
        {"type": "identify", "userId": "u", "messageId": "m2", "writeKey": source.write_key},
    ]
    body = orjson.dumps({"batch": batch, "sentAt": "2026-01-01T00:00:00Z", "writeKey": source.write_key})
    for _ in range(2):
        assert client.post("/v1/b", content=body, headers=TEXT).json() == {"success": True}
    assert stored(runtime) == [("track", "m1"), ("identify", "m2")]


def test_the_mobile_libraries_v1_b_batch_with_basic_auth_is_stored(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    # analytics-swift and analytics-kotlin: JSON, key as the Basic user name, no writeKey in the body.
    body = {"batch": [{"type": "screen", "name": "Cart", "anonymousId": "a", "messageId": "m"}]}
    response = client.post("/v1/b", json=body, headers=source.basic)
    assert response.json() == {"success": True}
    assert stored(runtime) == [("screen", "m")]


def test_a_beacon_batch_is_keyed_by_its_address(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    # RudderStack's sendBeacon: text/plain, no header, the key in the query string.
    body = orjson.dumps(
        {"batch": [{"type": "track", "event": "Left", "anonymousId": "a", "messageId": "b1"}]}
    )
    response = client.post(f"/beacon/v1/batch?writeKey={source.write_key}", content=body, headers=TEXT)
    assert response.json() == {"success": True}
    refused = client.post("/beacon/v1/batch?writeKey=omxw_unknown", content=body, headers=TEXT)
    assert (refused.status_code, refused.json()["code"]) == (401, "invalid_write_key")
    assert stored(runtime) == [("track", "b1")]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b'{"writeKey": "omxw_unknown", "event": "E", "userId": "u"}', 401, "invalid_write_key"),
        (b'{"event": "E", "userId": "u"}', 401, "invalid_write_key"),
    ],
)
def test_bad_input_on_a_short_path_is_a_structured_4xx(
    body: bytes, status: int, code: str, client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    if code == "invalid_json":
        body = b'{"writeKey": "' + source.write_key.encode() + b'", ' + body
    response = client.post("/v1/t", content=body, headers=TEXT)
    assert response.status_code == status
    assert response.json()["code"] == code and response.json()["message"]
    assert response.headers["access-control-allow-origin"] == "*"
    assert stored(runtime) == []


@pytest.mark.parametrize("path", ["/v1/t", "/v1/b", "/v1/rudderstack/sourceConfig/"])
def test_the_preflight_allows_the_headers_the_libraries_send(client: TestClient, path: str) -> None:
    response = client.options(
        path,
        headers={
            "Origin": "https://shop.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type,x-retry-count,anonymousid",
        },
    )
    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "*"
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "x-retry-count", "anonymousid"} <= allowed


def test_the_settings_say_where_to_send_and_nothing_else(client: TestClient, source: KeyedSource) -> None:
    response = client.get(f"/v1/projects/{source.write_key}/settings")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    settings = response.json()
    assert settings["integrations"] == {
        "Segment.io": {"apiKey": source.write_key, "apiHost": "127.0.0.1:8000/v1", "protocol": "http"}
    }
    assert settings["metrics"] == {"sampleRate": 0}  # the library reports nothing to Segment
    text = response.text
    assert source.id not in text and "website" not in text  # neither the source nor its name


def test_the_rudderstack_source_config_names_an_enabled_source_without_destinations(
    client: TestClient, source: KeyedSource
) -> None:
    by_header = client.get("/v1/rudderstack/sourceConfig/?p=npm&v=3", headers=source.basic).json()
    by_query = client.get(f"/v1/rudderstack/sourceConfig/?writeKey={source.write_key}").json()
    assert by_header == by_query
    assert by_header["source"] == {
        "id": source.id,
        "writeKey": source.write_key,
        "enabled": True,
        "config": {},
        "destinations": [],
    }


@pytest.mark.parametrize(
    "path", ["/v1/projects/omxw_unknown/settings", "/v1/rudderstack/sourceConfig/?writeKey=omxw_unknown"]
)
def test_an_unknown_key_gets_the_collection_apis_refusal(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.json() == {"code": "invalid_write_key", "message": "the write key is unknown or revoked"}


@pytest.mark.skipif(not (ANALYTICS_NEXT / "index.js").is_file(), reason="./setup installs the bundles")
def test_the_bundle_is_served_with_cache_headers(client: TestClient) -> None:
    response = client.get("/analytics-next/bundles/index.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age" in response.headers["cache-control"]
    assert b"AnalyticsNext" in response.content
    assert client.get("/analytics-next/bundles/nothing.js").status_code == 404
