"""Job handlers of the analytics engine, registered by the composition root (`omnicx.app.wiring`)."""

from __future__ import annotations

from omnicx.analytics.service import REBUILD_JOB, rebuild, sync
from omnicx.kernel.db import transaction
from omnicx.kernel.jobs.feed import SYNC_JOB
from omnicx.kernel.jobs.registry import Handler, JobContext
from omnicx.kernel.jobs.service import release_key


def sync_copy(ctx: JobContext) -> None:
    """Apply pending changes to the copy. The job first gives up the waiting key (committed on its own), so a
    change recorded from then on wakes a new job rather than relying on this run having seen it."""
    with transaction(ctx.runtime.sessions) as session:
        release_key(session, job_id=ctx.job_id)
    sync(ctx.runtime, wait=False)


def rebuild_copy(ctx: JobContext) -> None:
    """Rebuild the copy from the store of record (requested from the API or the Analytics engine page). The
    job gives up the waiting key first: a request made while it runs queues the next rebuild."""
    with transaction(ctx.runtime.sessions) as session:
        release_key(session, job_id=ctx.job_id)
    rebuild(ctx.runtime)


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler] = {SYNC_JOB: sync_copy, REBUILD_JOB: rebuild_copy}
