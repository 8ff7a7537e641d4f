"""Live chat: a visitor's session, messages and live replies through the public endpoints, identity through
the tracking anonymous id, isolation of visitors and of workspaces (over SSE too)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.inbox.conftest import drain
from tests.realtime.conftest import ThreadServer, build_app
from tests.realtime.sse import open_stream


def visitor_session(
    client: httpx.Client | TestClient, token: str, anonymous_id: str | None = None
) -> dict[str, str]:
    response = client.post(f"/chat/{token}/session", content=json.dumps({"anonymous_id": anonymous_id}))
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == "*"
    return dict(response.json())


def say(
    client: httpx.Client | TestClient, token: str, visitor: dict[str, str], text: str, **extra: str
) -> httpx.Response:
    body = {**visitor, "text": text, **extra}
    return client.post(
        f"/chat/{token}/messages", content=json.dumps(body), headers={"Content-Type": "text/plain"}
    )


def history(client: httpx.Client | TestClient, token: str, visitor: dict[str, str]) -> list[dict[str, str]]:
    response = client.get(
        f"/chat/{token}/messages",
        params={"visitor": visitor["visitor_id"], "signature": visitor["signature"]},
    )
    assert response.status_code == 200, response.text
    return list(response.json()["messages"])


def test_a_visitor_chats_and_sees_replies_but_never_notes(
    client: TestClient, db: Session, runtime: Runtime, world: World, chat_inbox: InboxPublic
) -> None:
    token = chat_inbox.address
    assert client.get("/chat/widget.js").headers["content-type"].startswith("text/javascript")
    visitor = visitor_session(client, token, anonymous_id="anon-42")
    assert (
        say(
            client, token, visitor, "Hi, is the blue lamp in stock?", client_id="c1", anonymous_id="anon-42"
        ).status_code
        == 201
    )
    assert (
        say(
            client, token, visitor, "Hi, is the blue lamp in stock?", client_id="c1", anonymous_id="anon-42"
        ).status_code
        == 201
    )
    [conversation] = client.get("/api/v1/inbox/conversations", headers=world.token(Role.AGENT)).json()
    customer = identity_service.customer_for(
        db,
        workspace_id=world.workspace.id,
        identifier=Identifier(kind=IdentifierKind.ANONYMOUS_ID, value="anon-42"),
    )
    db.rollback()
    assert customer is not None and conversation["customer_id"] == str(customer)
    agent = world.token(Role.AGENT)
    url = f"/api/v1/inbox/conversations/{conversation['id']}/messages"
    assert client.post(url, json={"text": "note: VIP", "private": True}, headers=agent).status_code == 201
    assert client.post(url, json={"text": "Yes, we have 3."}, headers=agent).status_code == 201
    drain(runtime)
    seen = [(m["from"], m["text"]) for m in history(client, token, visitor)]
    assert seen == [("visitor", "Hi, is the blue lamp in stock?"), ("agent", "Yes, we have 3.")]


def test_visitors_need_their_signature(client: TestClient, chat_inbox: InboxPublic) -> None:
    token = chat_inbox.address
    alice = visitor_session(client, token)
    say(client, token, alice, "secret question")
    mallory = visitor_session(client, token)
    forged = {"visitor_id": alice["visitor_id"], "signature": mallory["signature"]}
    assert say(client, token, forged, "hi").status_code == 401
    response = client.get(
        f"/chat/{token}/messages", params={"visitor": alice["visitor_id"], "signature": "x"}
    )
    assert response.status_code == 401
    assert history(client, token, mallory) == []
    assert client.post("/chat/nope/session", content="{}").status_code == 404


@pytest.fixture
def live(runtime: Runtime) -> Iterator[str]:
    with ThreadServer(build_app(runtime)) as server:
        yield server.url


def test_replies_reach_the_visitor_live_and_stay_in_their_workspace(
    live: str, runtime: Runtime, world: World, other_world: World, chat_inbox: InboxPublic, db: Session
) -> None:
    db.rollback()
    token = chat_inbox.address
    with httpx.Client(base_url=live, timeout=5) as http:
        visitor = visitor_session(http, token)
        assert say(http, token, visitor, "Hello?").status_code == 201
        [conversation] = http.get("/api/v1/inbox/conversations", headers=world.token(Role.AGENT)).json()
        params = {"visitor": visitor["visitor_id"], "signature": visitor["signature"]}
        with (
            http.stream("GET", f"/chat/{token}/stream", params=params) as response,
            open_stream(live, headers=world.token(Role.VIEWER), params={"topics": "inbox"}) as agent_stream,
            open_stream(
                live, headers=other_world.token(Role.OWNER), params={"topics": "inbox"}, timeout=1
            ) as stranger,
        ):
            assert response.status_code == 200
            lines = response.iter_lines()
            assert next(lines).startswith(":")
            url = f"/api/v1/inbox/conversations/{conversation['id']}/messages"
            http.post(url, json={"text": "psst", "private": True}, headers=world.token(Role.AGENT))
            http.post(url, json={"text": "Hi there!"}, headers=world.token(Role.AGENT))
            event_lines = []
            for line in lines:
                event_lines.append(line)
                if line.startswith("data:"):
                    break
            assert "event: reply" in event_lines
            topics = agent_stream.events_until("inbox.message.created")
            assert topics[-1] == "inbox.message.created"
            assert agent_stream.next_event().payload["data"]["conversation_id"] == conversation["id"]
            # The other workspace hears nothing of it.
            assert _next_event_or_none(stranger) is None


def _next_event_or_none(stream) -> object | None:  # type: ignore[no-untyped-def]
    try:
        return stream.next_event()
    except httpx.ReadTimeout:
        return None


def test_a_burst_of_sends_and_retries_stores_each_message_once(live: str, chat_inbox: InboxPublic) -> None:
    """Messages posted at once share group commits: every retry of a send (same client id), in the same batch
    or not, answers with the one stored message, and every distinct send is stored."""
    token = chat_inbox.address
    with httpx.Client(base_url=live, timeout=30) as setup:
        visitors = [visitor_session(setup, token) for _ in range(4)]
    sends = [(v, n) for v in range(4) for n in range(6) for _ in range(3)]  # each send three times

    def post(send: tuple[int, int]) -> tuple[tuple[int, int], str]:
        visitor, n = send
        with httpx.Client(base_url=live, timeout=30) as client:
            response = say(client, token, visitors[visitor], f"message {n}", client_id=f"c{n}")
        assert response.status_code == 201, response.text
        return send, str(response.json()["message_id"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(post, sends))
    ids: dict[tuple[int, int], set[str]] = {}
    for send, message_id in answers:
        ids.setdefault(send, set()).add(message_id)
    assert all(len(found) == 1 for found in ids.values())
    with httpx.Client(base_url=live, timeout=30) as client:
        for v, visitor in enumerate(visitors):
            stored = [m["id"] for m in history(client, token, visitor)]
            assert sorted(stored) == sorted(next(iter(ids[(v, n)])) for n in range(6))
