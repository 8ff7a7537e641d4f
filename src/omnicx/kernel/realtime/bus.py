"""The realtime bus: events published from any thread, fanned out to the SSE subscribers of each workspace.

Two implementations share one local fan-out. `InProcessBus` is the embedded default: a publisher hands each
event straight to the subscribers of this process. `RedisBus` carries events between processes (several
`omnicx serve` behind a load balancer, a separate `omnicx worker`): a publisher writes JSON on one Redis
pub/sub channel and every process runs one listener that feeds its own subscribers.

Delivery is best-effort and bounded by design: realtime only tells screens that something changed, the
database stays the source of truth. Each subscriber owns a queue of `queue_size` events; a subscriber that
reads too slowly loses the oldest events and is handed a resync marker (`KernelTopic.RESYNC`) instead, so one
stalled browser tab can never grow the server's memory. A client that receives the marker reloads what it shows.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import uuid
from collections import deque
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import Future
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Any, Protocol

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.realtime.topics import KernelTopic

if TYPE_CHECKING:
    import redis

log = logging.getLogger("omnicx.kernel.realtime")

REDIS_CHANNEL = "omnicx:realtime"
DEFAULT_QUEUE_SIZE = 256
_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


def _new_event_id() -> str:
    return str(new_id())


def _json_default(value: object) -> str:
    """Encode the few non-JSON values services naturally hold (ids, times, enums) as strings."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"realtime event data must be JSON-serialisable, got {type(value).__name__}")


@dataclass(frozen=True)
class RealtimeEvent:
    """Something that happened in one workspace, for the screens of members whose role allows `action`.

    `data` is snapshotted to plain JSON values when the event is built, so a publisher that keeps mutating its
    dict changes nothing, and an event reaches subscribers identically through either bus.
    """

    workspace_id: uuid.UUID
    topic: str
    data: dict[str, Any]
    action: str
    id: str = field(default_factory=_new_event_id)
    at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        if not self.topic:
            raise ValueError("a realtime event needs a topic")
        # Owners pass their topic enums' members; the event carries the plain string, as it does after Redis.
        object.__setattr__(self, "topic", str(self.topic))
        if self.at.tzinfo is None:
            raise ValueError("realtime event times must be timezone-aware")
        # Unknown actions are refused at the source: no role could ever receive such an event.
        object.__setattr__(self, "action", Action(self.action).value)
        object.__setattr__(self, "data", json.loads(json.dumps(self.data, default=_json_default)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workspace_id": str(self.workspace_id),
            "topic": self.topic,
            "action": self.action,
            "at": self.at.isoformat(),
            "data": self.data,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> RealtimeEvent:
        return cls(
            id=str(raw["id"]),
            workspace_id=uuid.UUID(str(raw["workspace_id"])),
            topic=str(raw["topic"]),
            action=str(raw["action"]),
            at=datetime.fromisoformat(str(raw["at"])),
            data=dict(raw["data"]),
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> RealtimeEvent:
        return cls.from_dict(json.loads(raw))


def resync_event(workspace_id: uuid.UUID, *, reason: str, dropped: int = 0) -> RealtimeEvent:
    """The marker that tells a subscriber it missed events and must reload instead of patching its view."""
    return RealtimeEvent(
        workspace_id=workspace_id,
        topic=KernelTopic.RESYNC,
        data={"reason": reason, "dropped": dropped},
        action=Action.OVERVIEW_READ,
    )


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


class _Fanout:
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
        self._fanout = _Fanout()
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


class RedisBus:
    """Events travel through one Redis pub/sub channel, so every process's subscribers see every publish.

    Publishing uses a synchronous client (request threads, the job worker). Receiving uses one asyncio
    listener per process, started lazily in the event loop of the first subscriber, and restarted by a later
    subscriber if that loop has ended. A process's own events also come back through Redis: one path, no
    duplicates.
    """

    def __init__(
        self, url: str, *, channel: str = REDIS_CHANNEL, queue_size: int = DEFAULT_QUEUE_SIZE
    ) -> None:
        try:
            import redis
        except ImportError as exc:  # pragma: no cover - depends on the installation
            raise RuntimeError(
                "OMNICX_REDIS_URL is set but redis is missing: pip install 'omnicx[redis]'"
            ) from exc
        self.url = url
        self.channel = channel
        self._client: redis.Redis = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self._fanout = _Fanout()
        self._queue_size = queue_size
        self._lock = threading.Lock()
        self._listener: _RedisListener | None = None

    @property
    def subscriber_count(self) -> int:
        return self._fanout.count()

    def publish(self, event: RealtimeEvent) -> None:
        if not self._fanout.closed:
            self._client.publish(self.channel, event.to_json())

    @asynccontextmanager
    async def subscribe(self, *, workspace_id: uuid.UUID) -> AsyncIterator[Subscription]:
        subscription = Subscription(workspace_id=workspace_id, queue_size=self._queue_size)
        # Registered before waiting for the listener: nothing published after `subscribe` returns is missed.
        self._fanout.add(subscription)
        try:
            await self._ensure_listening()
            yield subscription
        finally:
            self._fanout.discard(subscription)

    def close(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
        self._fanout.close()
        if listener is not None:
            listener.stop()
        self._client.close()

    async def _ensure_listening(self) -> None:
        """Start this process's listener if none is running, then wait until Redis confirmed the channel."""
        with self._lock:
            if self._fanout.closed:
                return
            listener = self._listener
            if listener is None or not listener.alive():
                listener = _RedisListener(url=self.url, channel=self.channel, fanout=self._fanout)
                self._listener = listener
        await asyncio.wrap_future(listener.ready)


class _RedisListener:
    """The one task per process reading the Redis channel and handing events to the local fan-out.

    After a lost connection it reconnects with backoff and marks every subscriber as having missed events,
    since Redis pub/sub does not replay what was published during the gap.
    """

    def __init__(self, *, url: str, channel: str, fanout: _Fanout) -> None:
        self.ready: Future[None] = Future()
        self._url = url
        self._channel = channel
        self._fanout = fanout
        self._failures = 0
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="omnicx-realtime-redis-listener")

    def alive(self) -> bool:
        return not self._loop.is_closed() and not self._task.done()

    def stop(self) -> None:
        # A closed loop has already taken the task down with it.
        with contextlib.suppress(RuntimeError):
            self._loop.call_soon_threadsafe(self._task.cancel)

    async def _run(self) -> None:
        while True:
            try:
                await self._listen()
                problem = "the subscription ended"
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not self.ready.done():
                    self.ready.set_exception(exc)
                    return
                problem = str(exc) or type(exc).__name__
            delay = _RECONNECT_DELAYS[min(self._failures, len(_RECONNECT_DELAYS) - 1)]
            log.warning("realtime: lost the Redis channel (%s); reconnecting in %.1fs", problem, delay)
            self._failures += 1
            await asyncio.sleep(delay)

    async def _listen(self) -> None:
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(
            self._url, socket_connect_timeout=2, health_check_interval=30, client_name=listener_client_name()
        )
        try:
            async with client.pubsub() as pubsub:
                await pubsub.subscribe(self._channel)
                async for message in pubsub.listen():
                    self._handle(message)
        finally:
            await client.aclose()

    def _handle(self, message: dict[str, Any]) -> None:
        if message["type"] == "subscribe":
            self._failures = 0
            if self.ready.done():
                self._fanout.mark_all_missed("reconnect")
            else:
                self.ready.set_result(None)
        elif message["type"] == "message":
            try:
                event = RealtimeEvent.from_json(message["data"])
            except (ValueError, KeyError, TypeError):
                log.warning("realtime: ignored a malformed message on %s", self._channel)
                return
            self._fanout.deliver(event)


def listener_client_name() -> str:
    """How this process's listener names itself to Redis, so `CLIENT LIST` shows who listens."""
    return f"omnicx-realtime-{os.getpid()}"


def make_bus(redis_url: str | None) -> Bus:
    """The Redis bus when a Redis URL is configured (several processes), else the in-process bus."""
    if redis_url:
        return RedisBus(redis_url)
    return InProcessBus()
