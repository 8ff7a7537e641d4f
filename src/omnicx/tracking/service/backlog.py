"""The processing backlog: events stored but not yet processed, because collection outpaces the job workers.

Each accepted request enqueues one `tracking.process_events` job listing its event ids (`ingest.store`); a
job queued or running is work not done yet. The count of jobs and the oldest one's age come from the jobs'
partial index of waiting jobs, cheap however long the queue. The events are summed from the job payloads of
the oldest `EXACT_UP_TO` jobs only: when more wait, the number is those jobs' mean batch size times the job
count, and is flagged as estimated. (Counting unprocessed rows of `tracking_event` would need a marker column
written back by every job, a second write per event on the hottest table.)
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs_service
from omnicx.tracking.schemas import ProcessingBacklog
from omnicx.tracking.service.ingest import PROCESS_JOB

#: Past this age of the oldest waiting event, processing is "behind": timelines and reports miss recent events.
BEHIND_AFTER = timedelta(seconds=60)
#: Waiting jobs whose payloads are read to count their events; past it the count is an estimate.
EXACT_UP_TO = 1000


def processing_backlog(session: Session, *, workspace_id: uuid.UUID | None) -> ProcessingBacklog:
    """The backlog of one workspace, or of every workspace (`None`: the operator's view, as in /readyz)."""
    jobs, oldest = jobs_service.waiting(session, kind=PROCESS_JOB, workspace_id=workspace_id)
    read, events = jobs_service.waiting_list_length(
        session, kind=PROCESS_JOB, workspace_id=workspace_id, key="event_ids", limit=EXACT_UP_TO
    )
    estimated = read < jobs
    if estimated:
        events = round(events / read * jobs) if read else 0
    age = max((utcnow() - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
    return ProcessingBacklog(
        jobs=jobs,
        events=events,
        events_estimated=estimated,
        oldest_at=oldest,
        oldest_age_seconds=round(age, 3),
        behind=age > BEHIND_AFTER.total_seconds(),
        threshold_seconds=BEHIND_AFTER.total_seconds(),
    )
