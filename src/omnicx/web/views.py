"""Pages and probes owned by the shell itself: health checks and the Overview frame."""

from __future__ import annotations

from functools import cache
from typing import Annotated

import vl_convert
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy import text

from omnicx.auth import service as auth_service
from omnicx.auth.permissions import Action, Role, allows
from omnicx.auth.schemas import Principal
from omnicx.jobs import service as jobs_service
from omnicx.migrations import is_current
from omnicx.web.deps import RuntimeDep, SessionDep, require
from omnicx.web.templating import render

router = APIRouter()

# Topics the Overview's activity feed lists; domains add theirs as they publish events worth seeing.
FEED_TOPICS: list[str] = ["audit.recorded", "job.dead"]


@router.get("/healthz", include_in_schema=False)
def healthz() -> dict[str, str]:
    """Alive: the process answers (no dependency checked, so orchestrators do not restart on a DB blip)."""
    return {"status": "ok"}


@router.get("/readyz", include_in_schema=False)
def readyz(runtime: RuntimeDep) -> JSONResponse:
    """Ready: the database answers and its schema is at the newest migration."""
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = is_current(runtime.engine)
    except Exception as exc:
        return JSONResponse({"status": "unavailable", "reason": type(exc).__name__}, status_code=503)
    if not current:
        return JSONResponse({"status": "unavailable", "reason": "migrations pending"}, status_code=503)
    return JSONResponse({"status": "ready"})


@router.get("/assets/vega.js", include_in_schema=False)
def vega_bundle() -> Response:
    """Vega, Vega-Lite and vega-embed, as bundled by vl-convert (served by omnicx itself: no CDN)."""
    return Response(
        _vega_bundle(), media_type="text/javascript", headers={"cache-control": "public, max-age=86400"}
    )


VEGA_GLOBALS = "window.vegaEmbed = vegaEmbed; window.vega = vega; window.vegaLite = vegaLite;"


@cache
def _vega_bundle() -> str:
    bundle: str = vl_convert.javascript_bundle(VEGA_GLOBALS)
    return bundle


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def overview(
    request: Request, session: SessionDep, principal: Annotated[Principal, require(Action.OVERVIEW_READ)]
) -> HTMLResponse:
    members = auth_service.list_members(session, workspace_id=principal.workspace_id)
    job_stats = (
        jobs_service.stats(session, workspace_id=principal.workspace_id)
        if allows(principal.role, Action.JOBS_READ)
        else None
    )
    audit = (
        auth_service.list_audit(session, workspace_id=principal.workspace_id, limit=8).items
        if allows(principal.role, Action.AUDIT_READ)
        else None
    )
    roles = {role.value: sum(1 for m in members if m.role is role) for role in Role}
    roles = {role: count for role, count in roles.items() if count}
    return render(
        request,
        "overview.html",
        {
            "members": members,
            "roles": roles,
            "job_stats": job_stats,
            "audit": audit,
            "feed_topics": FEED_TOPICS,
        },
    )
