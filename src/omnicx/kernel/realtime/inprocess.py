"""In-process delivery: each subscriber's bounded mailbox, the fan-out to the subscribers of this process, and
the embedded bus built on them.

Each subscriber owns a queue of `queue_size` events; a subscriber that reads too slowly loses the oldest events
and is handed a resync marker (`KernelTopic.RESYNC`) instead, so one stalled browser tab can never grow the
server's memory. The fan-out is shared by both buses: `InProcessBus` feeds it directly, `RedisBus` from its
listener.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from omnicx.kernel.realtime.events import RealtimeEvent, resync_event

log = logging.getLogger("omnicx.kernel.realtime")

DEFAULT_QUEUE_SIZE = 256


class Subscription:
    """One subscriber's bounded mailbox, read with `async for` in the event loop that opened it.

    Publishers on other threads never touch the queue: `offer` hops into the subscriber's loop with
    `call_soon_threadsafe`, so the queue needs no lock and waking the reader is an ordinary `asyncio.Event`.
    """

    def __init__(self, *, workspace_id: uuid.UUID, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.workspace_id = workspace_id
        self._loop = asyncio.get_running_loop()
        self._queue: deque[RealtimeEvent] = deque()
        self._queue_size = queue_size
        self._wakeup = asyncio.Event()
        self._dropped = 0
        self._missed_reason: str | None = None
        self._closed = False

    def offer(self, event: RealtimeEvent) -> None:
        """Queue `event` for this subscriber; callable from any thread, never blocks."""
        self._call_in_loop(self._put, event)

    def mark_missed(self, reason: str) -> None:
        """Tell this subscriber (from any thread) that events may have been lost, e.g. a broker reconnect."""
        self._call_in_loop(self._set_missed, reason)

    def close(self) -> None:
        """End the iteration once the queued events are read; callable from any thread."""
        self._call_in_loop(self._close)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> RealtimeEvent:
        while True:
            if self._missed_reason is not None:
                marker = resync_event(self.workspace_id, reason=self._missed_reason, dropped=self._dropped)
                self._missed_reason, self._dropped = None, 0
                return marker
            if self._queue:
                return self._queue.popleft()
            if self._closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    def _call_in_loop(self, callback: Any, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:
            # The subscriber's loop has closed (its server stopped): there is nobody left to tell.
            log.debug("realtime subscriber loop is closed; dropping a message for it")

    def _put(self, event: RealtimeEvent) -> None:
        if self._closed:
            return
        if len(self._queue) >= self._queue_size:
            self._queue.popleft()
            self._dropped += 1
            self._missed_reason = "overflow"
        self._queue.append(event)
        self._wakeup.set()

    def _set_missed(self, reason: str) -> None:
        if not self._closed:
            self._missed_reason = reason
            self._wakeup.set()

    def _close(self) -> None:
        self._closed = True
        self._wakeup.set()


class Fanout:
    """The subscribers of this process, indexed by workspace, shared by both bus implementations."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_workspace: dict[uuid.UUID, set[Subscription]] = {}
        self.closed = False

    def add(self, subscription: Subscription) -> None:
        with self._lock:
            if not self.closed:
                self._by_workspace.setdefault(subscription.workspace_id, set()).add(subscription)
                return
        subscription.close()

    def discard(self, subscription: Subscription) -> None:
        with self._lock:
            members = self._by_workspace.get(subscription.workspace_id)
            if members is not None:
                members.discard(subscription)
                if not members:
                    del self._by_workspace[subscription.workspace_id]

    def deliver(self, event: RealtimeEvent) -> None:
        with self._lock:
            targets = list(self._by_workspace.get(event.workspace_id, ()))
        for subscription in targets:
            subscription.offer(event)

    def mark_all_missed(self, reason: str) -> None:
        for subscription in self._all():
            subscription.mark_missed(reason)

    def close(self) -> None:
        with self._lock:
            self.closed = True
        for subscription in self._all():
            subscription.close()
        with self._lock:
            self._by_workspace.clear()

    def count(self) -> int:
        with self._lock:
            return sum(len(members) for members in self._by_workspace.values())

    def _all(self) -> list[Subscription]:
        with self._lock:
            return [s for members in self._by_workspace.values() for s in members]


class InProcessBus:
    """The embedded bus: publishers hand events directly to the subscribers of this process."""

    def __init__(self, *, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._fanout = Fanout()
        self._queue_size = queue_size

    @property
    def subscriber_count(self) -> int:
        return self._fanout.count()

    def publish(self, event: RealtimeEvent) -> None:
        self._fanout.deliver(event)

    @asynccontextmanager
    async def subscribe(self, *, workspace_id: uuid.UUID) -> AsyncIterator[Subscription]:
        subscription = Subscription(workspace_id=workspace_id, queue_size=self._queue_size)
        self._fanout.add(subscription)
        try:
            yield subscription
        finally:
            self._fanout.discard(subscription)

    def close(self) -> None:
        self._fanout.close()
