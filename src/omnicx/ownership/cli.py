"""CLI of ownership: `omnicx ownership list|claim|resend|confirm|check-dns` for one workspace."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime
from omnicx.ownership import service
from omnicx.ownership.enums import ClaimKind
from omnicx.ownership.schemas import ClaimPublic

console = Console()
app = typer.Typer(
    help="Prove the workspace controls an email address (a code) or domain (DNS).", no_args_is_help=True
)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]
ClaimArg = Annotated[uuid.UUID, typer.Argument(help="The claim's id (see `omnicx ownership list`).")]


def _show(claim: ClaimPublic) -> None:
    console.print(f"{claim.id}  {claim.kind.value}  {claim.value}  {claim.status.value}")
    if claim.dns_record and claim.status.value != "verified":
        console.print(f"  publish TXT at {claim.dns_name}: {claim.dns_record}")


@app.command("list")
@fail_on_domain_error
def list_(workspace: WorkspaceOpt) -> None:
    """The workspace's claims and whether each is proven."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        claims = service.list_claims(session, workspace_id=ws.id)
    for claim in claims:
        _show(claim)


@app.command("claim")
@fail_on_domain_error
def claim(
    workspace: WorkspaceOpt,
    value: Annotated[str, typer.Argument(help="An email address, or a domain with --domain.")],
    domain: Annotated[bool, typer.Option("--domain", help="Claim a whole domain (proven by DNS).")] = False,
) -> None:
    """Claim an address (a code is mailed to it) or a domain (prints the TXT record to publish)."""
    kind = ClaimKind.EMAIL_DOMAIN if domain else ClaimKind.EMAIL_ADDRESS
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        _show(service.start_claim(session, principal=principal, kind=kind, value=value))


@app.command("resend")
@fail_on_domain_error
def resend(workspace: WorkspaceOpt, claim_id: ClaimArg) -> None:
    """Mail a new code to a claimed address."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        _show(service.resend_code(session, principal=principal, claim_id=claim_id))


@app.command("confirm")
@fail_on_domain_error
def confirm(
    workspace: WorkspaceOpt,
    claim_id: ClaimArg,
    code: Annotated[str, typer.Argument(help="The code received at the address.")],
) -> None:
    """Prove an address with the code it received."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        secret = runtime.settings.resolved_secret_key
        _show(service.confirm_code(session, principal=principal, claim_id=claim_id, code=code, secret=secret))


@app.command("check-dns")
@fail_on_domain_error
def check_dns(workspace: WorkspaceOpt, claim_id: ClaimArg) -> None:
    """Prove a domain: look its `omnicx-verification=` TXT record up now."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        _show(service.check_dns(session, principal=principal, claim_id=claim_id, resolver=runtime.resolver))
