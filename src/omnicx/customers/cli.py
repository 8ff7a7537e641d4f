"""CLI of the customers domain: `omnicx customers list|show|export|erase|suppress|consent`.

The operator running the CLI acts on one workspace (`--workspace SLUG`, optional when there is only one).
"""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.customers import service
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import ConsentChange, Identifier, IdentifierKind
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime
from omnicx.kernel.errors import Invalid

console = Console()
app = typer.Typer(help="Browse customers and handle privacy requests.", no_args_is_help=True)

WorkspaceOption = Annotated[
    str | None, typer.Option("--workspace", "-w", help="Workspace slug (defaults to the customer's own).")
]


def _workspace_id(session: Session, slug: str | None, customer_id: uuid.UUID | None = None) -> uuid.UUID:
    """The `--workspace` given, else the customer's own, else the only workspace that has customers."""
    if slug:
        return auth_service.get_workspace_by_slug(session, slug=slug).id
    if customer_id is not None:
        return identity_service.customer_workspace(session, customer_id=customer_id)
    workspaces = identity_service.workspaces_with_customers(session)
    if len(workspaces) > 1:
        raise Invalid("several workspaces have customers; pass --workspace SLUG")
    if not workspaces:
        raise Invalid("no customers yet; pass --workspace SLUG")
    return workspaces[0]


def _operator(workspace_id: uuid.UUID) -> Principal:
    """The CLI acts as the operator of the installation, recorded as `cli` in the audit log."""
    return Principal(workspace_id=workspace_id, role=Role.OWNER, label="cli")


@app.command("list")
@fail_on_domain_error
def list_command(
    workspace: WorkspaceOption = None,
    q: Annotated[str | None, typer.Option("--q", help="Search name, email, phone or identifier.")] = None,
    limit: Annotated[int, typer.Option(help="How many to show.")] = 50,
) -> None:
    """List customers, most recently seen first."""
    with open_runtime() as runtime, runtime.sessions() as session:
        page = service.list_customers(
            session, workspace_id=_workspace_id(session, workspace), q=q, limit=limit
        )
    table = Table("name", "email", "phone", "last seen")
    table.add_column("id", min_width=36, overflow="fold")
    for c in page.items:
        table.add_row(c.display_name, c.email or "", c.phone or "", str(c.last_seen_at or ""), str(c.id))
    console.print(table)
    console.print(f"{len(page.items)} of {page.total}")


@app.command("show")
@fail_on_domain_error
def show_command(customer_id: uuid.UUID, workspace: WorkspaceOption = None) -> None:
    """Show a customer's 360 view as JSON."""
    with open_runtime() as runtime, runtime.sessions() as session:
        view = service.get_customer_360(
            session, workspace_id=_workspace_id(session, workspace, customer_id), customer_id=customer_id
        )
    print(view.model_dump_json(indent=2))


@app.command("export")
@fail_on_domain_error
def export_command(customer_id: uuid.UUID, workspace: WorkspaceOption = None) -> None:
    """Print everything held about a customer as JSON (audited)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _operator(_workspace_id(session, workspace, customer_id))
        export = identity_service.export_customer(session, principal=principal, customer_id=customer_id)
    print(export.model_dump_json(indent=2))


@app.command("erase")
@fail_on_domain_error
def erase_command(
    customer_id: uuid.UUID,
    workspace: WorkspaceOption = None,
    suppress: Annotated[bool, typer.Option(help="Also stop collecting for their identifiers.")] = False,
) -> None:
    """Queue the erasure of a customer (a worker runs it; see `omnicx jobs`)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _operator(_workspace_id(session, workspace, customer_id))
        status = identity_service.request_erasure(
            session, principal=principal, customer_id=customer_id, suppress_identifiers=suppress
        )
    console.print(f"Erasure of {status.customer_id} queued as job {status.job_id} ({status.status})")


@app.command("suppress")
@fail_on_domain_error
def suppress_command(kind: IdentifierKind, value: str, workspace: WorkspaceOption = None) -> None:
    """Stop collecting data for one identifier."""
    with open_runtime() as runtime, runtime.sessions() as session:
        principal = _operator(_workspace_id(session, workspace))
        row = identity_service.suppress(
            session, principal=principal, identifier=Identifier(kind=kind, value=value)
        )
    console.print(f"Suppressed {row.kind.value} {row.value}")


@app.command("consent")
@fail_on_domain_error
def consent_command(
    kind: IdentifierKind,
    value: str,
    channel: Annotated[str, typer.Option(help="The messaging channel: sms, whatsapp...")] = "sms",
    opt_out: Annotated[
        bool, typer.Option("--opt-out/--opt-in", help="They asked not to be messaged there, or agreed again.")
    ] = True,
    workspace: WorkspaceOption = None,
) -> None:
    """Record that an identifier's holder opted out of a channel (or back in); every sender honours it."""
    with open_runtime() as runtime, runtime.sessions() as session:
        workspace_id = _workspace_id(session, workspace)
        change = ConsentChange(kind=kind, value=value, channel=channel, opted_out=opt_out)
        row = identity_service.record_consent(
            session, workspace_id=workspace_id, change=change, source="cli", changed_by="cli"
        )
    state = "opted out of" if row.opted_out else "agrees to"
    console.print(f"{row.kind.value} {row.value} {state} {row.channel}")
