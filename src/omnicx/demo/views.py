"""The demo's part of every page: while `omnicx demo` seeds its world behind the server, the top bar shows how far
it is, refreshed every second, and offers a reload once the world is whole."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnicx.demo.seeding import BOARD, PHASE_LABELS
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import require
from omnicx.kernel.web.nav import FramePart
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require(Action.OVERVIEW_READ)]

# The seeding's progress in every page's top bar (nothing is shown when no seeding runs in this process).
FRAME_PARTS = [
    FramePart(
        "demo-seeding", "demo/_seeding.html", Action.OVERVIEW_READ, {"board": BOARD, "labels": PHASE_LABELS}
    )
]


@router.get("/demo/seeding", response_class=HTMLResponse)
def seeding_part(request: Request, principal: Reader) -> HTMLResponse:
    """The top bar's seeding part again, as its poll asks for it."""
    return render(
        request,
        "demo/_seeding_status.html",
        {"status": BOARD.status(principal.workspace_id), "phase_labels": PHASE_LABELS},
    )
