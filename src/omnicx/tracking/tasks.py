"""Job handlers of the tracking domain, registered by the composition root (`omnicx.app.wiring`)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from omnicx.kernel.jobs.registry import Coalesced, Handler, JobContext
from omnicx.tracking import service

# Requests' processing jobs (a hundred events each from the SDKs' batches) run up to this many at once: one
# identity batch and one sessions rebuild over all their events, one commit. Measured with
# `bench/ingest.py --process` (30,000 events, one worker): on PostgreSQL 29 s with twenty at once against 67 s one
# by one; on SQLite one by one was fastest (8.2 s of CPU, against 10.3 s with twenty).
PROCESS_JOBS_AT_ONCE = {"postgresql": 20}


def process_events(ctx: JobContext) -> None:
    """Resolve the identities of requests' events and rebuild the touched customers' sessions."""
    if ctx.workspace_id is None:
        raise ValueError("a tracking job belongs to a workspace")
    event_ids = [uuid.UUID(str(i)) for i in ctx.payload.get("event_ids", [])]
    service.process_events(ctx.session, workspace_id=ctx.workspace_id, event_ids=event_ids)


def merge_event_ids(payloads: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The payload of processing jobs run together: all their events."""
    return {"event_ids": [event_id for payload in payloads for event_id in payload.get("event_ids", [])]}


# What the composition root registers (`omnicx.app.wiring`): job kind -> handler.
HANDLERS: dict[str, Handler | Coalesced] = {
    service.PROCESS_JOB: Coalesced(process_events, merge=merge_event_ids, max_jobs=PROCESS_JOBS_AT_ONCE),
}
