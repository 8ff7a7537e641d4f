"""`GET /api/v1/realtime/stream` on a real uvicorn server: workspace and role isolation, auth, lifecycle."""

from __future__ import annotations

import uuid

import httpx
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.realtime.bus import InProcessBus, RealtimeEvent
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import SESSION_COOKIE
from tests.conftest import World
from tests.realtime.conftest import commit_events, wait_until
from tests.realtime.sse import STREAM_PATH, open_stream


def event(
    workspace_id: uuid.UUID, topic: str, action: Action = Action.OVERVIEW_READ, **data: object
) -> RealtimeEvent:
    return RealtimeEvent(workspace_id=workspace_id, topic=topic, data=dict(data), action=action)


def test_an_event_reaches_its_workspace_and_never_another(
    live_server: str, runtime: Runtime, world: World, other_world: World
) -> None:
    acme, globex = world.workspace.id, other_world.workspace.id
    with (
        open_stream(live_server, headers=world.token(Role.ADMIN)) as acme_stream,
        open_stream(live_server, headers=other_world.token(Role.ADMIN)) as globex_stream,
    ):
        sent = event(acme, "acme.news", order=1)
        commit_events(
            runtime, sent, event(globex, "globex.news"), event(acme, "sentinel"), event(globex, "sentinel")
        )

        first = acme_stream.next_event()
        assert (first.event, first.id) == ("acme.news", sent.id)
        assert first.payload == {
            "id": sent.id,
            "workspace_id": str(acme),
            "topic": "acme.news",
            "action": "overview.read",
            "at": sent.at.isoformat().replace("+00:00", "Z"),
            "data": {"order": 1},
        }
        assert acme_stream.events_until("sentinel") == ["sentinel"]
        assert globex_stream.events_until("sentinel") == ["globex.news", "sentinel"]


def test_an_event_reaches_only_roles_allowed_its_action(
    live_server: str, runtime: Runtime, world: World
) -> None:
    ws = world.workspace.id
    with (
        open_stream(live_server, headers=world.token(Role.VIEWER)) as viewer,
        open_stream(live_server, headers=world.token(Role.ADMIN)) as admin,
    ):
        commit_events(runtime, event(ws, KernelTopic.JOB_DEAD, Action.JOBS_READ), event(ws, "sentinel"))

        assert viewer.events_until("sentinel") == ["sentinel"]
        assert admin.events_until("sentinel") == [KernelTopic.JOB_DEAD, "sentinel"]


def test_a_browser_session_streams_without_holding_a_database_connection(
    live_server: str, runtime: Runtime, world: World, db: Session
) -> None:
    member = world.members[Role.AGENT]
    signed_in = auth_service.sign_in(db, email=member.email, password=member.password)
    ws = world.workspace.id

    with open_stream(live_server, cookies={SESSION_COOKIE: signed_in.session_token}) as stream:
        db.close()
        assert runtime.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        with runtime.sessions() as session:  # a write while the stream is open (SQLite: needs the write lock)
            auth_service.record_audit(session, workspace_id=ws, action="test.during.stream")
            session.commit()
        commit_events(runtime, event(ws, "inbox.message.created", Action.INBOX_READ))

        assert stream.events_until("inbox.message.created") == ["inbox.message.created"]


def test_topics_select_events_by_prefix(live_server: str, runtime: Runtime, world: World) -> None:
    ws = world.workspace.id
    with open_stream(live_server, headers=world.token(Role.OWNER), params={"topics": "inbox,done"}) as stream:
        commit_events(
            runtime,
            event(ws, KernelTopic.JOB_DEAD, Action.JOBS_READ),
            event(ws, "inboxes.renamed"),
            event(ws, "inbox.message.created", Action.INBOX_READ),
            event(ws, "done"),
        )

        assert stream.events_until("done") == ["inbox.message.created", "done"]


def test_a_reconnecting_client_is_told_to_resync(live_server: str, world: World) -> None:
    headers = {**world.token(Role.ANALYST), "Last-Event-ID": "01900000-0000-7000-8000-000000000000"}
    with open_stream(live_server, headers=headers) as stream:
        marker = stream.next_event()

        assert marker.event == KernelTopic.RESYNC
        assert marker.payload["data"] == {"reason": "resume", "dropped": 0}


def test_the_stream_requires_a_known_caller(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=5) as client:
        anonymous = client.get(STREAM_PATH)
        unknown = client.get(STREAM_PATH, headers={"Authorization": "Bearer omx_unknown"})

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert unknown.status_code == 401


def test_a_client_that_leaves_is_unsubscribed(live_server: str, runtime: Runtime, world: World) -> None:
    bus = runtime.bus
    assert isinstance(bus, InProcessBus)
    with open_stream(live_server, headers=world.token(Role.ADMIN)):
        assert bus.subscriber_count == 1

    wait_until(lambda: bus.subscriber_count == 0)


def test_streams_end_cleanly_when_the_bus_closes(live_server: str, runtime: Runtime, world: World) -> None:
    with open_stream(live_server, headers=world.token(Role.ADMIN)) as stream:
        runtime.bus.close()

        assert stream.at_end()


def test_the_stream_is_documented_in_openapi(live_server: str) -> None:
    with httpx.Client(base_url=live_server, timeout=60) as client:
        spec = client.get("/api/openapi.json").json()

    operation = spec["paths"][STREAM_PATH]["get"]
    assert operation["tags"] == ["realtime"]
    [(media_type, content)] = operation["responses"]["200"]["content"].items()
    assert media_type == "text/event-stream"
    assert content["schema"] == {"type": "string"}
    event_data = content["itemSchema"]["properties"]["data"]["contentSchema"]
    assert event_data["title"] == "RealtimeEventPublic"
    assert {"id", "workspace_id", "topic", "action", "at", "data"} <= set(event_data["properties"])
