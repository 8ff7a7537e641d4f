"""Job handlers of the identity domain: the erasure of a customer, run by the worker with retries."""

from __future__ import annotations

import uuid

from omnicx.identity import service
from omnicx.kernel.jobs.registry import Handler, JobContext


def erase_customer(ctx: JobContext) -> None:
    """Erase one customer everywhere; safe to run twice (a second run finds nothing left)."""
    if ctx.workspace_id is None:
        raise ValueError("an erasure job belongs to a workspace")
    service.erase_customer(
        ctx.session,
        workspace_id=ctx.workspace_id,
        customer_id=uuid.UUID(str(ctx.payload["customer_id"])),
        data_dir=ctx.runtime.settings.data_dir,
        actor_label=str(ctx.payload.get("requested_by", "")),
    )


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {
    service.ERASE_JOB: erase_customer,
}
