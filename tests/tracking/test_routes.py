"""The /api/v1/tracking REST API: sources and keys (audited), event filters and pages, channel rules, and
workspace isolation."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Role
from tests.conftest import World
from tests.tracking.conftest import KeyedSource, make_source

API = "/api/v1/tracking"
T0 = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def basic(key: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}


def test_source_lifecycle_shows_the_key_once_and_audits(
    client: TestClient, world: World, db: Session
) -> None:
    headers = world.token(Role.MARKETER)
    created = client.post(f"{API}/sources", json={"name": "iOS app", "kind": "app"}, headers=headers)
    assert created.status_code == 201
    body = created.json()
    key, source_id = body["write_key"], body["source"]["id"]
    assert key.startswith(body["source"]["write_key_prefix"])
    listed = client.get(f"{API}/sources", headers=headers).json()
    assert [s["name"] for s in listed] == ["iOS app"]
    assert key not in created.text.replace(key, "", 1)  # once, and never in a listing
    assert key not in client.get(f"{API}/sources", headers=headers).text
    assert (
        client.post(f"{API}/sources", json={"name": "iOS app"}, headers=headers).json()["code"]
        == "source_exists"
    )

    assert client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=basic(key)).status_code == 200
    rotated = client.post(f"{API}/sources/{source_id}/rotate", headers=headers).json()
    assert client.post("/v1/track", json={"userId": "u", "event": "E"}, headers=basic(key)).status_code == 401
    new_key = rotated["write_key"]
    assert (
        client.post("/v1/track", json={"userId": "u", "event": "F"}, headers=basic(new_key)).status_code
        == 200
    )
    revoked = client.delete(f"{API}/sources/{source_id}", headers=headers).json()
    assert revoked["revoked_at"] is not None
    assert (
        client.post("/v1/track", json={"userId": "u", "event": "G"}, headers=basic(new_key)).status_code
        == 401
    )
    assert (
        client.post(f"{API}/sources/{source_id}/rotate", headers=headers).json()["code"] == "source_revoked"
    )

    db.rollback()
    actions = [e.action for e in auth_service.list_audit(db, workspace_id=world.workspace.id).items]
    assert [a for a in actions if a.startswith("source.")] == [
        "source.revoked",
        "source.rotated",
        "source.created",
    ]
    db.close()


def test_events_are_filtered_and_paginated(client: TestClient, source: KeyedSource, world: World) -> None:
    batch = [
        {
            "type": "track" if i % 2 else "page",
            "event": f"Event {i % 3}" if i % 2 else None,
            "userId": f"user-{i % 2}",
            "anonymousId": f"anon-{i}",
            "messageId": f"m-{i:02d}",
            "timestamp": (T0 + timedelta(hours=i)).isoformat(),
        }
        for i in range(12)
    ]
    assert client.post("/v1/batch", json={"batch": batch}, headers=source.basic).status_code == 200
    headers = world.token(Role.ANALYST)

    def ids(query: str) -> list[str]:
        page = client.get(f"{API}/events?{query}", headers=headers)
        assert page.status_code == 200, page.text
        return sorted(e["message_id"] for e in page.json()["items"])

    assert len(ids("limit=100")) == 12
    assert ids("type=track&limit=100") == [f"m-{i:02d}" for i in range(1, 12, 2)]
    assert ids("type=track&event=Event%200") == ["m-03", "m-09"]
    assert ids("userId=user-0&limit=100") == [f"m-{i:02d}" for i in range(0, 12, 2)]
    assert ids("anonymousId=anon-7") == ["m-07"]
    assert ids("messageId=m-05") == ["m-05"]
    since, until = (T0 + timedelta(hours=3)).isoformat(), (T0 + timedelta(hours=6)).isoformat()
    assert ids(f"since={since.replace('+', '%2B')}&until={until.replace('+', '%2B')}") == [
        "m-03",
        "m-04",
        "m-05",
    ]
    first = client.get(f"{API}/events?limit=5", headers=headers).json()
    second = client.get(f"{API}/events?limit=5&offset=5", headers=headers).json()
    assert (first["total"], len(first["items"]), len(second["items"])) == (12, 5, 5)
    assert not {e["id"] for e in first["items"]} & {e["id"] for e in second["items"]}
    one = first["items"][0]
    assert client.get(f"{API}/events/{one['id']}", headers=headers).json()["message_id"] == one["message_id"]
    assert client.get(f"{API}/events/count", headers=headers).json() == {"count": 12}


def test_workspaces_never_see_each_others_tracking_data(
    client: TestClient, db: Session, world: World, other_world: World
) -> None:
    ours = make_source(db, world, "ours")
    theirs = make_source(db, other_world, "theirs")
    db.close()
    client.post("/v1/track", json={"userId": "u", "event": "Ours", "messageId": "o"}, headers=ours.basic)
    client.post(
        "/v1/batch",
        json={
            "batch": [{"type": "track", "userId": "u"}, {"type": "track", "userId": "u", "event": "Theirs"}]
        },
        headers=theirs.basic,
    )
    headers = world.token(Role.OWNER)
    events = client.get(f"{API}/events", headers=headers).json()
    assert [e["event"] for e in events["items"]] == ["Ours"]
    assert client.get(f"{API}/rejected", headers=headers).json()["total"] == 0
    assert [s["name"] for s in client.get(f"{API}/sources", headers=headers).json()] == ["ours"]
    assert client.get(f"{API}/events/count", headers=headers).json() == {"count": 1}

    their_headers = other_world.token(Role.OWNER)
    their_event = client.get(f"{API}/events", headers=their_headers).json()["items"][0]
    assert (
        client.get(f"{API}/events/{their_event['id']}", headers=headers).json()["code"] == "event_not_found"
    )
    assert (
        client.post(f"{API}/sources/{theirs.id}/rotate", headers=headers).json()["code"] == "source_not_found"
    )
    assert client.delete(f"{API}/sources/{theirs.id}", headers=headers).status_code == 404
    assert client.get(f"{API}/events?source_id={theirs.id}", headers=headers).json()["total"] == 0
    rule = {"channel": "Mine", "conditions": [{"field": "source", "op": "equals", "value": "x"}]}
    created = client.post(f"{API}/channel-rules", json=rule, headers=their_headers).json()
    assert client.get(f"{API}/channel-rules", headers=headers).json() == []
    assert client.delete(f"{API}/channel-rules/{created['id']}", headers=headers).status_code == 404


def test_channel_rules_are_ordered_and_classify(client: TestClient, world: World) -> None:
    headers = world.token(Role.MARKETER)

    def add(channel: str, field: str, op: str, value: str) -> str:
        rule = {"channel": channel, "conditions": [{"field": field, "op": op, "value": value}]}
        response = client.post(f"{API}/channel-rules", json=rule, headers=headers)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    posters = add("Posters", "source", "starts_with", "qr")
    everything = add("Catch-all", "medium", "regex", ".*")
    bad = {"channel": "Bad", "conditions": [{"field": "source", "op": "regex", "value": "("}]}
    assert (
        client.post(f"{API}/channel-rules", json=bad, headers=headers).json()["code"]
        == "invalid_channel_rule"
    )

    def classify(source: str, medium: str) -> dict[str, str]:
        body = {"source": source, "medium": medium}
        return dict(client.post(f"{API}/channel-rules/classify", json=body, headers=headers).json())

    assert classify("qr-bus-stop", "offline") == {"channel": "Posters", "rule": "custom"}
    assert classify("google", "organic") == {"channel": "Catch-all", "rule": "custom"}
    order = client.post(
        f"{API}/channel-rules/{everything}/move", json={"position": 0}, headers=headers
    ).json()
    assert [r["channel"] for r in order] == ["Catch-all", "Posters"]
    assert classify("qr-bus-stop", "offline")["channel"] == "Catch-all"
    assert client.delete(f"{API}/channel-rules/{everything}", headers=headers).status_code == 204
    assert client.delete(f"{API}/channel-rules/{posters}", headers=headers).status_code == 204
    assert classify("google", "organic") == {"channel": "Organic Search", "rule": "default"}
