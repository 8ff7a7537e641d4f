"""Rate limiters: how long a caller must wait before its next request is let through, per key.

Both count with GCRA (the generic cell rate algorithm, a token bucket kept as one number per key): a rate of
N per period admits a burst of N, then one request every period / N. `MemoryLimiter` keeps the numbers in this
process (enough for one `omnicx serve`); `RedisLimiter` keeps them in Redis, so several processes share one
count. `make_limiter` picks Redis when a Redis URL is configured.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from omnicx.kernel.settings import Rate

log = logging.getLogger("omnicx.kernel.limits")


class Limiter(Protocol):
    #: True when `hit` waits on the network (Redis): async callers then run it on a worker thread.
    remote: bool

    def hit(self, key: str, rate: Rate) -> float:
        """Count one request under `key`: 0 when it may go ahead, else the seconds to wait (nothing counted)."""
        ...

    def close(self) -> None: ...


class MemoryLimiter:
    """Limits counted in this process. At most `max_keys` keys are remembered: past that, keys whose bucket is
    full again are forgotten, then the tenth that is least limited (a caller forgotten early gets a full bucket
    again: a limit may be lifted early under a flood of keys, never imposed wrongly)."""

    remote = False

    def __init__(self, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._arrivals: dict[str, float] = {}  # key -> theoretical arrival time of its next request
        self._lock = threading.Lock()

    def hit(self, key: str, rate: Rate) -> float:
        now = self._clock()
        interval = rate.seconds / rate.count
        with self._lock:
            arrival = max(self._arrivals.get(key, now), now)
            allowed_at = arrival + interval - rate.seconds
            if now < allowed_at:
                return allowed_at - now
            if key not in self._arrivals and len(self._arrivals) >= self._max_keys:
                self._forget(now)
            self._arrivals[key] = arrival + interval
            return 0.0

    def _forget(self, now: float) -> None:
        self._arrivals = {k: arrival for k, arrival in self._arrivals.items() if arrival > now}
        if len(self._arrivals) >= self._max_keys:
            keep = sorted(self._arrivals.items(), key=lambda item: item[1])[max(1, self._max_keys // 10) :]
            self._arrivals = dict(keep)

    def close(self) -> None:
        self._arrivals.clear()


# GCRA in one round trip, on the Redis server's clock (so every process agrees), in milliseconds.
_GCRA = """
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + now_parts[2] / 1000
local period = tonumber(ARGV[1])
local interval = period / tonumber(ARGV[2])
local arrival = tonumber(redis.call('GET', KEYS[1]) or '0')
if arrival < now then arrival = now end
local allowed_at = arrival + interval - period
if now < allowed_at then return math.ceil(allowed_at - now) end
redis.call('SET', KEYS[1], string.format('%.3f', arrival + interval), 'PX', math.ceil(arrival + interval - now))
return 0
"""


class RedisLimiter:
    """Limits shared by every process using the same Redis; keys expire when their bucket is full again."""

    remote = True

    WARN_EVERY_SECONDS = 60.0

    def __init__(self, url: str, *, prefix: str = "omnicx:limit:") -> None:
        import redis

        self._errors: tuple[type[Exception], ...] = (redis.RedisError,)
        self._client: Any = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._script = self._client.register_script(_GCRA)
        self._prefix = prefix
        self._warned_at = -math.inf

    def hit(self, key: str, rate: Rate) -> float:
        try:
            waited = int(self._script(keys=[self._prefix + key], args=[rate.seconds * 1000, rate.count]))
        except self._errors as exc:
            # Redis unreachable: let requests through rather than refuse everyone; say so once a minute.
            now = time.monotonic()
            if now - self._warned_at >= self.WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning("rate limits are not enforced: Redis is unreachable (%s)", exc)
            return 0.0
        return waited / 1000

    def close(self) -> None:
        self._client.close()


def make_limiter(redis_url: str | None) -> Limiter:
    return RedisLimiter(redis_url) if redis_url else MemoryLimiter()


def retry_after_seconds(wait: float) -> int:
    """The `Retry-After` header's whole seconds for a wait: never 0, which would invite an immediate retry."""
    return max(1, math.ceil(wait))
