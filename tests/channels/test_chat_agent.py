"""The widget and the agent, both ways: typing indicators over the real SSE streams (never stored), and the email
the widget asks for when no agent is online."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.enums import Availability
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.channels.test_chat import history, say, visitor_session
from tests.conftest import World
from tests.realtime.conftest import ThreadServer, build_app
from tests.realtime.sse import open_stream


@pytest.fixture
def live(runtime: Runtime) -> Iterator[str]:
    with ThreadServer(build_app(runtime)) as server:
        yield server.url


def test_typing_shows_on_the_other_side_and_private_typing_stays_inside(
    live: str, world: World, chat_inbox: InboxPublic, db: Session
) -> None:
    db.rollback()
    token = chat_inbox.address
    with httpx.Client(base_url=live, timeout=5) as http:
        visitor = visitor_session(http, token)
        assert say(http, token, visitor, "Hello?").status_code == 201
        [conversation] = http.get("/api/v1/inbox/conversations", headers=world.token(Role.AGENT)).json()
        params = {"visitor": visitor["visitor_id"], "signature": visitor["signature"]}
        typing_url = f"/api/v1/inbox/conversations/{conversation['id']}/typing"
        with (
            http.stream("GET", f"/chat/{token}/stream", params=params) as widget,
            open_stream(live, headers=world.token(Role.VIEWER), params={"topics": "inbox.typing"}) as agent,
        ):
            lines = widget.iter_lines()
            assert next(lines).startswith(":")
            note = http.post(typing_url, json={"private": True}, headers=world.token(Role.AGENT))
            assert note.status_code == 204
            assert http.post(typing_url, json={}, headers=world.token(Role.AGENT)).status_code == 204
            seen = []
            for line in lines:
                seen.append(line)
                if line.startswith("data:"):
                    break
            assert (
                "event: typing" in seen
            )  # the first event is the public one: the private typing was skipped
            # The visitor types: the agent's page hears it for this conversation.
            body = json.dumps(visitor)
            assert http.post(f"/chat/{token}/typing", content=body).status_code == 204
            events = [agent.next_event().payload["data"] for _ in range(3)]
            assert [e["who"] for e in events] == ["agent", "agent", "visitor"]
            assert events[2]["conversation_id"] == conversation["id"]
        forged = http.post(f"/chat/{token}/typing", content=json.dumps({**visitor, "signature": "x"}))
        assert forged.status_code == 401
        viewer = http.post(typing_url, json={}, headers=world.token(Role.VIEWER))
        assert viewer.status_code == 403
        assert [m["text"] for m in history(http, token, visitor)] == ["Hello?"]  # typing is never stored


def test_the_widget_asks_for_an_email_when_nobody_is_online_and_keeps_it(
    live: str, world: World, chat_inbox: InboxPublic, db: Session
) -> None:
    token = chat_inbox.address
    repliers = [Role.OWNER, Role.ADMIN, Role.AGENT]
    db.rollback()
    with httpx.Client(base_url=live, timeout=5) as http:
        assert http.get(f"/chat/{token}/status").json() == {"online": True}
        for role in repliers:
            service.set_availability(db, principal=world.members[role].principal, status=Availability.OFFLINE)
        assert http.get(f"/chat/{token}/status").json() == {"online": False}
        service.set_availability(db, principal=world.members[Role.AGENT].principal, status=Availability.BUSY)
        assert http.get(f"/chat/{token}/status").json() == {"online": False}  # busy is not online
        visitor = visitor_session(http, token)
        assert say(http, token, visitor, "Anyone?").status_code == 201
        assert say(http, token, visitor, "My email", email="zoe@example.com").status_code == 201
        contact = service.find_contact(db, inbox_id=chat_inbox.id, source_id=visitor["visitor_id"])
        db.rollback()
        assert contact is not None and contact.email == "zoe@example.com" and not contact.verified
        [conversation] = http.get("/api/v1/inbox/conversations", headers=world.token(Role.AGENT)).json()
        # Kept for the reply, but a claim: it links the conversation to nobody (tests/security/test_claims.py).
        assert conversation["customer_id"] is None and conversation["contact"]["verified_at"] is None
