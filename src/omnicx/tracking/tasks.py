"""Start-up wiring of the tracking domain (imported by the worker and `omnicx.domains.load_all`): its job
handler, its GDPR eraser, and what it adds to the customer 360 (timeline, devices and first touch, channel
filter)."""

from __future__ import annotations

import uuid

from omnicx.customers import service as customers_service
from omnicx.identity import service as identity_service
from omnicx.jobs.registry import JobContext, job_handler
from omnicx.tracking import service


@job_handler(service.PROCESS_JOB)
def process_events(ctx: JobContext) -> None:
    """Resolve the identities of one request's events and rebuild the touched customers' sessions."""
    if ctx.workspace_id is None:
        raise ValueError("a tracking job belongs to a workspace")
    event_ids = [uuid.UUID(str(i)) for i in ctx.payload.get("event_ids", [])]
    service.process_events(ctx.session, workspace_id=ctx.workspace_id, event_ids=event_ids)


identity_service.register_eraser("tracking", service.erase_customer_data)
customers_service.register_timeline_provider("tracking", service.timeline_items)
customers_service.register_profile_facts_provider("tracking", service.profile_facts)
customers_service.register_customer_filter("channel", service.customers_by_first_touch_channel)
