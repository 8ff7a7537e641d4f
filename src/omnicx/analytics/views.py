"""Settings → Analytics engine: how far the copy reports read is behind, what it holds, rebuild it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from omnicx.analytics import service
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Action.JOBS_READ)]
Manager = Annotated[Principal, require(Action.JOBS_MANAGE)]
PAGE = "/settings/analytics"
SETTINGS_NAV = [NavItem("analytics", N_("Analytics engine"), PAGE, Action.JOBS_READ, 91)]


@router.get(PAGE, response_class=HTMLResponse)
def analytics_page(
    request: Request, session: SessionDep, principal: Reader, requested: bool = False
) -> HTMLResponse:
    context = {
        "status": service.status(session, workspace_id=principal.workspace_id),
        "can_rebuild": allows(principal.role, Action.JOBS_MANAGE),
        "requested": requested,
    }
    return render(request, "analytics/status.html", context)


@router.post(f"{PAGE}/rebuild")
def rebuild(session: SessionDep, principal: Manager) -> RedirectResponse:
    """Queue a rebuild, then back to the page (Post/Redirect/Get)."""
    del principal
    service.request_rebuild(session)
    return RedirectResponse(f"{PAGE}?requested=1", status_code=303)
