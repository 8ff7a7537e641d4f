"""Across processes: an event committed here reaches an SSE client of another omnicx process via Redis."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.realtime.bus import RealtimeEvent, RedisBus
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.realtime.conftest import commit_events, free_port
from tests.realtime.sse import open_stream

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.redis


def event(workspace_id: uuid.UUID, topic: str, action: Action = Action.OVERVIEW_READ) -> RealtimeEvent:
    return RealtimeEvent(
        workspace_id=workspace_id, topic=topic, data={"from": "first process"}, action=action
    )


def _wait_for_port(process: subprocess.Popen[bytes], port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"the second server exited with {process.returncode}"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    pytest.fail("the second server did not start listening")


@pytest.fixture
def second_process(redis_settings: Settings, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Another omnicx web process on the same database and Redis, configured from the environment."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("OMNICX_")}
    env.update(
        OMNICX_ENVIRONMENT="test",
        OMNICX_DATABASE_URL=redis_settings.resolved_database_url,
        OMNICX_REDIS_URL=str(redis_settings.redis_url),
        OMNICX_SECRET_KEY=redis_settings.resolved_secret_key,
        OMNICX_DATA_DIR=str(tmp_path / "second-process"),
        OMNICX_RUN_WORKER_IN_PROCESS="false",
    )
    command = [sys.executable, "-m", "tests.realtime.server_main", str(port)]
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stderr=subprocess.PIPE)
    try:
        _wait_for_port(process, port)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def test_an_event_committed_here_reaches_a_client_of_another_process(
    redis_runtime: Runtime,
    second_process: tuple[str, subprocess.Popen[bytes]],
    world: World,
    other_world: World,
) -> None:
    assert isinstance(redis_runtime.bus, RedisBus)
    url, process = second_process
    acme = world.workspace.id
    with open_stream(url, headers=world.token(Role.VIEWER)) as stream:
        commit_events(
            redis_runtime,
            event(other_world.workspace.id, "globex.news"),
            event(acme, KernelTopic.JOB_DEAD, Action.JOBS_READ),
            event(acme, "inbox.message.created", Action.INBOX_READ),
            event(acme, "sentinel"),
        )

        received = stream.next_event()
        assert (received.event, received.payload["data"]) == (
            "inbox.message.created",
            {"from": "first process"},
        )
        assert stream.events_until("sentinel") == ["sentinel"]

        # Stopping the other server (SIGTERM, as an orchestrator would) ends the open stream cleanly.
        process.send_signal(signal.SIGTERM)
        assert stream.at_end()
    assert process.wait(timeout=10) == -signal.SIGTERM  # uvicorn re-raises the signal after a graceful stop
    assert process.stderr is not None
    errors = process.stderr.read().decode()
    assert "Traceback" not in errors
    assert "ERROR" not in errors
