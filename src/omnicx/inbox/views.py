"""Pages of the inbox: the conversation list with its views, one conversation with reply box, notes, status,
assignment, labels, snooze and the customer sidebar. Both refresh live over the workspace's SSE stream."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.permissions import Action, allows
from omnicx.auth.schemas import Principal
from omnicx.customers import service as customers_service
from omnicx.db import utcnow
from omnicx.errors import DomainError
from omnicx.i18n import gettext
from omnicx.i18n import lazy as N_
from omnicx.inbox import service
from omnicx.inbox.enums import ChannelKind, ConversationStatus, Priority
from omnicx.inbox.errors import MessageNotFound, RetryRefused
from omnicx.inbox.schemas import ConversationUpdate, InboxView, ReplyCreate
from omnicx.web.deps import SessionDep, SettingsDep, require
from omnicx.web.forms import redirect_or_page
from omnicx.web.nav import NavItem, register
from omnicx.web.templating import render, render_error

router = APIRouter(include_in_schema=False)
register(NavItem("inbox", N_("Inbox"), "/inbox", Action.INBOX_READ, 5))

Reader = Annotated[Principal, require(Action.INBOX_READ)]
INTENT_LABELS = {
    "order_status": N_("Order status"),
    "return": N_("Return"),
    "complaint": N_("Complaint"),
    "product_question": N_("Product question"),
    "purchase": N_("Purchase"),
}
Replier = Annotated[Principal, require(Action.INBOX_REPLY)]


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
    filters = InboxView(
        view=view if view in ("mine", "unassigned", "all") else "all",
        status=ConversationStatus(status) if status in ConversationStatus.__members__.values() else "any",
        team_id=_uuid(team),
        label=label or None,
        inbox_id=_uuid(inbox),
        channel=ChannelKind(channel) if channel and channel in ChannelKind.__members__.values() else None,
        q=(q or "").strip()[:200] or None,
    )
    context = {
        "conversations": service.list_conversations(session, principal=principal, view=filters),
        "filters": filters,
        "inboxes": service.list_inboxes(session, workspace_id=principal.workspace_id),
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "statuses": list(ConversationStatus),
        "can_report": allows(principal.role, Action.INBOX_REPORTS_READ),
    }
    if request.headers.get("hx-request"):
        return render(request, "inbox/_list.html", context)
    return render(request, "inbox/index.html", context)


def _conversation_context(
    session: Session, principal: Principal, conversation_id: uuid.UUID
) -> dict[str, Any]:
    conversation = service.get_conversation(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id
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
        "intent_labels": INTENT_LABELS,
        "insights": service.conversation_insights(
            session, workspace_id=principal.workspace_id, conversation_id=conversation_id
        ),
    }


@router.get("/inbox/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request, conversation_id: uuid.UUID, session: SessionDep, principal: Reader
) -> HTMLResponse:
    context = _conversation_context(session, principal, conversation_id)
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
        session, workspace_id=principal.workspace_id, message_id=message_id, index=index
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
        session.rollback()
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
        session.rollback()
        if target is None:
            return render_error(request, status=status, code=RetryRefused.code, message=message)
        context = _conversation_context(session, principal, target)
        return render(request, "inbox/conversation.html", {**context, "error": message}, status=status)

    return redirect_or_page(
        lambda: service.retry_message(session, principal=principal, message_id=message_id), to=back, page=page
    )
