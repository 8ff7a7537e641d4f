"""CLI of feedback: `omnicx feedback csat-report|csat-settings|csat-set` for one workspace."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from omnicx.auth import service as auth_service
from omnicx.feedback import service
from omnicx.feedback.enums import CsatGroup
from omnicx.feedback.schemas import CsatSettingUpdate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime
from omnicx.kernel.db import utcnow

console = Console()
app = typer.Typer(
    help="Customer satisfaction after conversations: settings and report.", no_args_is_help=True
)

WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@app.command("csat-report")
@fail_on_domain_error
def csat_report(
    workspace: WorkspaceOpt,
    days: Annotated[int, typer.Option(help="The last N days, today included.")] = 30,
    group: Annotated[
        CsatGroup, typer.Option(help="Group by agent, team, inbox or channel.")
    ] = CsatGroup.AGENT,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """CSAT, average rating and response rate of the conversations resolved in the last N days."""
    end = utcnow().date()
    start = end - timedelta(days=max(days, 1) - 1)
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        report = service.csat_report(session, workspace_id=ws.id, start=start, end=end, group=group)
    if csv:
        typer.echo(service.report_csv(report), nl=False)
        return
    table = Table(title=f"CSAT {start} – {end}, by {group.value}")
    for column in (group.value, "asked", "answers", "response rate", "average", "CSAT"):
        table.add_column(column, justify="left" if column == group.value else "right")
    for row in [*report.rows, report.total.model_copy(update={"label": "total"})]:
        table.add_row(
            row.label or row.key or "—",
            str(row.asked),
            str(row.answered),
            _percent(row.response_rate),
            "—" if row.average is None else f"{row.average:.2f}",
            _percent(row.csat),
        )
    console.print(table)


@app.command("csat-settings")
@fail_on_domain_error
def csat_settings(workspace: WorkspaceOpt) -> None:
    """Each inbox's satisfaction survey: on or off, and its delay."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        settings = service.list_settings(session, workspace_id=ws.id)
    for s in settings:
        state = f"on, {s.delay_minutes} min after resolution" if s.enabled else "off"
        console.print(f"{s.inbox_id}  {s.inbox_name} ({s.channel}): {state}")


@app.command("csat-set")
@fail_on_domain_error
def csat_set(
    workspace: WorkspaceOpt,
    inbox_id: Annotated[uuid.UUID, typer.Argument(help="The inbox (see `omnicx feedback csat-settings`).")],
    enabled: Annotated[bool, typer.Option("--on/--off", help="Ask after each resolution, or stop.")] = True,
    delay: Annotated[int, typer.Option(help="Minutes after the resolution.")] = 0,
) -> None:
    """Turn an inbox's satisfaction survey on or off (as the workspace's owner; audited)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        current = {s.inbox_id: s for s in service.list_settings(session, workspace_id=ws.id)}
        wording = current[inbox_id].wording if inbox_id in current else {}
        data = CsatSettingUpdate(enabled=enabled, delay_minutes=delay, wording=wording)
        saved = service.update_setting(session, principal=principal, inbox_id=inbox_id, data=data)
    console.print(f"{saved.inbox_name}: {'on' if saved.enabled else 'off'}, {saved.delay_minutes} min")
