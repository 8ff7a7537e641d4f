"""An open live stream follows its caller's access: a revoked token, an ended session or a new role closes it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.deps import SESSION_COOKIE
from tests.conftest import World
from tests.realtime.conftest import ThreadServer, build_app, commit_events
from tests.realtime.sse import SseStream, open_stream


@pytest.fixture
def watched(settings: Settings, world: World) -> Iterator[tuple[Runtime, str]]:
    """A server whose streams re-check their caller five times a second."""
    runtime = build_runtime(settings.model_copy(update={"stream_recheck_seconds": 0.2}))
    try:
        with ThreadServer(build_app(runtime)) as server:
            yield runtime, server.url
    finally:
        runtime.close()


def _ends(stream: SseStream) -> bool:
    """Read until the server ends the stream (pings may come first); a read timeout fails the test."""
    try:
        while True:
            stream.next()
    except EOFError:
        return True


def _event(runtime: Runtime, world: World, topic: str) -> None:
    commit_events(
        runtime,
        RealtimeEvent(workspace_id=world.workspace.id, topic=topic, data={}, action=Action.OVERVIEW_READ),
    )


def test_revoking_a_token_closes_its_open_stream(watched: tuple[Runtime, str], world: World) -> None:
    runtime, url = watched
    owner = world.token(Role.OWNER)
    with open_stream(url, headers=world.token(Role.ANALYST), timeout=10) as stream:
        _event(runtime, world, "before")
        assert stream.next_event().event == "before"
        tokens = httpx.get(f"{url}/api/v1/tokens", headers=owner).json()
        analyst = next(t for t in tokens if t["role"] == "analyst")
        assert httpx.delete(f"{url}/api/v1/tokens/{analyst['id']}", headers=owner).status_code == 200
        assert _ends(stream)


def test_changing_a_members_role_closes_their_browser_stream(
    watched: tuple[Runtime, str], world: World
) -> None:
    runtime, url = watched
    member = world.members[Role.AGENT]
    with runtime.sessions() as session:
        signed_in = auth_service.sign_in(session, email=member.email, password=member.password)
    owner = world.token(Role.OWNER)
    with open_stream(url, cookies={SESSION_COOKIE: signed_in.session_token}, timeout=10) as stream:
        members = httpx.get(f"{url}/api/v1/members", headers=owner).json()
        agent = next(m for m in members if m["email"] == member.email)
        changed = httpx.patch(f"{url}/api/v1/members/{agent['id']}", headers=owner, json={"role": "viewer"})
        assert changed.status_code == 200, changed.text
        assert _ends(stream)


def test_a_stream_whose_caller_keeps_access_stays_open(watched: tuple[Runtime, str], world: World) -> None:
    runtime, url = watched
    with open_stream(url, headers=world.token(Role.ANALYST), timeout=10) as stream:
        for topic in ("one", "two", "three"):  # each read spans several re-checks
            httpx.get(f"{url}/healthz")
            _event(runtime, world, topic)
            assert stream.next_event().event == topic
