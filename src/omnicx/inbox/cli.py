"""CLI of the inbox: `omnicx inbox create|list`, and `omnicx smtp` (the inbound email server on its own)."""

from __future__ import annotations

import threading
from typing import Annotated

import typer
from rich.console import Console

from omnicx.auth import service as auth_service
from omnicx.auth.permissions import Role
from omnicx.auth.schemas import Principal
from omnicx.cli_support import fail_on_domain_error, open_runtime
from omnicx.inbox import service
from omnicx.inbox.enums import ChannelKind
from omnicx.inbox.schemas import InboxCreate

console = Console()
app = typer.Typer(help="Manage inboxes (one per email address or website chat).", no_args_is_help=True)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@app.command("create")
@fail_on_domain_error
def create(
    name: Annotated[str, typer.Argument(help="Name shown to agents (and as the sender of emails).")],
    workspace: WorkspaceOpt,
    channel: Annotated[ChannelKind, typer.Option(help="email or chat.")] = ChannelKind.EMAIL,
    address: Annotated[str | None, typer.Option(help="The email address mail is received at.")] = None,
) -> None:
    """Create an inbox; prints its id and address (a chat inbox's address is its widget token)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        inbox = service.create_inbox(
            session, principal=principal, data=InboxCreate(channel=channel, name=name, address=address)
        )
    console.print(f"Created inbox [bold]{inbox.name}[/] ({inbox.id}) receiving at:")
    print(inbox.address)


@app.command("list")
@fail_on_domain_error
def list_(workspace: WorkspaceOpt) -> None:
    """List the workspace's inboxes."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        inboxes = service.list_inboxes(session, workspace_id=ws.id)
    for inbox in inboxes:
        console.print(f"{inbox.id}  {inbox.channel.value}  {inbox.name}  {inbox.address}")


def smtp(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default OMNICX_SMTP_INBOUND_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port (default OMNICX_SMTP_INBOUND_PORT, else 2525).")
    ] = None,
) -> None:
    """Run the inbound email server: mail to an email inbox's address becomes a conversation."""
    from omnicx.channels.email.server import start_smtp_server

    with open_runtime() as runtime:
        settings = runtime.settings
        bind_host = host or settings.smtp_inbound_host
        bind_port = port or settings.smtp_inbound_port or 2525
        controller = start_smtp_server(runtime, host=bind_host, port=bind_port)
        console.print(f"Receiving email on {bind_host}:{bind_port} (Ctrl+C to stop)")
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
