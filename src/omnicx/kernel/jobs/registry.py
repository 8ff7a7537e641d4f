"""Job handlers by kind. Each domain's `tasks.py` lists its `HANDLERS`; the composition root registers them
(`omnicx.app.wiring.wire`), so importing a module never changes what a worker handles.

A handler receives a `JobContext` whose `session` is the transaction in which the job is marked succeeded:
its database writes and the job's completion commit together or not at all. If the worker dies mid-job (even
by SIGKILL) that transaction dies with it and the job runs again once its lease expires, so a handler may run
more than once: database effects are safe by construction, but external side effects (an email, a provider
API call) must be idempotent; pass `ctx.job_id` as the provider's idempotency key, or record what was sent.

Handlers must not commit or roll back `ctx.session` themselves; the worker does, after checking that the job
is still its own to complete.

A kind registered as `Coalesced` lets the worker run many of its queued jobs of one workspace as one: their
payloads are merged and handled in one transaction, which completes them all. Work whose cost is mostly per job
(a request's events: the statements, the lookups, the commit) then goes at the pace of its rows. Only first
attempts are coalesced: after a failure each job runs alone, so one bad payload cannot hold the others back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from omnicx.kernel.runtime import Runtime


@dataclass(frozen=True)
class JobContext:
    """Everything a handler may use: its job's payload and identity, the job's transaction, the runtime."""

    session: Session
    payload: dict[str, Any]
    workspace_id: uuid.UUID | None
    job_id: uuid.UUID
    kind: str
    attempt: int
    runtime: Runtime


Handler = Callable[[JobContext], None]


@dataclass(frozen=True)
class Coalesced:
    """A handler whose queued jobs (first attempts, one workspace) may run together, as one job whose payload
    is `merge` of theirs: up to `max_jobs[dialect]` at once, per database (1, alone, where none is given), and
    with `size`, only as many as keep the sizes' total within `max_size[dialect]` (the first job always runs).

    Per database because what is saved differs: on PostgreSQL every statement and commit is a round trip, so
    twenty requests' jobs in one run cost far less than twenty runs; SQLite runs in the process, where a job's
    fixed cost matters for small jobs (a browser sends one event per request) but very large runs measured
    slower per event (`bench/ingest.py --process`): there the total size is what to bound."""

    handler: Handler
    merge: Callable[[Sequence[dict[str, Any]]], dict[str, Any]]
    max_jobs: Mapping[str, int]
    size: Callable[[Mapping[str, Any]], int] | None = None
    max_size: Mapping[str, int] = field(default_factory=dict)

    def limit(self, dialect: str) -> int:
        return self.max_jobs.get(dialect, 1)

    def within_size(self, dialect: str, payloads: Sequence[Mapping[str, Any]]) -> int:
        """How many of `payloads` (the first one first) to run together: the longest start whose total size
        stays within the budget, and at least one."""
        budget = self.max_size.get(dialect)
        if self.size is None or budget is None:
            return len(payloads)
        total = 0
        for taken, payload in enumerate(payloads):
            total += self.size(payload)
            if total > budget:
                return max(taken, 1)
        return len(payloads)


_HANDLERS: dict[str, Handler | Coalesced] = {}


def _qualified_name(handler: Handler | Coalesced) -> str:
    target = handler.handler if isinstance(handler, Coalesced) else handler
    return f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"


def register(kind: str, handler: Handler | Coalesced) -> None:
    """Register `handler` for `kind`; a second, different handler for the same kind is a programming error."""
    existing = _HANDLERS.get(kind)
    if existing is not None and _qualified_name(existing) != _qualified_name(handler):
        raise ValueError(f"job kind {kind!r} already handled by {_qualified_name(existing)}")
    _HANDLERS[kind] = handler


def get_handler(kind: str) -> Handler | None:
    entry = _HANDLERS.get(kind)
    return entry.handler if isinstance(entry, Coalesced) else entry


def get_coalescing(kind: str) -> Coalesced | None:
    """How jobs of `kind` run together, if they may."""
    entry = _HANDLERS.get(kind)
    return entry if isinstance(entry, Coalesced) else None


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)
