"""Realtime fixtures: a real uvicorn server in a thread, committed publishing, a Redis-backed runtime."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
import redis
from fastapi import FastAPI

from omnicx.kernel.db import transaction
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings
from tests.conftest import REDIS_URL
from tests.helpers import ThreadServer, free_port

__all__ = ["ThreadServer", "free_port"]  # used by the realtime tests through this module


def build_app(runtime: Runtime) -> FastAPI:
    from omnicx.app.web import create_app

    return create_app(runtime.settings, runtime=runtime)


@pytest.fixture
def live_server(runtime: Runtime) -> Iterator[str]:
    """The full omnicx app on a real HTTP server, sharing the test's runtime (database and bus)."""
    with ThreadServer(build_app(runtime)) as server:
        yield server.url


def commit_events(runtime: Runtime, *events: RealtimeEvent) -> None:
    """Publish the way services do: queued on a session, sent when its transaction commits."""
    with transaction(runtime.sessions) as session:
        for event in events:
            publish(session, event)


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


@pytest.fixture
def redis_url() -> str:
    """The test Redis (pub/sub only, nothing stored); if it is unreachable the test fails, it never skips."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is required at {REDIS_URL} (set OMNICX_TEST_REDIS_URL): {exc}")
    finally:
        client.close()
    return REDIS_URL


@pytest.fixture
def redis_settings(settings: Settings, redis_url: str) -> Settings:
    return settings.model_copy(update={"redis_url": redis_url})


@pytest.fixture
def redis_runtime(redis_settings: Settings) -> Iterator[Runtime]:
    """A second runtime on the same database whose bus is Redis (like a worker process would build)."""
    rt = build_runtime(redis_settings)
    yield rt
    rt.close()
