"""CLI of the auth domain: `omnicx workspace create`, `omnicx user create`, `omnicx token create`."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from omnicx.auth import service
from omnicx.auth.schemas import WorkspaceCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime

console = Console()
workspace_app = typer.Typer(help="Manage workspaces (tenants).", no_args_is_help=True)
user_app = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="Manage API tokens.", no_args_is_help=True)


@workspace_app.command("create")
@fail_on_domain_error
def workspace_create(
    slug: Annotated[str, typer.Argument(help="Short identifier: lowercase letters, digits and dashes.")],
    name: Annotated[str | None, typer.Option(help="Display name (defaults to the slug).")] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone used to show dates.")] = "UTC",
) -> None:
    """Create a workspace."""
    with open_runtime() as runtime, runtime.sessions() as session:
        workspace = service.create_workspace(
            session, data=WorkspaceCreate(slug=slug, name=name or slug, timezone=timezone)
        )
    console.print(f"Created workspace [bold]{workspace.slug}[/] ({workspace.id})")


@user_app.command("create")
@fail_on_domain_error
def user_create(
    email: Annotated[str, typer.Argument(help="The person's email, used to sign in.")],
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    role: Annotated[Role, typer.Option(help="Role in the workspace.")] = Role.VIEWER,
    name: Annotated[str, typer.Option(help="Display name.")] = "",
    password: Annotated[
        str | None, typer.Option(help="Password (at least 10 characters); generated and printed if omitted.")
    ] = None,
) -> None:
    """Create a user (or update an existing one) and give them a role in a workspace."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = service.get_workspace_by_slug(session, slug=workspace)
        user, generated = service.ensure_membership(
            session, workspace_id=ws.id, email=email, role=role, name=name, password=password
        )
    console.print(f"{user.email} is now {role.value} of {ws.slug}")
    if generated:
        console.print("Generated password (shown once):")
        print(generated)


@token_app.command("create")
@fail_on_domain_error
def token_create(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    role: Annotated[Role, typer.Option(help="Role the token acts with.")] = Role.ANALYST,
) -> None:
    """Create an API token; it is printed once (last line) and only its hash is stored."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = service.get_workspace_by_slug(session, slug=workspace)
        created = service.create_token(session, workspace_id=ws.id, name=name, role=role)
    console.print(f"Token [bold]{name}[/] ({role.value}) for {ws.slug}; copy it now, it is not shown again:")
    print(created.secret)
