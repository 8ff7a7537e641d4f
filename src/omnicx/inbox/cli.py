"""CLI of the inbox: `omnicx inbox create|list|link-customer|identity-secret|...`, and `omnicx smtp` (the inbound
email server on its own)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import service
from omnicx.inbox.enums import AgentScope, Availability, MessagingChannel
from omnicx.inbox.schemas import (
    CannedResponseCreate,
    ContactReasonsReport,
    InboxCreate,
    InboxReport,
    InboxSettingsUpdate,
    InboxUpdate,
    InboxView,
    ReplyCreate,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import (
    FormatOpt,
    FromDayOpt,
    ReportFormat,
    ToDayOpt,
    fail_on_domain_error,
    open_runtime,
    parse_day,
)

ReportT = TypeVar("ReportT", bound=BaseModel)
console = Console()
app = typer.Typer(help="Manage inboxes (one per email address or website chat).", no_args_is_help=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@app.command("create")
@fail_on_domain_error
def create(
    name: Annotated[str, typer.Argument(help="Name shown to agents (and as the sender of emails).")],
    workspace: WorkspaceOpt,
    channel: Annotated[
        MessagingChannel, typer.Option(help="email, chat, sms or whatsapp.")
    ] = MessagingChannel.EMAIL,
    address: Annotated[
        str | None, typer.Option(help="The email address mail is received at; the SMS number (E.164).")
    ] = None,
    credential: Annotated[
        list[str] | None,
        typer.Option(
            help="KEY=VALUE of the provider account (SMS: account_sid, auth_token; WhatsApp: phone_number_id, "
            "access_token, app_secret, verify_token; both: api_base); repeat it. "
            "A value of - is asked for without echo (keep tokens out of shell history)."
        ),
    ] = None,
) -> None:
    """Create an inbox; prints its id and address (a chat inbox's address is its widget token), and the webhook
    URLs to give the provider of an SMS inbox."""
    credentials = _credentials(credential or [])
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        inbox = service.create_inbox(
            session,
            principal=principal,
            data=InboxCreate(channel=channel, name=name, address=address, credentials=credentials or None),
            secret_key=runtime.settings.resolved_secret_key,
            base_url=runtime.settings.base_url,
        )
        base_url = runtime.settings.base_url.rstrip("/")
    for purpose, path in inbox.callbacks.items():
        console.print(f"Webhook ({purpose}): {base_url}{path}")
    console.print(f"Created inbox [bold]{inbox.name}[/] ({inbox.id}) receiving at:")
    print(inbox.address)


def _credentials(pairs: list[str]) -> dict[str, str]:
    credentials: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--credential")
        credentials[key.strip()] = typer.prompt(key.strip(), hide_input=True) if value == "-" else value
    return credentials


@app.command("list")
@fail_on_domain_error
def list_(workspace: WorkspaceOpt) -> None:
    """List the workspace's inboxes, with how many recent replies failed or still wait for their channel, and how
    many provider webhook calls they refused."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        inboxes = service.list_inboxes(session, workspace_id=ws.id)
        health = service.inbox_health(session, workspace_id=ws.id)
    for inbox in inboxes:
        h = health.get(inbox.id)
        state = (
            f"  {h.failed}/{h.replies} replies failed, {h.pending} waiting, {h.rejected} webhook calls refused "
            f"({h.window_days} days)"
            if h
            else ""
        )
        console.print(f"{inbox.id}  {inbox.channel.value}  {inbox.name}  {inbox.address}{state}")


def _cli_principal(session: Session, workspace: str) -> Principal:
    ws = auth_service.get_workspace_by_slug(session, slug=workspace)
    return Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")


def _minutes(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 60:.1f}"


def _report_table(data: InboxReport) -> Table:
    table = Table(title=f"Inbox: {data.start} → {data.end} ({data.timezone}; minutes, wall clock)")
    for header in (
        "group",
        "conversations",
        "resolved",
        "open",
        "FRT median",
        "FRT p90",
        "res. median",
        "res. p90",
        "SLA hit",
        "breached",
    ):
        table.add_column(header, justify="left" if header == "group" else "right")
    groups = [
        ("total", [data.totals]),
        ("channel", data.by_channel),
        ("agent", data.by_agent),
        ("team", data.by_team),
    ]
    for dimension, rows in groups:
        for row in rows:
            rate = "—" if row.sla_hit_rate is None else f"{row.sla_hit_rate:.0%}"
            table.add_row(
                f"{dimension}: {row.label}",
                str(row.conversations),
                str(row.resolved),
                str(row.open),
                _minutes(row.first_response_median_seconds),
                _minutes(row.first_response_p90_seconds),
                _minutes(row.resolution_median_seconds),
                _minutes(row.resolution_p90_seconds),
                rate,
                str(row.sla_breached),
            )
    return table


@app.command("report")
@fail_on_domain_error
def report(
    workspace: WorkspaceOpt,
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    output: FormatOpt = ReportFormat.TABLE,
) -> None:
    """Conversations, first response and resolution times (median, p90), SLA hit rate by channel, agent, team."""
    data = _reported(workspace, date_from, date_to, service.report)
    _print(output, data, lambda: service.report_csv(data), lambda: _report_table(data))


def _reported(workspace: str, date_from: str, date_to: str, compute: Callable[..., ReportT]) -> ReportT:
    """A report of the workspace over the days given (the analytics engine computes it)."""
    start, end = parse_day(date_from), parse_day(date_to)
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        return compute(session, workspace_id=principal.workspace_id, start=start, end=end)


def _print(output: ReportFormat, data: BaseModel, csv: Callable[[], str], table: Callable[[], Table]) -> None:
    """A report as JSON, CSV or a table."""
    if output is ReportFormat.JSON:
        print(data.model_dump_json(indent=2))
    elif output is ReportFormat.CSV:
        print(csv(), end="")
    else:
        console.print(table())


@app.command("contact-reasons")
@fail_on_domain_error
def contact_reasons(
    workspace: WorkspaceOpt,
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    output: FormatOpt = ReportFormat.TABLE,
) -> None:
    """Why customers wrote: conversations per contact reason, repeat contacts and first-contact resolution."""
    data = _reported(workspace, date_from, date_to, service.contact_reasons)
    _print(output, data, lambda: service.contact_reasons_csv(data), lambda: _reasons_table(data))


def _reasons_table(data: ContactReasonsReport) -> Table:
    table = Table(title=f"Contact reasons {data.start} – {data.end}")
    for column in ("reason", "conversations", "share", "repeat rate", "first-contact resolution", "phrases"):
        table.add_column(column, justify="left" if column in ("reason", "phrases") else "right")
    for row in [*data.reasons, data.total.model_copy(update={"reason": "total"})]:
        phrases = ", ".join(p.text for p in data.phrases.get(row.reason, [])[:4])
        table.add_row(
            row.reason,
            str(row.conversations),
            _percent(row.share),
            _percent(row.repeat_rate),
            _percent(row.fcr),
            phrases,
        )
    return table


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@app.command("search")
@fail_on_domain_error
def search(
    query: Annotated[str, typer.Argument(help="Words that must all appear (messages, subject, contact).")],
    workspace: WorkspaceOpt,
    status: Annotated[str, typer.Option(help="A status, or any.")] = "any",
) -> None:
    """Find conversations by the words in their messages, subject or contact."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        found = service.list_conversations(
            session, principal=principal, view=InboxView.model_validate({"status": status, "q": query})
        )
    for c in found:
        console.print(
            f"{c.id}  {c.status.value}  {c.channel.value}  {c.contact.email or c.contact.source_id}  "
            f"{c.subject}"
        )


@app.command("merge")
@fail_on_domain_error
def merge(
    target: Annotated[uuid.UUID, typer.Argument(help="The conversation that remains.")],
    source: Annotated[uuid.UUID, typer.Argument(help="The conversation merged into it (then closed).")],
    workspace: WorkspaceOpt,
) -> None:
    """Merge two conversations of the same customer: messages and events move to TARGET."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        result = service.merge_conversations(session, principal=principal, target_id=target, source_id=source)
    console.print(
        f"Moved {result.moved_messages} messages and {result.moved_events} events into {result.target_id}"
    )


@app.command("link-customer")
@fail_on_domain_error
def link_customer(
    conversation: Annotated[uuid.UUID, typer.Argument(help="A conversation of the sender to link.")],
    customer: Annotated[uuid.UUID, typer.Argument(help="The existing customer they turned out to be.")],
    workspace: WorkspaceOpt,
) -> None:
    """Link a sender who only claimed who they are (a chat visitor's typed email, unauthenticated mail) to an
    existing customer, once checked: they and their conversations join that customer's history. Audited."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        result = service.link_contact(
            session, principal=principal, conversation_id=conversation, customer_id=customer
        )
    console.print(f"Linked {result.contact.source_id} ({result.contact.id}) to customer {result.customer_id}")


@app.command("identity-secret")
@fail_on_domain_error
def identity_secret(
    inbox: Annotated[uuid.UUID, typer.Argument(help="A chat inbox.")],
    workspace: WorkspaceOpt,
    rotate: Annotated[
        bool, typer.Option(help="Generate a new secret (the current one stops working).")
    ] = False,
) -> None:
    """Print a chat inbox's identity secret, which its website signs signed-in visitors' ids with."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        secret_key = runtime.settings.resolved_secret_key
        if rotate:
            found = service.rotate_identity_secret(
                session, principal=principal, inbox_id=inbox, secret_key=secret_key
            )
        else:
            found = service.get_identity_secret(
                session, workspace_id=principal.workspace_id, inbox_id=inbox, secret_key=secret_key
            )
    if found.secret is None:
        console.print("[red]No readable identity secret:[/] generate one with --rotate")
        raise typer.Exit(1)
    print(found.secret)


@app.command("reply")
@fail_on_domain_error
def reply(
    conversation: Annotated[uuid.UUID, typer.Argument(help="The conversation to answer.")],
    text: Annotated[str, typer.Argument(help="The reply.")],
    workspace: WorkspaceOpt,
    via: Annotated[
        uuid.UUID | None,
        typer.Option(help="Answer through another inbox that reaches the customer (see reply-channels)."),
    ] = None,
    private: Annotated[bool, typer.Option(help="A private note, never sent.")] = False,
) -> None:
    """Reply to a conversation (delivered by a durable job), on its own channel or through another inbox."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        data = ReplyCreate(text=text, private=private, via_inbox_id=via)
        result = service.reply(session, principal=principal, conversation_id=conversation, data=data)
    console.print(f"Queued {result.id} on inbox {result.inbox_id}")


@app.command("qualify")
@fail_on_domain_error
def qualify(
    conversation: Annotated[uuid.UUID, typer.Argument(help="The conversation that qualified the lead.")],
    workspace: WorkspaceOpt,
) -> None:
    """Mark a conversation's customer as a qualified lead, credited to the conversation's channel."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        found = service.qualify_lead(session, principal=principal, conversation_id=conversation)
    console.print(
        f"Qualified customer {found.customer_id} from conversation {found.id} ({found.channel.value})"
    )


@app.command("reply-channels")
@fail_on_domain_error
def reply_channels(
    conversation: Annotated[uuid.UUID, typer.Argument(help="The conversation.")],
    workspace: WorkspaceOpt,
) -> None:
    """Where a conversation can be answered: its own inbox, then the others that reach its verified customer."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        found = service.conversation_reply_channels(
            session, principal=principal, conversation_id=conversation
        )
    for channel in found:
        own = "  (its own)" if channel.own else ""
        console.print(
            f"{channel.inbox_id}  {channel.channel.value}  {channel.inbox_name}  {channel.address}{own}"
        )


@app.command("templates")
@fail_on_domain_error
def templates(
    conversation: Annotated[uuid.UUID, typer.Argument(help="The conversation (WhatsApp).")],
    workspace: WorkspaceOpt,
) -> None:
    """The templates its inbox's business account had approved: outside WhatsApp's 24-hour window,
    the only messages that can be sent."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        offer = service.conversation_templates(
            session,
            principal=principal,
            conversation_id=conversation,
            secret_key=runtime.settings.resolved_secret_key,
        )
    if offer.error:
        console.print(f"Templates could not be loaded: {offer.error}")
        raise typer.Exit(1)
    for template in offer.templates:
        console.print(
            f"{template.name}  {template.language}  {template.category}  "
            f"({template.parameters} parameters)  {template.body}",
            markup=False,
        )


@app.command("retry")
@fail_on_domain_error
def retry(
    message: Annotated[uuid.UUID, typer.Argument(help="A reply whose delivery failed.")],
    workspace: WorkspaceOpt,
) -> None:
    """Send a failed reply again (a new delivery job, the same Message-ID)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        result = service.retry_message(session, principal=principal, message_id=message)
    console.print(f"Queued {result.id}: {result.delivery_status.value if result.delivery_status else ''}")


@app.command("insights")
@fail_on_domain_error
def insights(
    conversation: Annotated[uuid.UUID, typer.Argument(help="A conversation id.")],
    workspace: WorkspaceOpt,
) -> None:
    """The conversation's detected intent and the customer's actions in the hour before it started."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        found = service.conversation_insights(
            session, workspace_id=principal.workspace_id, conversation_id=conversation
        )
    intent = found.intent
    console.print(
        f"intent: {intent.intent} ({intent.language}, {intent.rule}, {intent.confidence})"
        if intent
        else "intent: none"
    )
    for action in found.actions:
        console.print(f"{datetime.isoformat(action.at)}  {action.kind}  {action.title}  {action.detail}")


# --- Agent experience: canned responses, notifications, availability, settings ----------------------------------


def _member_principal(session: Session, workspace: str, email: str) -> Principal:
    """Act as the workspace member with this email (their notifications, their availability)."""
    ws = auth_service.get_workspace_by_slug(session, slug=workspace)
    members = auth_service.list_members(session, workspace_id=ws.id)
    member = next((m for m in members if m.email.lower() == email.strip().lower()), None)
    if member is None:
        raise typer.BadParameter(f"{email} is not a member of {workspace}")
    return Principal(workspace_id=ws.id, role=member.role, user_id=member.user_id, label=member.email)


@app.command("canned-list")
@fail_on_domain_error
def canned_list(workspace: WorkspaceOpt) -> None:
    """List the canned responses (a reply that is exactly `/shortcut` is sent as the content)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        table = Table("shortcut", "content", "id")
        for row in service.list_canned(session, workspace_id=ws.id):
            table.add_row(f"/{row.shortcut}", row.content[:60], str(row.id))
        console.print(table)


@app.command("canned-add")
@fail_on_domain_error
def canned_add(
    shortcut: Annotated[str, typer.Argument(help="Typed after `/`: lower-case letters, digits, - and _.")],
    content: Annotated[str, typer.Argument(help="The text inserted.")],
    workspace: WorkspaceOpt,
) -> None:
    """Save a canned response."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _cli_principal(session, workspace)
        row = service.create_canned(
            session, principal=principal, data=CannedResponseCreate(shortcut=shortcut, content=content)
        )
        console.print(f"/{row.shortcut} {row.id}")


@app.command("canned-delete")
@fail_on_domain_error
def canned_delete(canned_id: Annotated[uuid.UUID, typer.Argument()], workspace: WorkspaceOpt) -> None:
    """Delete a canned response."""
    with open_runtime() as runtime, runtime.sessions() as session:
        service.delete_canned(session, principal=_cli_principal(session, workspace), canned_id=canned_id)
        console.print("deleted")


@app.command("notifications")
@fail_on_domain_error
def notifications(
    workspace: WorkspaceOpt,
    email: Annotated[str, typer.Option("--email", help="The member whose notifications to list.")],
    unread: Annotated[bool, typer.Option(help="Only unread ones.")] = False,
) -> None:
    """List a member's notifications (mentions, assignments), unread first."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _member_principal(session, workspace, email)
        found = service.list_notifications(session, principal=principal, unread_only=unread)
        table = Table("when", "kind", "from", "text", "read", "conversation")
        for n in found.items:
            table.add_row(
                n.created_at.isoformat(timespec="minutes"),
                n.kind,
                n.actor_label,
                n.text[:50],
                "yes" if n.read_at else "no",
                str(n.conversation_id),
            )
        console.print(table)
        console.print(f"unread: {found.unread}")


@app.command("availability")
@fail_on_domain_error
def availability(
    workspace: WorkspaceOpt,
    email: Annotated[str, typer.Option("--email", help="The member.")],
    status: Annotated[
        Availability | None, typer.Argument(help="online, busy or offline; omit to show.")
    ] = None,
) -> None:
    """Show or set a member's availability (round robin only assigns to online agents)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _member_principal(session, workspace, email)
        if status is None:
            console.print(service.get_availability(session, principal=principal).status.value)
        else:
            console.print(service.set_availability(session, principal=principal, status=status).status.value)


@app.command("sla-list")
@fail_on_domain_error
def sla_list(workspace: WorkspaceOpt) -> None:
    """List the SLA policies and their targets (minutes)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        table = Table("name", "first", "next", "resolution", "id")
        for p in service.list_sla_policies(session, workspace_id=ws.id):
            table.add_row(
                p.name,
                str(p.first_response_minutes),
                str(p.next_response_minutes or "—"),
                str(p.resolution_minutes or "—"),
                str(p.id),
            )
        console.print(table)


@app.command("update")
@fail_on_domain_error
def update(
    inbox_id: Annotated[uuid.UUID, typer.Argument()],
    workspace: WorkspaceOpt,
    name: Annotated[str | None, typer.Option(help="New name.")] = None,
    reopen_window_hours: Annotated[float | None, typer.Option(help="Reopen window, hours.")] = None,
    auto_assign: Annotated[bool | None, typer.Option(help="Round robin new conversations.")] = None,
    capacity: Annotated[int | None, typer.Option(help="Active conversations per agent; 0 = no cap.")] = None,
    sla_policy: Annotated[uuid.UUID | None, typer.Option(help="SLA policy id.")] = None,
    auto_resolve_hours: Annotated[
        float | None,
        typer.Option(help="Resolve conversations left silent this many hours after an agent's reply."),
    ] = None,
    no_auto_resolve: Annotated[
        bool, typer.Option("--no-auto-resolve", help="Stop resolving quiet conversations.")
    ] = False,
) -> None:
    """Change an inbox's settings."""
    fields: dict[str, object] = {
        "name": name,
        "reopen_window_hours": reopen_window_hours,
        "auto_assign": auto_assign,
        "assignment_capacity": capacity,
        "sla_policy_id": sla_policy,
    }
    if auto_resolve_hours is not None:
        fields["auto_resolve_hours"] = auto_resolve_hours
    changes = {k: v for k, v in fields.items() if v is not None}
    if no_auto_resolve:
        changes["auto_resolve_hours"] = None
    data = InboxUpdate.model_validate(changes)
    with open_runtime() as runtime, runtime.sessions() as session:
        row = service.update_inbox(
            session, principal=_cli_principal(session, workspace), inbox_id=inbox_id, data=data
        )
        console.print(f"{row.name} {row.id}")


@app.command("agent-scope")
@fail_on_domain_error
def agent_scope(
    workspace: WorkspaceOpt,
    scope: Annotated[
        AgentScope | None, typer.Argument(help="inboxes, team or own; omit to show the current setting.")
    ] = None,
) -> None:
    """Which conversations agents see within the inboxes they belong to."""
    with open_runtime() as runtime, runtime.sessions() as session:
        if scope is not None:
            data = InboxSettingsUpdate(agent_scope=scope)
            service.update_inbox_settings(session, principal=_cli_principal(session, workspace), data=data)
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        console.print(service.get_inbox_settings(session, workspace_id=ws.id).agent_scope.value)
