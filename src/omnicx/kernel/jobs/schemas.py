"""Contracts of the jobs domain: what the API, the pages and the CLI show of a job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from omnicx.kernel.jobs.models import JobStatus

__all__ = ["JobPublic", "JobStatus"]


class JobPublic(BaseModel):
    """A job as admins see it.

    `last_error` describes the last failed attempt (kept after a later success): a one-line summary, then the
    (truncated) traceback.
    """

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    workspace_id: uuid.UUID | None
    kind: str
    status: JobStatus
    attempts: int
    max_attempts: int
    run_at: datetime
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None
    payload: dict[str, Any]
