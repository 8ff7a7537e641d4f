"""The job of web push, registered by the composition root (`omnicx.app.wiring`).

`channels.webpush_send`: push one notification to one browser. The subscription is read in a short transaction,
the push made with no transaction open (SQLite's writer lock is never held across network I/O), and its
outcome recorded in the job's transaction. Throttled, failed or unreachable push services are retried with the
worker's backoff until the last attempt, which records the failure; a refusal is recorded at once.
"""

from __future__ import annotations

import uuid

from omnicx.channels.webpush import sender, service
from omnicx.channels.webpush.errors import KeyUnreadable
from omnicx.channels.webpush.schemas import Notification
from omnicx.channels.webpush.sender import Outcome, PushResult
from omnicx.kernel.jobs.registry import Handler, JobContext


class PushDeferred(Exception):
    """The push service did not take the notification this time (429, 5xx, no answer): retried later."""


def send(ctx: JobContext) -> None:
    if ctx.workspace_id is None:
        raise ValueError(f"a {ctx.kind} job belongs to a workspace")
    workspace_id = ctx.workspace_id
    subscription_id = uuid.UUID(str(ctx.payload["subscription_id"]))
    notification = Notification.model_validate(ctx.payload["notification"])
    try:
        with ctx.runtime.sessions() as reader:
            target = service.push_target(
                reader,
                workspace_id=workspace_id,
                subscription_id=subscription_id,
                secret_key=ctx.runtime.settings.resolved_secret_key,
            )
    except KeyUnreadable as error:
        result = PushResult(Outcome.REFUSED, error.message)
    else:
        if target is None:
            return  # unsubscribed or erased since it was queued
        result = sender.push(target, notification)
    if result.outcome is Outcome.RETRY and ctx.attempt < service.SEND_ATTEMPTS:
        raise PushDeferred(result.error)
    service.record_push(
        ctx.session, workspace_id=workspace_id, subscription_id=subscription_id, result=result
    )


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {service.SEND_JOB: send}
