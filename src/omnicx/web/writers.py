"""Request work that writes to the database runs on a few worker threads, the others wait their turn.

The work is CPU-bound under one GIL and, on SQLite, one writer at a time: letting every request of a burst start
on its own thread only adds switching and lock hand-offs, and under load the switching grows with the backlog
until the server spends its time contending instead of working. On PostgreSQL a second thread overlaps one
request's database round trips with the next one's Python work.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import anyio
import anyio.to_thread

from omnicx.runtime import Runtime

WRITERS = {"postgresql": 2, "sqlite": 1}

P = ParamSpec("P")
T = TypeVar("T")

_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter(runtime: Runtime) -> anyio.CapacityLimiter:
    """The limiter of the running event loop (a limiter belongs to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(WRITERS.get(runtime.engine.dialect.name, 2))
    return limiter


async def run_writer(runtime: Runtime, work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `work` on a worker thread once one of the writer slots is free."""
    return await anyio.to_thread.run_sync(functools.partial(work, *args, **kwargs), limiter=_limiter(runtime))
