"""A small blocking Server-Sent Events reader over httpx, for driving a real server from tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from omnicx.kernel.web.stream import SUBSCRIBED_COMMENT

STREAM_PATH = "/api/v1/realtime/stream"


@dataclass
class SseMessage:
    """One block of the stream: an event (topic, id, data) or comment lines only (confirmation, ping)."""

    event: str | None = None
    id: str | None = None
    data: str = ""
    retry: int | None = None
    comments: list[str] = field(default_factory=list)

    @property
    def payload(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.data)
        return value


class SseStream:
    """Reads blocks as they arrive; a read that waits longer than the client timeout fails the test."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next(self) -> SseMessage:
        message = SseMessage()
        for line in self._lines:
            if line == "":
                return message
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                message.comments.append(value)
            elif name == "event":
                message.event = value
            elif name == "id":
                message.id = value
            elif name == "data":
                message.data = f"{message.data}\n{value}" if message.data else value
            elif name == "retry":
                message.retry = int(value)
        raise EOFError("the server ended the stream")

    def next_event(self) -> SseMessage:
        """The next real event, skipping comment-only blocks such as pings."""
        while True:
            message = self.next()
            if message.event is not None:
                return message

    def events_until(self, topic: str) -> list[str]:
        """Topics of every event up to and including the first `topic`."""
        seen: list[str] = []
        while not seen or seen[-1] != topic:
            event = self.next_event().event
            assert event is not None
            seen.append(event)
        return seen

    def at_end(self) -> bool:
        """True when the server has closed the stream (no more blocks)."""
        try:
            self.next()
        except EOFError:
            return True
        return False


@contextmanager
def open_stream(
    base_url: str,
    *,
    headers: dict[str, str] | None = None,
    cookies: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> Iterator[SseStream]:
    """Connect and wait for the server's confirmation that the subscription is live."""
    with (
        httpx.Client(base_url=base_url, timeout=timeout, cookies=cookies) as client,
        client.stream("GET", STREAM_PATH, headers=headers, params=params) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        stream = SseStream(response)
        first = stream.next()
        assert first.comments == [SUBSCRIBED_COMMENT], first
        yield stream
