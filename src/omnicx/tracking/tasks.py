"""Job handlers of the tracking domain, registered by the composition root (`omnicx.app.wiring`)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from omnicx.kernel.jobs.registry import Coalesced, Handler, JobContext
from omnicx.tracking import service

# Requests' processing jobs run many at once: one identity batch and one sessions rebuild over all their events,
# one commit. Their number is bounded per database and so is their events' total. Measured with
# `bench/ingest.py --process` (one worker): on PostgreSQL 30,000 events in 29 s twenty at once against 67 s one
# by one; on SQLite, browser-style requests of one event each 148 events/s one by one against 1,400 events/s up
# to 200 at once, while requests of a hundred gained little (a run's cost is then its events') and runs of over
# 2,000 events were slower per event.
PROCESS_JOBS_AT_ONCE = {"postgresql": 200, "sqlite": 200}
PROCESS_EVENTS_AT_ONCE = {"postgresql": 2000, "sqlite": 1000}


def _events_in(payload: Mapping[str, Any]) -> int:
    """A processing job's size: its events."""
    return len(payload.get("event_ids", ()))


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
    service.PROCESS_JOB: Coalesced(
        process_events,
        merge=merge_event_ids,
        max_jobs=PROCESS_JOBS_AT_ONCE,
        size=_events_in,
        max_size=PROCESS_EVENTS_AT_ONCE,
    ),
}
