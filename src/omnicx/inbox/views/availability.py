"""Agents' availability on the inbox's pages: everyone's status beside the list and the conversation, and the
caller's own, set from the inbox page."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.enums import Availability
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.templating import render_error

router = APIRouter(include_in_schema=False)

Replier = Annotated[Principal, require(Action.INBOX_REPLY)]
AVAILABILITY_LABELS = {
    Availability.ONLINE: N_("Online"),
    Availability.BUSY: N_("Busy"),
    Availability.OFFLINE: N_("Offline"),
}


def agent_context(session: Session, principal: Principal, members: list[Any] | None = None) -> dict[str, Any]:
    """The caller's membership (for "assign to me"), everyone's availability and whether the caller may set
    their own."""
    members = (
        members
        if members is not None
        else auth_service.list_members(session, workspace_id=principal.workspace_id)
    )
    me = next((m for m in members if m.user_id == principal.user_id), None)
    status = service.availability_of(session, workspace_id=principal.workspace_id)
    return {
        "me_membership_id": me.id if me else None,
        "my_availability": status.get(me.id) if me else None,
        "availability": status,
        "availability_labels": AVAILABILITY_LABELS,
        "can_set_availability": me is not None and allows(principal.role, Action.INBOX_REPLY),
    }


@router.post("/inbox/availability")
def availability_form(
    request: Request,
    session: SessionDep,
    principal: Replier,
    status: Annotated[str, Form(max_length=20)],
    back: Annotated[str, Form(max_length=500)] = "/inbox",
) -> Any:
    """Set the caller's availability (online, busy, offline) from the inbox page."""
    target = back if back.startswith("/") and not back.startswith("//") else "/inbox"
    try:
        service.set_availability(session, principal=principal, status=Availability(status))
    except (DomainError, ValueError) as error:
        session.rollback()
        message = (
            error.message if isinstance(error, DomainError) else gettext("Choose online, busy or offline.")
        )
        return render_error(request, status=422, code="invalid_availability", message=message)
    return RedirectResponse(target, status_code=303)
