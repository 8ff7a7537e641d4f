"""Settings → Jobs: a workspace's background jobs by status, the dead letter, and retrying a dead job."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.feed import feed_lag
from omnicx.kernel.jobs.schemas import JobStatus
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
JobsReader = Annotated[Principal, require(Action.JOBS_READ)]
JobsManager = Annotated[Principal, require(Action.JOBS_MANAGE)]


def _jobs_path(status: JobStatus | None) -> str:
    return f"/settings/jobs?status={status.value}" if status else "/settings/jobs"


@router.get("/settings/jobs", response_class=HTMLResponse)
def jobs_page(
    request: Request,
    session: SessionDep,
    principal: JobsReader,
    status: JobStatus | None = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    page = service.list_jobs(
        session, workspace_id=principal.workspace_id, status=status, offset=offset, limit=PAGE_SIZE
    )
    context = {
        "page": page,
        "status": status,
        "counts": service.stats(session, workspace_id=principal.workspace_id),
        "can_retry": allows(principal.role, Action.JOBS_MANAGE),
        "feed": feed_lag(session, workspace_id=principal.workspace_id),
    }
    return render(request, "jobs/list.html", context)


@router.post("/settings/jobs/{job_id}/retry")
def retry(
    job_id: uuid.UUID, session: SessionDep, principal: JobsManager, status: JobStatus | None = None
) -> RedirectResponse:
    """Retry, then back to the list the button was on (Post/Redirect/Get: a reload does not retry again)."""
    service.retry_job(session, job_id=job_id, workspace_id=principal.workspace_id, principal=principal)
    return RedirectResponse(_jobs_path(status), status_code=303)
