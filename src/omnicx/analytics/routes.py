"""REST API of the analytics engine: how far the copy is behind, and a rebuild on request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from omnicx.analytics import service
from omnicx.analytics.schemas import AnalyticsStatus
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"], responses=ERROR_RESPONSES)
Reader = Annotated[Principal, require(Action.JOBS_READ)]
Manager = Annotated[Principal, require(Action.JOBS_MANAGE)]


class RebuildRequested(BaseModel):
    job_id: str


@router.get("/status", response_model=AnalyticsStatus)
def status(session: SessionDep, principal: Reader) -> AnalyticsStatus:
    """This workspace's copy: changes waiting to be applied, the lag in seconds, rows per table."""
    return service.status(session, workspace_id=principal.workspace_id)


@router.post("/rebuild", response_model=RebuildRequested, status_code=202)
def rebuild(session: SessionDep, principal: Manager) -> RebuildRequested:
    """Queue a rebuild of the copy from the store of record (requests within ten minutes share one job)."""
    del principal  # the role check is the point; the rebuild covers the whole copy
    return RebuildRequested(job_id=str(service.request_rebuild(session)))
