"""The Segment-compatible collection API through the ASGI app: what is stored, and what is refused and how."""

from __future__ import annotations

import asyncio
import gzip
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.enums import TrackingTopic
from omnicx.tracking.models import Event, RejectedEvent
from tests.conftest import World
from tests.tracking.conftest import Counts, KeyedSource, make_source

ENDPOINTS = {
    "identify": {"userId": "u-1", "traits": {"email": "ana@shop.example", "plan": "pro"}},
    "track": {"userId": "u-1", "event": "Order Completed", "properties": {"total": 42.5}},
    "page": {"anonymousId": "a-1", "name": "Home", "properties": {"url": "https://shop.example/"}},
    "screen": {"anonymousId": "a-1", "name": "Cart"},
    "group": {"userId": "u-1", "groupId": "g-1", "traits": {"name": "Acme"}},
    "alias": {"userId": "u-1", "previousId": "a-1"},
}


def stored(runtime: Runtime) -> list[Event]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Event).order_by(Event.received_at, Event.message_id)))


@pytest.mark.parametrize("kind", list(ENDPOINTS))
def test_each_call_type_is_stored_with_basic_auth(
    kind: str, client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    body = {**ENDPOINTS[kind], "messageId": f"msg-{kind}"}
    response = client.post(f"/v1/{kind}", json=body, headers=source.basic)
    assert response.status_code == 200
    assert response.json() == {"success": True}
    [event] = stored(runtime)
    assert (event.type, event.message_id, str(event.source_id)) == (kind, f"msg-{kind}", source.id)
    assert event.payload["type"] == kind


def test_write_key_in_the_body_and_gzip_are_accepted(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    body = {"writeKey": source.write_key, "batch": [{"type": "track", "event": "Viewed", "anonymousId": "a"}]}
    response = client.post(
        "/v1/batch", content=gzip.compress(orjson.dumps(body)), headers={"Content-Encoding": "gzip"}
    )
    assert (response.status_code, response.json()) == (200, {"success": True})
    [event] = stored(runtime)
    assert "writeKey" not in event.payload
    assert event.message_id.startswith("omx-")  # derived from the content when the sender gave none


def test_a_retried_request_stores_nothing_twice(
    client: TestClient, source: KeyedSource, runtime: Runtime, count_rows: Callable[[], Counts]
) -> None:
    batch = {
        "batch": [{"type": "track", "event": "E", "userId": "u", "messageId": f"m{i}"} for i in range(5)]
    }
    assert client.post("/v1/batch", json=batch, headers=source.basic).status_code == 200
    after_first = count_rows()
    for _ in range(3):
        assert client.post("/v1/batch", json=batch, headers=source.basic).json() == {"success": True}
    assert count_rows() == after_first  # no event, no job, no rejection added
    assert after_first.events == 5 and after_first.jobs == 1
    # Without messageId, the same content deduplicates too.
    anonymous = {"type": "track", "event": "E", "userId": "u", "timestamp": "2026-01-01T00:00:00Z"}
    client.post("/v1/track", json=anonymous, headers=source.basic)
    client.post("/v1/track", json=anonymous, headers=source.basic)
    assert count_rows().events == 6


def test_a_partly_repeated_batch_queues_only_its_new_events_for_processing(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    def batch(numbers: range) -> dict[str, object]:
        return {
            "batch": [{"type": "track", "event": "E", "userId": "u", "messageId": f"m{i}"} for i in numbers]
        }

    assert client.post("/v1/batch", json=batch(range(3)), headers=source.basic).status_code == 200
    assert client.post("/v1/batch", json=batch(range(1, 6)), headers=source.basic).status_code == 200
    with runtime.sessions() as session:
        ids = {e.message_id: str(e.id) for e in session.scalars(select(Event))}
        payloads = [job.payload["event_ids"] for job in session.scalars(select(Job).order_by(Job.created_at))]
    assert sorted(ids) == [f"m{i}" for i in range(6)]
    assert [sorted(p) for p in payloads] == [
        sorted(ids[f"m{i}"] for i in range(3)),
        sorted(ids[f"m{i}"] for i in range(3, 6)),
    ]


def test_message_ids_deduplicate_per_workspace(
    client: TestClient, db: Session, world: World, other_world: World, runtime: Runtime
) -> None:
    ours, theirs = make_source(db, world), make_source(db, other_world)
    db.close()
    for keyed in (ours, theirs):
        client.post("/v1/track", json={"userId": "u", "event": "E", "messageId": "same"}, headers=keyed.basic)
    assert len(stored(runtime)) == 2


def test_clock_skew_is_corrected_and_all_four_times_kept(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    device_now = datetime.now(UTC) + timedelta(hours=3)  # the device's clock is 3 hours fast
    happened = device_now - timedelta(seconds=40)
    body = {
        "batch": [
            {
                "type": "track",
                "event": "E",
                "userId": "u",
                "messageId": "skew",
                "timestamp": happened.isoformat(),
            }
        ],
        "sentAt": device_now.isoformat(),
    }
    before = datetime.now(UTC)
    client.post("/v1/batch", json=body, headers=source.basic)
    after = datetime.now(UTC)
    [event] = stored(runtime)
    assert event.original_timestamp == happened
    assert event.sent_at == device_now
    assert before <= event.received_at <= after
    assert event.timestamp == event.received_at - timedelta(seconds=40)


def test_context_is_kept_and_campaign_parsed_from_the_page_url(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    context = {
        "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
        "page": {
            "url": "https://shop.example/p?utm_source=news&utm_medium=email&utm_campaign=spring&utm_term=t&utm_content=c",
            "path": "/p",
            "referrer": "https://mail.example/",
            "search": "?utm_source=news",
            "title": "Product",
        },
        "device": {"type": "ios", "model": "iPhone15,2"},
        "os": {"name": "iOS", "version": "17.0"},
        "locale": "fr-FR",
        "library": {"name": "analytics.js", "version": "2.0"},
    }
    client.post("/v1/page", json={"anonymousId": "a", "context": context}, headers=source.basic)
    client.post(
        "/v1/identify",
        json={"userId": "u", "context": {"traits": {"email": "x@y.example"}}},
        headers=source.basic,
    )
    page, identify = stored(runtime)
    kept = page.payload["context"]
    assert kept["ip"] == "testclient"
    assert kept["campaign"] == {
        "source": "news",
        "medium": "email",
        "name": "spring",
        "term": "t",
        "content": "c",
    }
    for key in ("userAgent", "page", "device", "os", "locale", "library"):
        assert kept[key] == context[key]
    assert identify.payload["context"]["traits"] == {"email": "x@y.example"}


def test_batch_keeps_valid_events_and_records_rejected_ones(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    batch = [
        {"type": "track", "event": "Good", "userId": "u", "messageId": "ok-1"},
        {"type": "track", "event": "No identity", "messageId": "bad-1"},
        {"type": "launch", "userId": "u", "messageId": "bad-2"},
        {"type": "track", "event": "Big", "userId": "u", "properties": {"blob": "x" * 33_000}},
        "not an object",
        {"type": "page", "anonymousId": "a", "messageId": "ok-2"},
        {"type": "track", "event": "Nul\x00", "userId": "u", "messageId": "bad-3"},
    ]
    response = client.post(
        "/v1/batch", json={"batch": batch, "context": {"app": {"name": "shop"}}}, headers=source.basic
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["success"], body["accepted"], body["rejected"]) == (True, 2, 5)
    assert [e["code"] for e in body["errors"]] == [
        "missing_identity",
        "invalid_type",
        "event_too_large",
        "invalid_event",
        "invalid_field",
    ]
    assert sorted(e.message_id for e in stored(runtime)) == ["ok-1", "ok-2"]
    assert all(e.payload["context"]["app"] == {"name": "shop"} for e in stored(runtime))
    listed = client.get("/api/v1/tracking/rejected", headers=world.token(Role.ANALYST)).json()
    assert listed["total"] == 5
    assert {item["code"] for item in listed["items"]} == {
        "missing_identity",
        "invalid_type",
        "event_too_large",
        "invalid_event",
        "invalid_field",
    }
    big = next(item for item in listed["items"] if item["code"] == "event_too_large")
    assert big["payload"]["bytes"] > 32 * 1024


def test_a_batch_of_only_invalid_events_is_refused_but_kept_for_inspection(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    response = client.post(
        "/v1/batch", json={"batch": [{"type": "track", "event": "x"}]}, headers=source.basic
    )
    assert response.status_code == 400
    assert response.json()["code"] == "all_events_rejected"
    with runtime.sessions() as session:
        assert session.scalars(select(RejectedEvent.code)).all() == ["missing_identity"]


def _gzip_bomb() -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = b"\0" * (1 << 20)
    return b"".join([compressor.compress(chunk) for _ in range(64)]) + compressor.flush()  # 64 MB inflated


BIG_EVENT = {"userId": "u", "event": "E", "properties": {"blob": "x" * (33 * 1024)}}
GOOD = {"userId": "u", "event": "E"}

# (name, path, raw body, extra headers, key: "good" | "wrong" | "revoked" | None, status, code)
BAD_INPUTS: list[tuple[str, str, bytes, dict[str, str], str | None, int, str]] = [
    ("invalid JSON", "/v1/track", b'{"userId": "u", "event": ', {}, "good", 400, "invalid_json"),
    ("JSON array body", "/v1/track", b"[1, 2]", {}, "good", 400, "invalid_json"),
    (
        "userId of the wrong type",
        "/v1/track",
        orjson.dumps({"userId": {"id": 1}, "event": "E"}),
        {},
        "good",
        400,
        "invalid_field",
    ),
    (
        "properties not an object",
        "/v1/track",
        orjson.dumps({**GOOD, "properties": [1]}),
        {},
        "good",
        400,
        "invalid_field",
    ),
    (
        "timestamp not ISO-8601",
        "/v1/track",
        orjson.dumps({**GOOD, "timestamp": "yesterday"}),
        {},
        "good",
        400,
        "invalid_field",
    ),
    (
        "NUL character (PostgreSQL cannot store it)",
        "/v1/track",
        orjson.dumps({**GOOD, "properties": {"x": "a\x00"}}),
        {},
        "good",
        400,
        "invalid_field",
    ),
    ("track without event", "/v1/track", orjson.dumps({"userId": "u"}), {}, "good", 400, "missing_field"),
    ("33 KB event", "/v1/track", orjson.dumps(BIG_EVENT), {}, "good", 413, "payload_too_large"),
    (
        "5 MB request",
        "/v1/batch",
        orjson.dumps({"batch": [GOOD], "pad": "x" * (5 << 20)}),
        {},
        "good",
        413,
        "payload_too_large",
    ),
    (
        "5 MB once decompressed",
        "/v1/batch",
        gzip.compress(orjson.dumps({"batch": [GOOD], "pad": "x" * (5 << 20)})),
        {"Content-Encoding": "gzip"},
        "good",
        413,
        "payload_too_large",
    ),
    ("gzip bomb", "/v1/batch", _gzip_bomb(), {"Content-Encoding": "gzip"}, "good", 413, "payload_too_large"),
    (
        "not really gzip",
        "/v1/batch",
        b"plain text",
        {"Content-Encoding": "gzip"},
        "good",
        415,
        "unsupported_encoding",
    ),
    ("unknown encoding", "/v1/batch", b"{}", {"Content-Encoding": "br"}, "good", 415, "unsupported_encoding"),
    ("empty batch", "/v1/batch", orjson.dumps({"batch": []}), {}, "good", 400, "empty_batch"),
    (
        "batch not a list",
        "/v1/batch",
        orjson.dumps({"batch": {"type": "track"}}),
        {},
        "good",
        400,
        "invalid_batch",
    ),
    ("missing ids", "/v1/track", orjson.dumps({"event": "E"}), {}, "good", 400, "missing_identity"),
    (
        "empty ids",
        "/v1/identify",
        orjson.dumps({"userId": "", "anonymousId": None}),
        {},
        "good",
        400,
        "missing_identity",
    ),
    ("no key", "/v1/track", orjson.dumps(GOOD), {}, None, 401, "invalid_write_key"),
    ("wrong key", "/v1/track", orjson.dumps(GOOD), {}, "wrong", 401, "invalid_write_key"),
    (
        "revoked key",
        "/v1/batch",
        orjson.dumps({"batch": [{**GOOD, "type": "track"}]}),
        {},
        "revoked",
        401,
        "invalid_write_key",
    ),
]


def test_bad_inputs_get_their_status_and_change_nothing(
    client: TestClient, db: Session, world: World, count_rows: Callable[[], Counts]
) -> None:
    """One database for the whole table (cheaper than one per row); every row is checked and reported."""
    good = make_source(db, world, "good")
    revoked = make_source(db, world, "revoked")
    service.revoke_source(db, workspace_id=world.workspace.id, source_id=keyed_id(revoked))
    db.close()
    keys = {
        "good": good.basic,
        "revoked": revoked.basic,
        "wrong": KeyedSource("", "", "omxw_not-a-key").basic,
    }
    failures = []
    for name, path, raw, headers, key, status, code in BAD_INPUTS:
        before = count_rows()
        auth = keys[key] if key else {}
        response = client.post(
            path, content=raw, headers={**auth, **headers, "Content-Type": "application/json"}
        )
        body = response.json()
        got = (
            response.status_code,
            body.get("code"),
            {"code", "message"} <= set(body),
            count_rows() == before,
        )
        if got != (status, code, True, True):
            failures.append(
                f"{name}: expected {(status, code, True, True)}, got {got}: {response.text[:200]}"
            )
    assert not failures, "\n".join(failures)


def keyed_id(keyed: KeyedSource) -> uuid.UUID:
    return uuid.UUID(keyed.id)


def test_a_rotated_key_replaces_the_old_one_at_once(
    client: TestClient, db: Session, world: World, runtime: Runtime
) -> None:
    keyed = make_source(db, world)
    rotated = service.rotate_source(db, workspace_id=world.workspace.id, source_id=keyed_id(keyed))
    db.close()
    assert client.post("/v1/track", json=GOOD, headers=keyed.basic).status_code == 401
    fresh = KeyedSource(id=keyed.id, name=keyed.name, write_key=rotated.write_key)
    assert client.post("/v1/track", json=GOOD, headers=fresh.basic).status_code == 200
    assert len(stored(runtime)) == 1


@pytest.mark.anyio
async def test_each_stored_request_is_announced_live(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    batch = {"batch": [{"type": "track", "event": "E", "userId": "u"}, {"type": "track", "userId": "u"}]}
    async with runtime.bus.subscribe(workspace_id=world.workspace.id) as subscription:
        await asyncio.to_thread(client.post, "/v1/batch", json=batch, headers=source.basic)
        announced = await asyncio.wait_for(anext(subscription), timeout=3)
    assert (announced.topic, announced.action) == (TrackingTopic.EVENTS, Action.TRACKING_READ)
    assert announced.data == {
        "source_id": source.id,
        "accepted": 1,
        "rejected": 1,
        "summary": f"{source.name}: 1 event received",
        "url": "/events",
    }


def test_browsers_may_call_the_api_from_any_site(client: TestClient, source: KeyedSource) -> None:
    preflight = client.options(
        "/v1/batch",
        headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    ok = client.post(
        "/v1/track", json={**GOOD, "writeKey": source.write_key}, headers={"Origin": "https://shop.example"}
    )
    refused = client.post("/v1/track", json=GOOD, headers={"Origin": "https://shop.example"})
    assert (ok.status_code, ok.headers["access-control-allow-origin"]) == (200, "*")
    assert (refused.status_code, refused.headers["access-control-allow-origin"]) == (401, "*")
    assert refused.headers["www-authenticate"].startswith("Basic")


@pytest.mark.parametrize("where", ["header", "body"])
def test_a_key_revoked_right_after_it_was_recognised_stores_nothing_more(
    client: TestClient, db: Session, world: World, source: KeyedSource, where: str
) -> None:
    """The collection gate remembers the keys it recognised for a few seconds; the store's own check is what
    refuses a key revoked meanwhile."""

    def send(message_id: str) -> int:
        body = {"userId": "u", "event": "E", "messageId": message_id}
        if where == "body":
            return client.post("/v1/track", json={**body, "writeKey": source.write_key}).status_code
        return client.post("/v1/track", json=body, headers=source.basic).status_code

    assert send("before") == 200
    service.revoke_source(db, workspace_id=world.workspace.id, source_id=uuid.UUID(source.id))
    db.close()
    assert send("after") == 401
    with Session(db.get_bind()) as session:
        assert session.scalars(select(Event.message_id)).all() == ["before"]
