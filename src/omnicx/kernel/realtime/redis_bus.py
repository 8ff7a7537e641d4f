"""The Redis bus: events travel between processes (several `omnicx serve` behind a load balancer, a separate
`omnicx worker`) through one Redis pub/sub channel, and every process's listener feeds its own fan-out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import Future
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from omnicx.kernel.realtime.events import RealtimeEvent
from omnicx.kernel.realtime.inprocess import DEFAULT_QUEUE_SIZE, Fanout, Subscription

if TYPE_CHECKING:
    import redis

log = logging.getLogger("omnicx.kernel.realtime")

REDIS_CHANNEL = "omnicx:realtime"
_RECONNECT_DELAYS = (0.5, 1.0, 2.0, 5.0)


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
        self._fanout = Fanout()
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

    def __init__(self, *, url: str, channel: str, fanout: Fanout) -> None:
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
