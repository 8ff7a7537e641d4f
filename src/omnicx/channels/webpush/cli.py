"""CLI of web push: `omnicx webpush status|subject|subscriptions|test|remove|rotate` for one workspace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.channels.webpush import service
from omnicx.channels.webpush.schemas import SendTestPush, Subject, WebPushStatus
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime, report_console
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.forms import validation_message

console = Console()
app = typer.Typer(
    help="Web push: the VAPID key sites subscribe with, subscribed browsers, tests.", no_args_is_help=True
)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@contextmanager
def _workspace(slug: str) -> Iterator[tuple[Session, Principal, Settings]]:
    """A session, the workspace's operator (acting as its owner, audited as `cli`) and the settings."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=slug)
        yield session, Principal(workspace_id=ws.id, role=Role.OWNER, label="cli"), runtime.settings


def _show(status: WebPushStatus) -> None:
    console.print(f"Public key (applicationServerKey): [bold]{status.public_key}[/]")
    console.print(f"Subject: {escape(status.subject)}")
    console.print(f"Subscribed browsers: {status.subscriptions} ({status.linked} reach a customer)")
    console.print(f"Push services: {', '.join(status.push_services)}")


@app.command("status")
@fail_on_domain_error
def status(workspace: WorkspaceOpt) -> None:
    """The key sites subscribe with (made on first need), its subject and the subscription counts."""
    with _workspace(workspace) as (session, principal, settings):
        _show(service.status(session, workspace_id=principal.workspace_id, settings=settings))


@app.command("subject")
@fail_on_domain_error
def subject(
    workspace: WorkspaceOpt,
    value: Annotated[
        str, typer.Argument(help="A mailto: address or an https URL push services may write to.")
    ],
) -> None:
    """Say who runs the sender, as push services ask."""
    try:
        data = Subject(subject=value)
    except ValidationError as error:
        raise typer.BadParameter(validation_message(error)) from None
    with _workspace(workspace) as (session, principal, settings):
        _show(service.update_subject(session, principal=principal, data=data, settings=settings))


@app.command("subscriptions")
@fail_on_domain_error
def subscriptions(
    workspace: WorkspaceOpt,
    customer: Annotated[uuid.UUID | None, typer.Option(help="Only this customer's browsers.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Subscribed browsers, newest first."""
    with _workspace(workspace) as (session, principal, _settings):
        page = service.list_subscriptions(
            session, workspace_id=principal.workspace_id, customer_id=customer, limit=limit
        )
    table = Table(title=f"Subscribed browsers ({page.total})")
    for column in ("Id", "Customer", "Push service", "Subscribed", "Last sent", "Last failure"):
        table.add_column(column)
    for s in page.items:
        failure = f"{s.failed_at:%Y-%m-%d %H:%M} {s.last_error or ''}" if s.failed_at else ""
        table.add_row(
            str(s.id),
            str(s.customer_id) if s.customer_id else "not linked",
            s.endpoint_host,
            f"{s.updated_at:%Y-%m-%d %H:%M}",
            f"{s.last_sent_at:%Y-%m-%d %H:%M}" if s.last_sent_at else "",
            escape(failure),
        )
    report_console().print(table)


@app.command("test")
@fail_on_domain_error
def send_test(
    workspace: WorkspaceOpt,
    customer: Annotated[uuid.UUID | None, typer.Option(help="Every browser of this customer.")] = None,
    subscription: Annotated[uuid.UUID | None, typer.Option(help="This browser only.")] = None,
) -> None:
    """Queue a test notification (the worker sends it)."""
    if (customer is None) == (subscription is None):
        raise typer.BadParameter("give --customer or --subscription")
    with _workspace(workspace) as (session, principal, _settings):
        data = SendTestPush(customer_id=customer, subscription_id=subscription)
        result = service.send_test(session, principal=principal, data=data)
    console.print(f"Test notification queued for {result.queued} browsers.")


@app.command("remove")
@fail_on_domain_error
def remove(
    workspace: WorkspaceOpt,
    subscription: Annotated[uuid.UUID, typer.Argument(help="The subscription's id (see `subscriptions`).")],
) -> None:
    """Stop sending to a browser."""
    with _workspace(workspace) as (session, principal, _settings):
        service.delete_subscription(session, principal=principal, subscription_id=subscription)
    console.print("Removed.")


@app.command("rotate")
@fail_on_domain_error
def rotate(
    workspace: WorkspaceOpt,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Replace the VAPID key: every subscribed browser is forgotten and must subscribe again."""
    if not yes:
        typer.confirm("Every subscribed browser is forgotten. Replace the key?", abort=True)
    with _workspace(workspace) as (session, principal, settings):
        _show(service.rotate_key(session, principal=principal, settings=settings))
