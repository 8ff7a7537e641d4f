"""The caller's notifications (mentions, assignments): their page, the top bar's unread badge, marking read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from omnicx.inbox import service
from omnicx.inbox.enums import InboxTopic
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require(Action.INBOX_READ)]
OwnAccount = Annotated[Principal, require(Action.OWN_ACCOUNT)]


@router.get("/inbox/notifications", response_class=HTMLResponse)
def notifications_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """The caller's mentions and assignments, unread first; refreshed live."""
    found = service.list_notifications(session, principal=principal)
    template = (
        "inbox/_notifications.html" if request.headers.get("hx-request") else "inbox/notifications.html"
    )
    return render(request, template, {"notifications": found, "topics": InboxTopic})


@router.get("/inbox/notifications/badge", response_class=HTMLResponse)
def notifications_badge(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """The top bar's unread count (re-fetched when the caller's stream announces a notification)."""
    return render(
        request,
        "inbox/_badge.html",
        {"unread": service.unread_count(session, principal=principal), "topics": InboxTopic},
    )


@router.post("/inbox/notifications/read")
def read_notifications_form(
    session: SessionDep,
    principal: OwnAccount,
    notification_id: Annotated[str | None, Form(max_length=100)] = None,
    go: Annotated[str | None, Form(max_length=100)] = None,
) -> Any:
    """Mark one notification read (and open its conversation when `go` names it), or all of them."""
    target = optional_uuid(notification_id)
    try:
        service.mark_read(session, principal=principal, notification_id=target)
    except DomainError:
        session.rollback()
    conversation = optional_uuid(go)
    to = f"/inbox/conversations/{conversation}" if conversation else "/inbox/notifications"
    return RedirectResponse(to, status_code=303)
