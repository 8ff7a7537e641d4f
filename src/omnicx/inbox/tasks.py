"""Job handlers of the inbox (discovered by the worker) and what it plugs into the customer view.

- `inbox.deliver`: hand one committed reply to its channel (retried with backoff; after the last attempt the
  reply is marked failed with the last error). The reply is read in a short transaction, sent
  with no transaction open (SQLite's writer lock is never held across network I/O), then recorded in the
  job's transaction. A retry after a send whose record was lost resends the same Message-ID, so the
  recipient's mail client shows it once.
- `inbox.wake`: open a snoozed conversation when its time comes.
- `inbox.auto_resolve`: resolve a conversation left silent after an agent's reply (if the inbox says so).
- `inbox.sla_check`: announce an SLA warning or breach, once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from omnicx.channels.base import DeliveryFailed
from omnicx.channels.registry import adapter_for
from omnicx.customers import service as customers_service
from omnicx.inbox import service
from omnicx.inbox.enums import DeliveryStatus
from omnicx.jobs.registry import JobContext, job_handler


@job_handler(service.DELIVER_JOB)
def deliver(ctx: JobContext) -> None:
    message_id = uuid.UUID(ctx.payload["message_id"])
    with ctx.runtime.sessions() as reader:
        outbound = service.outbound_for(reader, message_id=message_id)
    if outbound is None:
        return
    try:
        result = adapter_for(outbound.channel).send(outbound, settings=ctx.runtime.settings)
    except DeliveryFailed as exc:
        service.record_delivery(
            ctx.session, message_id=message_id, status=DeliveryStatus.FAILED, error=str(exc)
        )
        return
    except Exception as exc:
        if ctx.attempt < service.DELIVER_ATTEMPTS:
            raise  # transient (server down, 4xx): the worker retries with backoff
        # Out of attempts: the agent sees the reply failed, with the last error, instead of pending forever.
        service.record_delivery(
            ctx.session,
            message_id=message_id,
            status=DeliveryStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}",
        )
        return
    service.record_delivery(ctx.session, message_id=message_id, status=result.status)


@job_handler(service.WAKE_JOB)
def wake(ctx: JobContext) -> None:
    service.wake_due(ctx.session, conversation_id=uuid.UUID(ctx.payload["conversation_id"]))


@job_handler(service.AUTO_RESOLVE_JOB)
def auto_resolve(ctx: JobContext) -> None:
    service.auto_resolve_due(ctx.session, conversation_id=uuid.UUID(ctx.payload["conversation_id"]))


@job_handler(service.SLA_CHECK_JOB)
def sla_check(ctx: JobContext) -> None:
    service.check_sla(
        ctx.session,
        conversation_id=uuid.UUID(ctx.payload["conversation_id"]),
        kind=str(ctx.payload["kind"]),
        stage=str(ctx.payload["stage"]),
        due=datetime.fromisoformat(ctx.payload["due"]),
    )


customers_service.register_timeline_provider("inbox", service.timeline_items)
