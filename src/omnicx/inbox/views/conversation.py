"""One conversation's page: the thread with the reply box and private notes, status, assignment, labels, snooze,
merges, failed replies sent again, attachments, and the customer sidebar (a sender who only claimed who they
are is marked so, and linked to a customer by an agent's explicit action); refreshed live."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.customers import service as customers_service
from omnicx.inbox import labels, service
from omnicx.inbox.enums import ConversationEventKind, ConversationStatus, InboxTopic, Priority
from omnicx.inbox.errors import MessageNotFound, RetryRefused
from omnicx.inbox.schemas import ContactPublic, ConversationUpdate, ReplyCreate, TemplateMessage
from omnicx.inbox.views.availability import agent_context
from omnicx.inbox.views.listing import list_context, list_query, view_of
from omnicx.inbox.views.params import optional_uuid
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, SettingsDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.templating import render, render_error

router = APIRouter(include_in_schema=False)

Reader = Annotated[Principal, require(Action.INBOX_READ)]
Replier = Annotated[Principal, require(Action.INBOX_REPLY)]
CustomerMerger = Annotated[Principal, require(Action.CUSTOMERS_MANAGE)]
DUPLICATE_CANDIDATES = 8
NEIGHBOUR_WINDOW = 500
#: The workspace's middle and right panes, which a row of the list loads with htmx (its `hx-target`).
DETAIL_TARGET = "conversation-pane"

SENTIMENT_LABELS = {"negative": N_("Negative"), "neutral": N_("Neutral"), "positive": N_("Positive")}
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
    ConversationEventKind.ERASED: N_("erased the customer's messages and contact details"),
    ConversationEventKind.CUSTOMER_LINKED: N_("linked the sender to a customer"),
    ConversationEventKind.QUALIFIED: N_("qualified the customer as a lead"),
    ConversationEventKind.RATED: N_("rated the conversation"),
    ConversationEventKind.SLA_WARNING: N_("warned that the first response is due soon"),
    ConversationEventKind.SLA_BREACHED: N_("marked the first response as overdue"),
}


def _neighbours(
    session: Session, principal: Principal, request: Request, conversation_id: uuid.UUID
) -> dict[str, str | None]:
    """The conversations before and after this one in the list the agent came from (same order and
    visibility as the list), as links that keep that list's filters; None at either end or off the list."""
    view = view_of(request).model_copy(update={"limit": NEIGHBOUR_WINDOW})
    ids = [c.id for c in service.list_conversations(session, principal=principal, view=view)]
    query = list_query(request)

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


def _link_candidates(
    session: Session, principal: Principal, contact: ContactPublic, query: str | None
) -> list[Any]:
    """Customers an agent may link a sender who only claimed who they are to: matching `query`, else the
    claimed email (a suggestion to check with the person, never applied by itself)."""
    search = query or contact.email
    if contact.verified or not search or not allows(principal.role, Action.INBOX_REPLY):
        return []
    found = customers_service.list_customers(
        session, workspace_id=principal.workspace_id, q=search, limit=DUPLICATE_CANDIDATES
    )
    return [c for c in found.items if c.id != contact.customer_id]


def _conversation_context(
    session: Session,
    principal: Principal,
    conversation_id: uuid.UUID,
    duplicate_q: str | None = None,
    link_q: str | None = None,
    secret_key: str | None = None,
) -> dict[str, Any]:
    """What the conversation page shows; with `secret_key` (the page's composer, not the live thread), the
    approved templates its inbox's account offers when the reply window calls for them."""
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
    window = service.reply_window(
        session,
        channel=conversation.channel,
        inbox_id=conversation.inbox_id,
        contact_id=conversation.contact.id,
        now=utcnow(),
    )
    return {
        "c": conversation,
        "customer": customer,
        "previous": previous,
        "members": members,
        "members_by_id": {m.id: m for m in members},
        "teams": auth_service.list_teams(session, workspace_id=principal.workspace_id),
        "statuses": list(ConversationStatus),
        "priorities": list(Priority),
        "status_label": labels.status_label,
        "priority_label": labels.priority_label,
        "delivery_label": labels.delivery_label,
        "can_reply": allows(principal.role, Action.INBOX_REPLY),
        "reply_channels": (
            service.conversation_reply_channels(session, principal=principal, conversation_id=conversation_id)
            if allows(principal.role, Action.INBOX_REPLY)
            else []
        ),
        "inbox_channels": {
            i.id: i.channel for i in service.list_inboxes(session, workspace_id=principal.workspace_id)
        },
        "channel_labels": service.CHANNEL_LABELS,
        "qualified": service.is_qualified(session, conversation_id=conversation_id),
        "reply_window": window,
        "template_offer": (
            service.approved_templates(session, inbox_id=conversation.inbox_id, secret_key=secret_key)
            if secret_key
            and window is not None
            and window.templates
            and allows(principal.role, Action.INBOX_REPLY)
            else None
        ),
        "opted_out": service.opt_out_of(
            session,
            workspace_id=principal.workspace_id,
            channel=conversation.channel,
            address=conversation.contact.source_id,
        ),
        "can_merge_customers": allows(principal.role, Action.CUSTOMERS_MANAGE),
        "duplicate_q": duplicate_q,
        "duplicates": _duplicates(session, principal, conversation.customer_id, duplicate_q),
        "link_q": link_q,
        "link_candidates": _link_candidates(session, principal, conversation.contact, link_q),
        "intent_labels": labels.INTENT_LABELS,
        "insights": service.conversation_insights(
            session, workspace_id=principal.workspace_id, conversation_id=conversation_id, principal=principal
        ),
        "event_labels": EVENT_LABELS,
        "sentiment_labels": SENTIMENT_LABELS,
        "event_kinds": ConversationEventKind,
        "topics": InboxTopic,
        **agent_context(session, principal, members),
    }


@router.get("/inbox/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation_page(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: Reader,
    duplicate_q: Annotated[str | None, Query(max_length=200)] = None,
    link_q: Annotated[str | None, Query(max_length=200)] = None,
) -> HTMLResponse:
    """The conversation; `duplicate_q` lists customers that may be the same person, to merge from here;
    `link_q` customers to link a sender who only claimed who they are to; the list filters (`view`, `status`,
    ...) say which list `j`/`k` walk."""
    context = _conversation_context(
        session,
        principal,
        conversation_id,
        duplicate_q=duplicate_q,
        link_q=link_q,
        secret_key=settings.resolved_secret_key,
    )
    context["neighbours"] = _neighbours(session, principal, request, conversation_id)
    if request.headers.get("hx-target") == DETAIL_TARGET and not request.headers.get(
        "hx-history-restore-request"
    ):
        return render(request, "inbox/_detail.html", {**context, "error": None})
    return _page(request, session, principal, context)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    context: dict[str, Any],
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The whole workspace around one conversation: the list pane (the filters of the URL), the thread and
    the customer pane; `error` on top of the thread."""
    full = {**list_context(session, principal, request), **context, "error": error}
    full.setdefault("neighbours", None)
    return render(request, "inbox/conversation.html", full, status=status)


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
    settings: SettingsDep,
    principal: Replier,
    text: Annotated[str, Form(max_length=100_000)] = "",
    private: Annotated[str | None, Form()] = None,
    template_choice: Annotated[str, Form(max_length=600)] = "",
    template_name: Annotated[str, Form(max_length=512)] = "",
    template_language: Annotated[str, Form(max_length=10)] = "",
    template_parameters: Annotated[str, Form(max_length=5000)] = "",
    via: Annotated[str, Form(max_length=100)] = "",
) -> Any:
    """A reply, a private note, or an approved template (WhatsApp: chosen among those offered as
    `name|language`, or named by hand; its parameters one per line), on the conversation's own channel or, `via`
    another inbox, on another channel of its customer."""
    try:
        template = _template(template_choice, template_name, template_language, template_parameters)
        service.reply(
            session,
            principal=principal,
            conversation_id=conversation_id,
            data=ReplyCreate(
                text=text, private=bool(private), template=template, via_inbox_id=optional_uuid(via)
            ),
        )
    except (DomainError, ValueError) as error:
        session.rollback()
        context = _conversation_context(
            session, principal, conversation_id, secret_key=settings.resolved_secret_key
        )
        message = error.message if isinstance(error, DomainError) else str(error)
        return _page(request, session, principal, context, message, 422)
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


def _template(choice: str, name: str, language: str, parameters: str) -> TemplateMessage | None:
    """The template the composer asks for: the one chosen in the list (`name|language`), else the one named by
    hand; None for free text."""
    chosen_name, _, chosen_language = choice.strip().partition("|")
    name, language = (chosen_name, chosen_language) if chosen_name else (name.strip(), language.strip())
    if not name:
        return None
    return TemplateMessage(
        name=name,
        language=language or "en",
        parameters=[line.strip() for line in parameters.splitlines() if line.strip()],
    )


@router.post("/inbox/conversations/{conversation_id}/qualify")
def qualify_form(
    request: Request, conversation_id: uuid.UUID, session: SessionDep, principal: Replier
) -> Any:
    """Mark the conversation's customer as a qualified lead (credited to this conversation's channel)."""
    try:
        service.qualify_lead(session, principal=principal, conversation_id=conversation_id)
    except DomainError as error:
        session.rollback()
        context = _conversation_context(session, principal, conversation_id)
        return _page(request, session, principal, context, error.message, 422)
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
        fields["assignee_id"] = optional_uuid(assignee)
    if team is not None:
        fields["team_id"] = optional_uuid(team)
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
        return _page(request, session, principal, context, message, 422)
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


def _error_page(
    request: Request, session: Session, principal: Principal, conversation_id: uuid.UUID
) -> Callable[[str, int], HTMLResponse]:
    """How a conversation form shows its error: the conversation page again, with the message on top."""

    def page(message: str, status: int) -> HTMLResponse:
        context = _conversation_context(session, principal, conversation_id)
        return _page(request, session, principal, context, message, status)

    return page


@router.post("/inbox/conversations/{conversation_id}/merge")
def merge_form(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: Replier,
    source_id: Annotated[str, Form(max_length=100)],
) -> Any:
    """Merge another conversation of this customer into this one."""

    page = _error_page(request, session, principal, conversation_id)

    source = optional_uuid(source_id)
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

    page = _error_page(request, session, principal, conversation_id)

    source = optional_uuid(source_id)
    if source is None or conversation.customer_id is None:
        return page(gettext("Choose a customer to merge."), 422)
    target = conversation.customer_id
    return redirect_or_page(
        lambda: customers_service.merge(session, principal=principal, target_id=target, source_id=source),
        to=f"/inbox/conversations/{conversation_id}",
        page=page,
        session=session,
    )


@router.post("/inbox/conversations/{conversation_id}/link-customer")
def link_customer_form(
    request: Request,
    conversation_id: uuid.UUID,
    session: SessionDep,
    principal: Replier,
    customer_id: Annotated[str, Form(max_length=100)],
) -> Any:
    """Link the sender, who only claimed who they are, to an existing customer (audited): an agent's decision
    once they checked who they talk to."""

    page = _error_page(request, session, principal, conversation_id)

    customer = optional_uuid(customer_id)
    if customer is None:
        return page(gettext("Choose a customer to link."), 422)
    return redirect_or_page(
        lambda: service.link_contact(
            session, principal=principal, conversation_id=conversation_id, customer_id=customer
        ),
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
    target = optional_uuid(conversation_id)
    back = f"/inbox/conversations/{target}" if target else "/inbox"

    def page(message: str, status: int) -> HTMLResponse:
        if target is None:
            return render_error(request, status=status, code=RetryRefused.code, message=message)
        context = _conversation_context(session, principal, target)
        return _page(request, session, principal, context, message, status)

    return redirect_or_page(
        lambda: service.retry_message(session, principal=principal, message_id=message_id),
        to=back,
        page=page,
        session=session,
    )
