"""Pages of the inbox: the conversation list with its views, one conversation with reply box, notes, status,
assignment, labels, snooze and the customer sidebar. Both refresh live over the workspace's SSE stream."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from omnicx.auth import service as auth_service
from omnicx.customers import service as customers_service
from omnicx.inbox import service
from omnicx.inbox.enums import (
    AgentScope,
    Availability,
    ConversationEventKind,
    ConversationStatus,
    InboxTopic,
    MessagingChannel,
    Priority,
)
from omnicx.inbox.errors import MessageNotFound, RetryRefused
from omnicx.inbox.schemas import (
    CannedResponseCreate,
    CannedResponseUpdate,
    ConversationUpdate,
    InboxCreate,
    InboxSettingsUpdate,
    InboxUpdate,
    InboxView,
    ReplyCreate,
    SlaPolicyCreate,
    SlaPolicyUpdate,
)
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, SettingsDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render, render_error

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [NavItem("inbox", N_("Inbox"), "/inbox", Action.INBOX_READ, 5)]
SETTINGS_NAV = [
    NavItem("inboxes", N_("Inboxes"), "/settings/inboxes", Action.INBOX_MANAGE, 60),
    NavItem("sla", N_("SLA policies"), "/settings/sla-policies", Action.INBOX_MANAGE, 61),
    NavItem("canned", N_("Canned responses"), "/settings/canned-responses", Action.INBOX_MANAGE, 62),
]

Reader = Annotated[Principal, require(Action.INBOX_READ)]
INTENT_LABELS = {
    "order_status": N_("Order status"),
    "return": N_("Return"),
    "complaint": N_("Complaint"),
    "product_question": N_("Product question"),
    "purchase": N_("Purchase"),
}
Replier = Annotated[Principal, require(Action.INBOX_REPLY)]
CustomerMerger = Annotated[Principal, require(Action.CUSTOMERS_MANAGE)]
DUPLICATE_CANDIDATES = 8


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


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
    filters = _view_of(request)
    context = {
        "conversations": service.list_conversations(session, principal=principal, view=filters),
        "filters": filters,
        "list_query": _list_query(request),
        "inboxes": service.list_inboxes(session, workspace_id=principal.workspace_id),
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "statuses": list(ConversationStatus),
        "can_report": allows(principal.role, Action.INBOX_REPORTS_READ),
        "topics": InboxTopic,
        **_agent_context(session, principal),
    }
    if request.headers.get("hx-request"):
        return render(request, "inbox/_list.html", context)
    return render(request, "inbox/index.html", context)


LIST_PARAMETERS = ("view", "status", "team", "label", "inbox", "channel", "q")
NEIGHBOUR_WINDOW = 500


def _view_of(request: Request) -> InboxView:
    """The list view a request's query names (the inbox page's filters; unknown values fall back)."""
    given = request.query_params
    view, status, channel = given.get("view", "all"), given.get("status", "open"), given.get("channel")
    return InboxView(
        view=view if view in ("mine", "unassigned", "all") else "all",
        status=ConversationStatus(status) if status in ConversationStatus.__members__.values() else "any",
        team_id=_uuid(given.get("team")),
        label=given.get("label") or None,
        inbox_id=_uuid(given.get("inbox")),
        channel=MessagingChannel(channel)
        if channel and channel in MessagingChannel.__members__.values()
        else None,
        q=(given.get("q") or "").strip()[:200] or None,
    )


def _list_query(request: Request) -> str:
    """The list's own filters as a query string, carried to each conversation so `j`/`k` walk that list."""
    return urlencode([(k, v) for k in LIST_PARAMETERS if (v := request.query_params.get(k))])


def _neighbours(
    session: Session, principal: Principal, request: Request, conversation_id: uuid.UUID
) -> dict[str, str | None]:
    """The conversations before and after this one in the list the agent came from (same order and
    visibility as the list), as links that keep that list's filters; None at either end or off the list."""
    view = _view_of(request).model_copy(update={"limit": NEIGHBOUR_WINDOW})
    ids = [c.id for c in service.list_conversations(session, principal=principal, view=view)]
    query = _list_query(request)

    def link(index: int) -> str | None:
        if conversation_id not in ids or not 0 <= index < len(ids):
            return None
        return f"/inbox/conversations/{ids[index]}" + (f"?{query}" if query else "")

    here = ids.index(conversation_id) if conversation_id in ids else -1
    return {"previous": link(here - 1), "next": link(here + 1), "list_query": query}


def _duplicates(
    session: Session, principal: Principal, customer_id: uuid.UUID | None, query: str | None
) -> list[Any]:
    """Customers matching `query` that could be the same person as the conversation's (not itself)."""
    if customer_id is None or not query or not allows(principal.role, Action.CUSTOMERS_MANAGE):
        return []
    found = customers_service.list_customers(
        session, workspace_id=principal.workspace_id, q=query, limit=DUPLICATE_CANDIDATES + 1
    )
    return [c for c in found.items if c.id != customer_id][:DUPLICATE_CANDIDATES]


def _conversation_context(
    session: Session, principal: Principal, conversation_id: uuid.UUID, duplicate_q: str | None = None
) -> dict[str, Any]:
    conversation = service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )
    customer = None
    previous: list[Any] = []
    if conversation.customer_id is not None:
        customer = customers_service.get_customer_360(
            session,
            workspace_id=principal.workspace_id,
            customer_id=conversation.customer_id,
            timeline_limit=5,
        )
        previous = [
            c
            for c in service.customer_conversations(
                session,
                workspace_id=principal.workspace_id,
                customer_ids=[customer.customer.id, *customer.merged_customer_ids],
                principal=principal,
            )
            if c.id != conversation.id
        ]
    members = auth_service.list_members(session, workspace_id=principal.workspace_id)
    return {
        "c": conversation,
        "customer": customer,
        "previous": previous,
        "members": members,
        "members_by_id": {m.id: m for m in members},
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "statuses": list(ConversationStatus),
        "priorities": list(Priority),
        "can_reply": allows(principal.role, Action.INBOX_REPLY),
        "can_merge_customers": allows(principal.role, Action.CUSTOMERS_MANAGE),
        "duplicate_q": duplicate_q,
        "duplicates": _duplicates(session, principal, conversation.customer_id, duplicate_q),
        "intent_labels": INTENT_LABELS,
        "insights": service.conversation_insights(
            session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
        ),
        "event_labels": EVENT_LABELS,
        "event_kinds": ConversationEventKind,
        "topics": InboxTopic,
        **_agent_context(session, principal, members),
    }


@router.get("/inbox/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    duplicate_q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """The conversation; `duplicate_q` lists customers that may be the same person, to merge from here; the
    list filters (`view`, `status`, ...) say which list `j`/`k` walk."""
    context = _conversation_context(session, principal, conversation_id, duplicate_q=duplicate_q)
    context["neighbours"] = _neighbours(session, principal, request, conversation_id)
    return render(request, "inbox/conversation.html", {**context, "error": None})


@router.get("/inbox/conversations/{conversation_id}/thread", response_class=HTMLResponse)
def conversation_thread(
    request: Request, conversation_id: uuid.UUID, session: SessionDep, principal: Reader
) -> HTMLResponse:
    """The thread and status fragment, re-fetched when the live stream says the conversation changed."""
    context = _conversation_context(session, principal, conversation_id)
    return render(request, "inbox/_thread.html", context)


@router.get("/inbox/messages/{message_id}/attachments/{index}")
def attachment(
    message_id: uuid.UUID, index: int, session: SessionDep, settings: SettingsDep, principal: Reader
) -> FileResponse:
    """Download an attachment (always as a download, never rendered inline)."""
    found = service.get_attachment(
        session, workspace_id=principal.workspace_id, message_id=message_id, index=index, principal=principal
    )
    root = (settings.data_dir / "attachments").resolve()
    path = (root / found.path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise MessageNotFound("the attachment's file is missing")
    return FileResponse(path, media_type="application/octet-stream", filename=found.filename)


@router.post("/inbox/conversations/{conversation_id}/reply")
def reply_form(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: Replier,
    text: Annotated[str, Form(max_length=100_000)],
    private: Annotated[str | None, Form()] = None,
) -> Any:
    try:
        service.reply(
            session,
            principal=principal,
            conversation_id=conversation_id,
            data=ReplyCreate(text=text, private=bool(private)),
        )
    except (DomainError, ValueError) as error:
        session.rollback()
        context = _conversation_context(session, principal, conversation_id)
        message = error.message if isinstance(error, DomainError) else str(error)
        return render(request, "inbox/conversation.html", {**context, "error": message}, status=422)
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


@router.post("/inbox/conversations/{conversation_id}/update")
def update_form(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: Replier,
    status: Annotated[str | None, Form()] = None,
    priority: Annotated[str | None, Form()] = None,
    assignee: Annotated[str | None, Form()] = None,
    team: Annotated[str | None, Form()] = None,
    labels: Annotated[str | None, Form(max_length=2000)] = None,
    snoozed_until: Annotated[str | None, Form()] = None,
) -> Any:
    tz = getattr(request.state, "timezone", "UTC")
    fields: dict[str, Any] = {}
    if status:
        fields["status"] = status
    if priority:
        fields["priority"] = priority
    if assignee is not None:
        fields["assignee_id"] = _uuid(assignee)
    if team is not None:
        fields["team_id"] = _uuid(team)
    if labels is not None:
        fields["labels"] = [part.strip() for part in labels.split(",") if part.strip()]
    if snoozed_until:
        try:
            fields["snoozed_until"] = datetime.fromisoformat(snoozed_until).replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            fields["snoozed_until"] = None
    try:
        data = ConversationUpdate.model_validate(fields)
        service.update_conversation(session, principal=principal, conversation_id=conversation_id, data=data)
    except (DomainError, ValueError) as error:
        session.rollback()
        context = _conversation_context(session, principal, conversation_id)
        message = error.message if isinstance(error, DomainError) else str(error)
        return render(request, "inbox/conversation.html", {**context, "error": message}, status=422)
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


ReportReader = Annotated[Principal, require(Action.INBOX_REPORTS_READ)]
REPORT_DAYS = 30


@router.get("/inbox/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    principal: ReportReader,
    date_from: date | None = None,
    date_to: date | None = None,
    dimension: str = "channel",
) -> HTMLResponse:
    """Inbox reports: daily trend and response/resolution times per channel, agent or team, with exports."""
    today = utcnow().date()
    start, end = date_from or today - timedelta(days=REPORT_DAYS - 1), date_to or today
    dim = dimension if dimension in ("channel", "agent", "team") else "channel"
    error = None
    try:
        report = service.report(session, workspace_id=principal.workspace_id, start=start, end=end)
    except DomainError as exc:
        error = exc.message
        start, end = today - timedelta(days=REPORT_DAYS - 1), today
        report = service.report(session, workspace_id=principal.workspace_id, start=start, end=end)
    params = {"from": start.isoformat(), "to": end.isoformat()}
    context = {
        "report": report,
        "dimension": dim,
        "rows": {"channel": report.by_channel, "agent": report.by_agent, "team": report.by_team}[dim],
        "trend_json": json.dumps(service.chart_spec(report, "trend")),
        "times_json": json.dumps(service.chart_spec(report, "times", dim)),  # type: ignore[arg-type]
        "export_query": urlencode(params),
        "trend_query": urlencode({**params, "chart": "trend"}),
        "times_query": urlencode({**params, "chart": "times", "dimension": dim}),
        "error": error,
    }
    return render(request, "inbox/reports.html", context)


@router.post("/inbox/conversations/{conversation_id}/merge")
def merge_form(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: Replier,
    source_id: Annotated[str, Form(max_length=100)],
) -> Any:
    """Merge another conversation of this customer into this one."""

    def page(message: str, status: int) -> HTMLResponse:
        context = _conversation_context(session, principal, conversation_id)
        return render(request, "inbox/conversation.html", {**context, "error": message}, status=status)

    source = _uuid(source_id)
    if source is None:
        return page(gettext("Choose a conversation to merge."), 422)
    return redirect_or_page(
        lambda: service.merge_conversations(
            session, principal=principal, target_id=conversation_id, source_id=source
        ),
        to=f"/inbox/conversations/{conversation_id}",
        page=page,
        session=session,
    )


@router.post("/inbox/conversations/{conversation_id}/merge-customer")
def merge_customer_form(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: CustomerMerger,
    source_id: Annotated[str, Form(max_length=100)],
) -> Any:
    """Merge a duplicate customer into this conversation's customer (identity's merge, audited): their
    conversations, orders and events then show as one person's."""
    conversation = service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
    )

    def page(message: str, status: int) -> HTMLResponse:
        context = _conversation_context(session, principal, conversation_id)
        return render(request, "inbox/conversation.html", {**context, "error": message}, status=status)

    source = _uuid(source_id)
    if source is None or conversation.customer_id is None:
        return page(gettext("Choose a customer to merge."), 422)
    target = conversation.customer_id
    return redirect_or_page(
        lambda: customers_service.merge(session, principal=principal, target_id=target, source_id=source),
        to=f"/inbox/conversations/{conversation_id}",
        page=page,
        session=session,
    )


@router.post("/inbox/messages/{message_id}/retry")
def retry_form(
    request: Request,
    message_id: uuid.UUID,
    session: SessionDep,
    principal: Replier,
    conversation_id: Annotated[str, Form(max_length=100)],
) -> Any:
    """Send a failed reply again (same Message-ID, a new delivery job)."""
    target = _uuid(conversation_id)
    back = f"/inbox/conversations/{target}" if target else "/inbox"

    def page(message: str, status: int) -> HTMLResponse:
        if target is None:
            return render_error(request, status=status, code=RetryRefused.code, message=message)
        context = _conversation_context(session, principal, target)
        return render(request, "inbox/conversation.html", {**context, "error": message}, status=status)

    return redirect_or_page(
        lambda: service.retry_message(session, principal=principal, message_id=message_id),
        to=back,
        page=page,
        session=session,
    )


# --- Agent experience: availability, notifications, settings pages ----------------------------------------------

EVENT_LABELS = {
    ConversationEventKind.CREATED: N_("opened the conversation"),
    ConversationEventKind.ASSIGNED: N_("assigned it"),
    ConversationEventKind.REPLIED: N_("replied"),
    ConversationEventKind.NOTE_ADDED: N_("added a private note"),
    ConversationEventKind.STATUS_CHANGED: N_("changed the status"),
    ConversationEventKind.PRIORITY_CHANGED: N_("changed the priority"),
    ConversationEventKind.LABELS_CHANGED: N_("changed the labels"),
    ConversationEventKind.TEAM_CHANGED: N_("changed the team"),
    ConversationEventKind.REOPENED: N_("reopened it"),
    ConversationEventKind.WOKEN: N_("woke it from snooze"),
    ConversationEventKind.MERGED: N_("merged another conversation into it"),
    ConversationEventKind.MERGED_INTO: N_("merged it into another conversation"),
    ConversationEventKind.DELIVERY_RETRIED: N_("retried a failed reply"),
    ConversationEventKind.NOTICE_SENT: N_("sent a notice"),
}
WEEKDAYS = [
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
]
AVAILABILITY_LABELS = {
    Availability.ONLINE: N_("Online"),
    Availability.BUSY: N_("Busy"),
    Availability.OFFLINE: N_("Offline"),
}
Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]


def _agent_context(
    session: Session, principal: Principal, members: list[Any] | None = None
) -> dict[str, Any]:
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
    principal: Reader,
    notification_id: Annotated[str | None, Form(max_length=100)] = None,
    go: Annotated[str | None, Form(max_length=100)] = None,
) -> Any:
    """Mark one notification read (and open its conversation when `go` names it), or all of them."""
    target = _uuid(notification_id)
    try:
        service.mark_read(session, principal=principal, notification_id=target)
    except DomainError:
        session.rollback()
    conversation = _uuid(go)
    to = f"/inbox/conversations/{conversation}" if conversation else "/inbox/notifications"
    return RedirectResponse(to, status_code=303)


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
    existing = _uuid(canned_id)

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


AGENT_SCOPE_LABELS = {
    AgentScope.INBOXES: N_("Every conversation of the inboxes they belong to"),
    AgentScope.TEAM: N_("Their own, their teams' and unassigned conversations"),
    AgentScope.OWN: N_("Only their own and unassigned conversations"),
}


def _inboxes_page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {
        "inboxes": service.list_inboxes(session, workspace_id=principal.workspace_id),
        "policies": service.list_sla_policies(session, workspace_id=principal.workspace_id),
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "channels": list(MessagingChannel),
        "agent_scope": service.get_inbox_settings(session, workspace_id=principal.workspace_id).agent_scope,
        "agent_scopes": AGENT_SCOPE_LABELS,
        "error": error,
    }
    return render(request, "inbox/settings_inboxes.html", context, status=status)


@router.post("/settings/inboxes/access", response_class=HTMLResponse)
def agent_scope_save(
    request: Request,
    session: SessionDep,
    principal: Manager,
    agent_scope: Annotated[str, Form(max_length=20)],
) -> Any:
    """Which conversations agents see within their inboxes."""

    def save() -> object:
        data = InboxSettingsUpdate.model_validate({"agent_scope": agent_scope})
        return service.update_inbox_settings(session, principal=principal, data=data)

    return redirect_or_page(
        save,
        to="/settings/inboxes",
        page=lambda message, status: _inboxes_page(request, session, principal, error=message, status=status),
        session=session,
    )


@router.get("/settings/inboxes", response_class=HTMLResponse)
def inboxes_page(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _inboxes_page(request, session, principal)


@router.post("/settings/inboxes", response_class=HTMLResponse)
def inbox_save(
    request: Request,
    session: SessionDep,
    principal: Manager,
    name: Annotated[str, Form(max_length=200)],
    inbox_id: Annotated[str | None, Form(max_length=100)] = None,
    channel: Annotated[str, Form(max_length=20)] = "email",
    address: Annotated[str, Form(max_length=320)] = "",
    team: Annotated[str, Form(max_length=100)] = "",
    sla_policy: Annotated[str, Form(max_length=100)] = "",
    reopen_window_hours: Annotated[float, Form(ge=0, le=24 * 365)] = 72.0,
    auto_resolve_hours: Annotated[str, Form(max_length=20)] = "",
    assignment_capacity: Annotated[int, Form(ge=0, le=1000)] = 0,
    auto_assign: Annotated[str | None, Form()] = None,
) -> Any:
    """Create an inbox, or change one (`inbox_id`): name, team, SLA policy, reopen window, auto-resolve (empty:
    never), round robin."""
    existing = _uuid(inbox_id)

    def save() -> object:
        fields: dict[str, Any] = {
            "name": name,
            "team_id": _uuid(team),
            "reopen_window_hours": reopen_window_hours,
            "auto_resolve_hours": auto_resolve_hours.strip() or None,
            "assignment_capacity": assignment_capacity,
            "auto_assign": bool(auto_assign),
        }
        if existing is not None:
            data = InboxUpdate.model_validate({**fields, "sla_policy_id": _uuid(sla_policy)})
            return service.update_inbox(session, principal=principal, inbox_id=existing, data=data)
        created = service.create_inbox(
            session,
            principal=principal,
            data=InboxCreate.model_validate({**fields, "channel": channel, "address": address or None}),
        )
        policy = _uuid(sla_policy)
        if policy is not None:
            update = InboxUpdate(sla_policy_id=policy)
            service.update_inbox(session, principal=principal, inbox_id=created.id, data=update)
        return created

    return redirect_or_page(
        save,
        to="/settings/inboxes",
        page=lambda message, status: _inboxes_page(request, session, principal, error=message, status=status),
        session=session,
    )


def _sla_page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    policies = service.list_sla_policies(session, workspace_id=principal.workspace_id)
    context = {
        "policies": policies,
        "hours_text": {p.id: _hours_text(p.business_hours) for p in policies},
        "days": [
            N_("Monday"),
            N_("Tuesday"),
            N_("Wednesday"),
            N_("Thursday"),
            N_("Friday"),
            N_("Saturday"),
            N_("Sunday"),
        ],
        "error": error,
    }
    return render(request, "inbox/settings_sla.html", context, status=status)


def _hours_text(hours: dict[str, Any]) -> dict[str, str]:
    """Business hours as the form shows them: per weekday, `09:00-12:00, 13:00-17:00`."""
    return {day: ", ".join(f"{a}-{b}" for a, b in intervals) for day, intervals in hours.items()}


def _parse_hours(form: dict[str, str]) -> dict[str, list[tuple[str, str]]]:
    hours: dict[str, list[tuple[str, str]]] = {}
    for day in range(7):
        raw = form.get(f"hours_{day}", "").strip()
        if raw:
            pairs = [part.strip().split("-", 1) for part in raw.split(",") if part.strip()]
            hours[str(day)] = [(p[0].strip(), p[1].strip() if len(p) > 1 else "") for p in pairs]
    return hours


@router.get("/settings/sla-policies", response_class=HTMLResponse)
def sla_page(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _sla_page(request, session, principal)


@router.post("/settings/sla-policies", response_class=HTMLResponse)
async def sla_save(request: Request, session: SessionDep, principal: Manager) -> Any:
    """Create an SLA policy, or replace one (`policy_id`): targets in minutes, hours per weekday, holidays."""
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    existing = _uuid(form.get("policy_id"))

    def minutes(name: str) -> int | None:
        raw = form.get(name, "").strip()
        return int(raw) if raw.isdigit() else None

    def save() -> object:
        data = {
            "name": form.get("name", ""),
            "first_response_minutes": minutes("first_response_minutes") or 120,
            "next_response_minutes": minutes("next_response_minutes"),
            "resolution_minutes": minutes("resolution_minutes"),
            "business_hours": _parse_hours(form),
            "holidays": [
                d.strip() for d in form.get("holidays", "").replace("\n", ",").split(",") if d.strip()
            ],
        }
        if existing is None:
            return service.create_sla_policy(
                session, principal=principal, data=SlaPolicyCreate.model_validate(data)
            )
        return service.update_sla_policy(
            session, principal=principal, policy_id=existing, data=SlaPolicyUpdate.model_validate(data)
        )

    return await run_in_threadpool(
        redirect_or_page,
        save,
        to="/settings/sla-policies",
        page=lambda message, status: _sla_page(request, session, principal, error=message, status=status),
        session=session,
    )
