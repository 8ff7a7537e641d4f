"""CLI of the tracking domain: `omnicx source ...`, `omnicx import events FILE`, `omnicx events count`,
`omnicx events backlog`, `omnicx contacts log`."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime
from omnicx.tracking import service
from omnicx.tracking.models import SourceKind
from omnicx.tracking.schemas import ContactKind, ContactLog, ProcessingBacklog, SourceCreate

console = Console()
source_app = typer.Typer(help="Manage event sources and their write keys.", no_args_is_help=True)
import_app = typer.Typer(help="Import data from files.", no_args_is_help=True)
events_app = typer.Typer(help="Inspect stored events.", no_args_is_help=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@source_app.command("create")
@fail_on_domain_error
def source_create(
    name: Annotated[str, typer.Argument(help="Name of the site, app or server.")],
    workspace: WorkspaceOpt,
    kind: Annotated[SourceKind, typer.Option(help="What sends the events.")] = SourceKind.WEB,
) -> None:
    """Create a source; its write key is printed once, as the last line."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        created = service.create_source(session, workspace_id=ws.id, data=SourceCreate(name=name, kind=kind))
    console.print(
        f"Created source [bold]{created.source.name}[/] ({created.source.id}). Write key (shown once):"
    )
    print(created.write_key)


@source_app.command("list")
@fail_on_domain_error
def source_list(workspace: WorkspaceOpt) -> None:
    """List the workspace's sources."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        sources = service.list_sources(session, workspace_id=ws.id)
    for s in sources:
        state = "revoked" if s.revoked_at else "active"
        console.print(f"{s.id}  {s.name}  {s.kind.value}  {s.write_key_prefix}…  {state}")


@source_app.command("rotate")
@fail_on_domain_error
def source_rotate(name: Annotated[str, typer.Argument(help="Source name.")], workspace: WorkspaceOpt) -> None:
    """Replace a source's write key; the new key is printed once, as the last line."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        found = service.find_source(session, workspace_id=ws.id, name=name)
        if found is None:
            raise typer.BadParameter(f"no source named {name!r}")
        rotated = service.rotate_source(session, workspace_id=ws.id, source_id=found.id)
    console.print(f"Rotated the write key of [bold]{rotated.source.name}[/]. New key (shown once):")
    print(rotated.write_key)


@source_app.command("revoke")
@fail_on_domain_error
def source_revoke(name: Annotated[str, typer.Argument(help="Source name.")], workspace: WorkspaceOpt) -> None:
    """Revoke a source's write key (its events stay)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        found = service.find_source(session, workspace_id=ws.id, name=name)
        if found is None:
            raise typer.BadParameter(f"no source named {name!r}")
        service.revoke_source(session, workspace_id=ws.id, source_id=found.id)
    console.print(f"Revoked source [bold]{name}[/]")


@import_app.command("events")
@fail_on_domain_error
def import_events(
    file: Annotated[
        Path, typer.Argument(help="JSON lines, or CSV with dotted column names (properties.price).")
    ],
    workspace: WorkspaceOpt,
    source: Annotated[
        str | None, typer.Option(help="Source to file the events under (default: import).")
    ] = None,
) -> None:
    """Import Segment-shaped events; resumes where a previous run of the same file stopped."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        columns = (BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn())
        with Progress("[progress.description]{task.description}", *columns, console=console) as bar:
            task = bar.add_task(
                f"Importing {file.name}", total=file.stat().st_size if file.is_file() else None
            )
            report = service.import_file(
                session,
                workspace_id=ws.id,
                path=file,
                source_name=source,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    if report.resumed_from_line:
        console.print(f"Resumed after line {report.resumed_from_line}.")
    console.print(
        f"{report.lines} lines: {report.accepted} imported, {report.duplicates} already stored, "
        f"{report.rejected} rejected (see the Events page, Rejected)."
    )
    if report.suppressed:
        console.print(f"{report.suppressed} not stored: they name a suppressed identifier.")


@events_app.command("count")
@fail_on_domain_error
def events_count(workspace: WorkspaceOpt) -> None:
    """Print the number of stored events of a workspace (the last line is the number alone)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        count = service.count_events(session, workspace_id=ws.id)
    console.print(f"Stored events in {ws.slug}:")
    print(count)


@events_app.command("backlog")
@fail_on_domain_error
def events_backlog(
    workspace: Annotated[
        str | None, typer.Option("--workspace", "-w", help="Workspace slug (default: every workspace).")
    ] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Events stored but not processed yet, and how long the oldest has waited ("behind" past a minute)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace) if workspace else None
        backlog = service.processing_backlog(session, workspace_id=ws.id if ws else None)
    if output == "json":
        print(backlog.model_dump_json(indent=2))
        return
    _print_backlog(backlog, scope=ws.slug if ws else "every workspace")


def _print_backlog(backlog: ProcessingBacklog, *, scope: str) -> None:
    table = Table(title=f"Processing backlog: {scope}")
    for column in ("events waiting", "jobs", "oldest waiting", "state"):
        table.add_column(column, justify="right")
    events = f"≈{backlog.events:,}" if backlog.events_estimated else f"{backlog.events:,}"
    state = "[bold red]behind[/]" if backlog.behind else "current"
    table.add_row(events, f"{backlog.jobs:,}", f"{backlog.oldest_age_seconds:,.1f} s", state)
    console.print(table)


contacts_app = typer.Typer(
    help="Log calls, store visits and store notes with customers.", no_args_is_help=True
)


@contacts_app.command("log")
@fail_on_domain_error
def log_contact_command(
    customer_id: uuid.UUID,
    workspace: WorkspaceOpt,
    kind: Annotated[ContactKind, typer.Option(help="call, store_visit or store_note.")] = ContactKind.CALL,
    direction: Annotated[str, typer.Option(help="inbound (they called or came) or outbound.")] = "inbound",
    minutes: Annotated[float | None, typer.Option(help="How long it lasted.")] = None,
    outcome: Annotated[str, typer.Option(help="resolved, callback, sale...")] = "",
    notes: Annotated[str, typer.Option(help="What was said.")] = "",
    location: Annotated[str, typer.Option(help="The store, for a visit or a note.")] = "",
) -> None:
    """Log a contact with a customer outside the inbox: it joins their history and touchpoints."""
    data = ContactLog.in_minutes(
        minutes, kind=kind, direction=direction, outcome=outcome, notes=notes, location=location
    )
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        touchpoint = service.log_contact(session, principal=principal, customer_id=customer_id, data=data)
    console.print(
        f"Logged {kind.value} on {touchpoint.customer_id} ({touchpoint.channel}, {touchpoint.at:%Y-%m-%d %H:%M})"
    )
