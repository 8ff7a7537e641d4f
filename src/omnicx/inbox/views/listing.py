"""The inbox's conversation list: its views (mine, unassigned, all) and filters, refreshed live."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnicx.auth import service as auth_service
from omnicx.inbox import labels, service
from omnicx.inbox.enums import ConversationStatus, InboxTopic, MessagingChannel
from omnicx.inbox.schemas import InboxView
from omnicx.inbox.views.availability import agent_context
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require(Action.INBOX_READ)]
LIST_PARAMETERS = ("view", "status", "team", "label", "inbox", "channel", "q")


@router.get("/inbox", response_class=HTMLResponse)
def inbox_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    view: str = "all",
    status: str = "open",
    team: str | None = None,
    label: str | None = None,
    inbox: str | None = None,
    channel: str | None = None,
    q: str | None = None,
) -> HTMLResponse:
    filters = view_of(request)
    context = {
        "conversations": service.list_conversations(session, principal=principal, view=filters),
        "filters": filters,
        "list_query": list_query(request),
        "inboxes": service.list_inboxes(session, workspace_id=principal.workspace_id),
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "statuses": list(ConversationStatus),
        "status_label": labels.status_label,
        "priority_label": labels.priority_label,
        "can_report": allows(principal.role, Action.INBOX_REPORTS_READ),
        "topics": InboxTopic,
        **agent_context(session, principal),
    }
    if request.headers.get("hx-request"):
        return render(request, "inbox/_list.html", context)
    return render(request, "inbox/index.html", context)


def view_of(request: Request) -> InboxView:
    """The list view a request's query names (the inbox page's filters; unknown values fall back)."""
    given = request.query_params
    view, status, channel = given.get("view", "all"), given.get("status", "open"), given.get("channel")
    return InboxView(
        view=view if view in ("mine", "unassigned", "all") else "all",
        status=ConversationStatus(status) if status in ConversationStatus.__members__.values() else "any",
        team_id=optional_uuid(given.get("team")),
        label=given.get("label") or None,
        inbox_id=optional_uuid(given.get("inbox")),
        channel=MessagingChannel(channel)
        if channel and channel in MessagingChannel.__members__.values()
        else None,
        q=(given.get("q") or "").strip()[:200] or None,
    )


def list_query(request: Request) -> str:
    """The list's own filters as a query string, carried to each conversation so `j`/`k` walk that list."""
    return urlencode([(k, v) for k in LIST_PARAMETERS if (v := request.query_params.get(k))])
