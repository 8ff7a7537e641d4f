"""Job handlers of the inbox, registered by the composition root (`omnicx.app.wiring`).

- `inbox.wake`: open a snoozed conversation when its time comes.
- `inbox.auto_resolve`: resolve a conversation left silent after an agent's reply (if the inbox says so).
- `inbox.sla_check`: announce an SLA warning or breach, once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from omnicx.inbox import service
from omnicx.kernel.jobs.registry import Handler, JobContext


def wake(ctx: JobContext) -> None:
    service.wake_due(ctx.session, conversation_id=uuid.UUID(ctx.payload["conversation_id"]))


def auto_resolve(ctx: JobContext) -> None:
    service.auto_resolve_due(ctx.session, conversation_id=uuid.UUID(ctx.payload["conversation_id"]))


def sla_check(ctx: JobContext) -> None:
    service.check_sla(
        ctx.session,
        conversation_id=uuid.UUID(ctx.payload["conversation_id"]),
        kind=str(ctx.payload["kind"]),
        stage=str(ctx.payload["stage"]),
        due=datetime.fromisoformat(ctx.payload["due"]),
    )


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {
    service.WAKE_JOB: wake,
    service.AUTO_RESOLVE_JOB: auto_resolve,
    service.SLA_CHECK_JOB: sla_check,
}
