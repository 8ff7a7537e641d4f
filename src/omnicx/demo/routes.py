"""REST API of the demo: how far the demo world this server seeds has come."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from omnicx.demo.schemas import SeedingStatus
from omnicx.demo.seeding import BOARD
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import require
from omnicx.kernel.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/demo", tags=["demo"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.OVERVIEW_READ)]


@router.get("/seeding", response_model=SeedingStatus)
def seeding(principal: Reader) -> SeedingStatus:
    """`omnicx demo` serves at once and seeds its world behind: the phase, its progress and the whole's share
    while it runs; `idle` when this server seeds nothing for the caller's workspace."""
    return BOARD.status(principal.workspace_id)
