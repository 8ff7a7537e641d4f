"""Real Segment and RudderStack Python clients against a real uvicorn server: every event stored exactly once,
even when the server fails a request (before or after committing it) and the client retries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import rudderstack.analytics as rudder_analytics
import segment.analytics as segment_analytics
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicx.kernel.runtime import Runtime
from omnicx.tracking.models import Event
from tests.realtime.conftest import ThreadServer, build_app
from tests.tracking.conftest import KeyedSource, stored_message_ids


class FailFirstCollect:
    """Answers the first collection request with a 500: without running it (`before`), or after the app
    handled and committed it (`after`), as a crash between commit and reply would."""

    def __init__(self, app: ASGIApp, mode: str) -> None:
        self.app = app
        self.mode = mode
        self.failed = 0
        self.requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            await self.app(scope, receive, send)
            return
        self.requests += 1
        if self.failed or self.mode == "none":
            await self.app(scope, receive, send)
            return
        self.failed += 1
        if self.mode == "after":

            async def swallow(_message: Message) -> None:
                return None

            await self.app(scope, receive, swallow)
        body = json.dumps({"code": "internal_error", "message": "injected failure"}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(params=["none", "before", "after"])
def server(request: pytest.FixtureRequest, runtime: Runtime) -> Iterator[tuple[str, FailFirstCollect]]:
    wrapper = FailFirstCollect(build_app(runtime), request.param)
    with ThreadServer(wrapper) as served:  # type: ignore[arg-type]
        yield served.url, wrapper


def assert_retried(wrapper: FailFirstCollect) -> None:
    """With an injected failure, the client must have come back after it (and the failure happened once)."""
    if wrapper.mode == "none":
        assert (wrapper.failed, wrapper.requests >= 1) == (0, True)
    else:
        assert (wrapper.failed, wrapper.requests >= 2) == (1, True)


def send_every_call(client: Any) -> list[str]:
    """identify, track, page, screen, group and alias through a client; returns the message ids it generated."""
    results = [
        client.identify("user-1", {"email": "ana@shop.example", "name": "Ana"}, anonymous_id="anon-1"),
        client.track("user-1", "Product Viewed", {"sku": "A-1", "price": 12.5}),
        client.page(
            "user-1", "Shop", "Home", {"url": "https://shop.example/?utm_source=news&utm_medium=email"}
        ),
        client.screen("user-1", "App", "Cart"),
        client.group("user-1", "company-9", {"name": "Acme"}),
        client.alias("anon-1", "user-1"),
        *[client.track(anonymous_id=f"anon-{i}", event="Scrolled", properties={"i": i}) for i in range(20)],
    ]
    assert all(ok for ok, _msg in results)
    return [str(msg["messageId"]) for _ok, msg in results]


def test_segment_client(server: tuple[str, FailFirstCollect], source: KeyedSource, runtime: Runtime) -> None:
    url, wrapper = server
    errors: list[Any] = []
    client = segment_analytics.Client(
        source.write_key,
        host=url,
        upload_interval=0.05,
        max_retries=5,
        on_error=lambda error, _batch: errors.append(error),
    )
    sent = send_every_call(client)
    client.flush()
    client.join()
    assert errors == []
    assert sorted(stored_message_ids(runtime)) == sorted(sent)  # each exactly once
    assert_retried(wrapper)


def test_rudderstack_client_with_gzip(
    server: tuple[str, FailFirstCollect], source: KeyedSource, runtime: Runtime
) -> None:
    url, wrapper = server
    errors: list[Any] = []
    client = rudder_analytics.Client(
        source.write_key,
        host=url,
        gzip=True,
        upload_interval=0.05,
        max_retries=5,
        on_error=lambda error, _batch: errors.append(error),
    )
    sent = send_every_call(client)
    client.flush()
    client.join()
    assert errors == []
    assert sorted(stored_message_ids(runtime)) == sorted(sent)
    assert_retried(wrapper)
    with runtime.sessions() as session:
        identify = session.query(Event).filter(Event.type == "identify").one()
        assert identify.payload["context"]["traits"]["email"] == "ana@shop.example"


def test_segment_sync_mode_sends_each_call_at_once(runtime: Runtime, source: KeyedSource) -> None:
    with ThreadServer(build_app(runtime)) as served:
        segment_analytics.write_key = source.write_key
        segment_analytics.host = served.url
        segment_analytics.sync_mode = True
        try:
            segment_analytics.track("user-2", "Signed Up", {"plan": "free"})
            assert len(stored_message_ids(runtime)) == 1
        finally:
            segment_analytics.sync_mode = False
            segment_analytics.default_client = None
