"""`/api/v1/jobs`: a workspace's jobs and its dead letter, and retrying a dead job."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Query

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.schemas import JobPublic, JobStatus
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.schemas import ErrorPublic, Page

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "No such job in this workspace (`job_not_found`)."}
}


@router.get("/", response_model=Page[JobPublic])
def list_jobs(
    session: SessionDep,
    principal: Annotated[Principal, require(Action.JOBS_READ)],
    status: JobStatus | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[JobPublic]:
    """This workspace's jobs, newest first; `status=dead` is the dead letter."""
    return service.list_jobs(
        session, workspace_id=principal.workspace_id, status=status, offset=offset, limit=limit
    )


@router.get("/{job_id}", response_model=JobPublic, responses=NOT_FOUND)
def get_job(
    job_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require(Action.JOBS_READ)]
) -> JobPublic:
    return service.get_job(session, job_id=job_id, workspace_id=principal.workspace_id)


@router.post(
    "/{job_id}/retry",
    response_model=JobPublic,
    responses={
        **NOT_FOUND,
        409: {"model": ErrorPublic, "description": "The job is not dead (`job_not_retryable`)."},
    },
)
def retry_job(
    job_id: uuid.UUID, session: SessionDep, principal: Annotated[Principal, require(Action.JOBS_MANAGE)]
) -> JobPublic:
    """Put a dead job back in the queue with a fresh set of attempts, due now."""
    return service.retry_job(session, job_id=job_id, workspace_id=principal.workspace_id, principal=principal)
