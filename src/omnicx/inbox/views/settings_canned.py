"""Settings → Canned responses: the workspace's saved replies, typed as `/shortcut` in the reply box."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from omnicx.inbox import service
from omnicx.inbox.schemas import CannedResponseCreate, CannedResponseUpdate
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]


def _canned_page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {"items": service.list_canned(session, workspace_id=principal.workspace_id), "error": error}
    return render(request, "inbox/settings_canned.html", context, status=status)


@router.get("/settings/canned-responses", response_class=HTMLResponse)
def canned_page(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _canned_page(request, session, principal)


@router.post("/settings/canned-responses", response_class=HTMLResponse)
def canned_save(
    request: Request,
    session: SessionDep,
    principal: Manager,
    shortcut: Annotated[str, Form(max_length=64)],
    content: Annotated[str, Form(max_length=20_000)],
    canned_id: Annotated[str | None, Form(max_length=100)] = None,
) -> Any:
    """Create a canned response, or change one (`canned_id`)."""
    existing = optional_uuid(canned_id)

    def save() -> object:
        if existing is None:
            return service.create_canned(
                session,
                principal=principal,
                data=CannedResponseCreate(shortcut=shortcut.strip().lstrip("/"), content=content),
            )
        data = CannedResponseUpdate(shortcut=shortcut.strip().lstrip("/"), content=content)
        return service.update_canned(session, principal=principal, canned_id=existing, data=data)

    return redirect_or_page(
        save,
        to="/settings/canned-responses",
        page=lambda message, status: _canned_page(request, session, principal, error=message, status=status),
        session=session,
    )


@router.post("/settings/canned-responses/{canned_id}/delete", response_class=HTMLResponse)
def canned_delete(request: Request, canned_id: uuid.UUID, session: SessionDep, principal: Manager) -> Any:
    return redirect_or_page(
        lambda: service.delete_canned(session, principal=principal, canned_id=canned_id),
        to="/settings/canned-responses",
        page=lambda message, status: _canned_page(request, session, principal, error=message, status=status),
        session=session,
    )
