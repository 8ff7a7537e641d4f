"""Job handlers by kind. Each domain's `tasks.py` lists its `HANDLERS`; the composition root registers them
(`omnicx.app.wiring.wire`), so importing a module never changes what a worker handles.

A handler receives a `JobContext` whose `session` is the transaction in which the job is marked succeeded:
its database writes and the job's completion commit together or not at all. If the worker dies mid-job (even
by SIGKILL) that transaction dies with it and the job runs again once its lease expires, so a handler may run
more than once: database effects are safe by construction, but external side effects (an email, a provider
API call) must be idempotent; pass `ctx.job_id` as the provider's idempotency key, or record what was sent.

Handlers must not commit or roll back `ctx.session` themselves; the worker does, after checking that the job
is still its own to complete.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
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

_HANDLERS: dict[str, Handler] = {}


def _qualified_name(handler: Handler) -> str:
    return f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', repr(handler))}"


def register(kind: str, handler: Handler) -> None:
    """Register `handler` for `kind`; a second, different handler for the same kind is a programming error."""
    existing = _HANDLERS.get(kind)
    if existing is not None and _qualified_name(existing) != _qualified_name(handler):
        raise ValueError(f"job kind {kind!r} already handled by {_qualified_name(existing)}")
    _HANDLERS[kind] = handler


def get_handler(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def registered_kinds() -> list[str]:
    return sorted(_HANDLERS)
