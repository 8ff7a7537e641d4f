"""The realtime bus: events published from any thread, fanned out to the SSE subscribers of each workspace.

Two implementations share one local fan-out (`inprocess`). `InProcessBus` is the embedded default: a publisher
hands each event straight to the subscribers of this process. `RedisBus` (`redis_bus`) carries events between
processes: a publisher writes JSON on one Redis pub/sub channel and every process runs one listener that feeds
its own subscribers. What an event is lives in `events`.

Delivery is best-effort and bounded by design: realtime only tells screens that something changed, the
database stays the source of truth. A subscriber that falls behind or misses events is handed a resync marker
(`KernelTopic.RESYNC`) and reloads what it shows.

This module is the face the rest of the code imports: the `Bus` every transport satisfies, `make_bus`, and the
names above.
"""

from __future__ import annotations

import uuid
from contextlib import AbstractAsyncContextManager
from typing import Protocol

from omnicx.kernel.realtime.events import RealtimeEvent, resync_event
from omnicx.kernel.realtime.inprocess import DEFAULT_QUEUE_SIZE, InProcessBus, Subscription
from omnicx.kernel.realtime.redis_bus import REDIS_CHANNEL, RedisBus, listener_client_name

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "REDIS_CHANNEL",
    "Bus",
    "InProcessBus",
    "RealtimeEvent",
    "RedisBus",
    "Subscription",
    "listener_client_name",
    "make_bus",
    "resync_event",
]


class Bus(Protocol):
    """What publishers and the SSE endpoint rely on, whichever transport carries the events."""

    def publish(self, event: RealtimeEvent) -> None:
        """Send `event` to current subscribers of its workspace; thread-safe, callable from sync code."""
        ...

    def subscribe(self, *, workspace_id: uuid.UUID) -> AbstractAsyncContextManager[Subscription]:
        """Receive the events of one workspace for as long as the context is open (bounded queue)."""
        ...

    def close(self) -> None:
        """End every subscription and release connections; publishing afterwards does nothing."""
        ...


def make_bus(redis_url: str | None) -> Bus:
    """The Redis bus when a Redis URL is configured (several processes), else the in-process bus."""
    if redis_url:
        return RedisBus(redis_url)
    return InProcessBus()
