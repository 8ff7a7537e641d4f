"""Job handlers of the tracking domain, registered by the composition root (`omnicx.app.wiring`)."""

from __future__ import annotations

import uuid

from omnicx.kernel.jobs.registry import Handler, JobContext
from omnicx.tracking import service


def process_events(ctx: JobContext) -> None:
    """Resolve the identities of one request's events and rebuild the touched customers' sessions."""
    if ctx.workspace_id is None:
        raise ValueError("a tracking job belongs to a workspace")
    event_ids = [uuid.UUID(str(i)) for i in ctx.payload.get("event_ids", [])]
    service.process_events(ctx.session, workspace_id=ctx.workspace_id, event_ids=event_ids)


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {
    service.PROCESS_JOB: process_events,
}
