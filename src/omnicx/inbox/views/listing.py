"""The inbox's conversation list, the workspace's left pane: its views (mine, unassigned, all), filters and
order, compact rows (channel, preview, how long ago, unread, assignee, priority, SLA state), refreshed live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import labels, service
from omnicx.inbox.enums import ConversationStatus, InboxTopic, MessagingChannel
from omnicx.inbox.schemas import InboxView
from omnicx.inbox.views.availability import agent_context
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require(Action.INBOX_READ)]
LIST_PARAMETERS = ("view", "status", "team", "label", "inbox", "channel", "q", "sort")
SORT_LABELS = {"urgency": N_("Urgent first"), "recent": N_("Newest first")}


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
    sort: str = "urgency",
) -> HTMLResponse:
    """The workspace with no conversation open: the list pane beside an empty thread pane; an htmx request
    (the live refresh) gets the list's rows alone."""
    context = list_context(session, principal, request)
    if request.headers.get("hx-request") and not request.headers.get("hx-history-restore-request"):
        return render(request, "inbox/_list.html", context)
    return render(request, "inbox/index.html", {**context, **agent_context(session, principal)})


def list_context(session: Session, principal: Principal, request: Request) -> dict[str, Any]:
    """What the list pane shows: the filtered conversations with each row's SLA state, assignee, channel and
    unread marker, and the filters themselves (the inbox page and each conversation's page both show it)."""
    filters = view_of(request)
    conversations = service.list_conversations(session, principal=principal, view=filters)
    members = auth_service.list_members(session, workspace_id=principal.workspace_id)
    return {
        "conversations": conversations,
        "filters": filters,
        "list_query": list_query(request),
        "inboxes": service.list_inboxes(session, workspace_id=principal.workspace_id),
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "statuses": list(ConversationStatus),
        "status_label": labels.status_label,
        "priority_label": labels.priority_label,
        "channel_labels": service.CHANNEL_LABELS,
        "sort_labels": SORT_LABELS,
        "sla_states": service.conversation_sla_states(
            session, workspace_id=principal.workspace_id, conversations=conversations, now=utcnow()
        ),
        "assignees": {
            m.id: Assignee(name=m.name or m.email, initials=initials(m.name or m.email)) for m in members
        },
        "initials": initials,
        "can_report": allows(principal.role, Action.INBOX_REPORTS_READ),
        "topics": InboxTopic,
    }


@dataclass(frozen=True)
class Assignee:
    """A member as a list row shows them: initials in a small circle, the name on hover."""

    name: str
    initials: str


def initials(name: str) -> str:
    """Up to two capital letters for a person ("Dana Scully" → "DS", "dana@example.com" → "D")."""
    words = [w for w in name.split("@", 1)[0].replace(".", " ").replace("_", " ").split() if w[:1].isalnum()]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def view_of(request: Request) -> InboxView:
    """The list view a request's query names (the inbox page's filters; unknown values fall back)."""
    given = request.query_params
    view, status, channel = given.get("view", "all"), given.get("status", "open"), given.get("channel")
    sort = given.get("sort")
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
        sort="recent" if sort == "recent" else "urgency",
    )


def list_query(request: Request) -> str:
    """The list's own filters as a query string, carried to each conversation so `j`/`k` walk that list."""
    return urlencode([(k, v) for k in LIST_PARAMETERS if (v := request.query_params.get(k))])
