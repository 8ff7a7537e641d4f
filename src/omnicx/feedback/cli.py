"""CLI of feedback: `omnicx feedback csat-report|csat-settings|csat-set|survey-create|survey-send|surveys`."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from omnicx.auth import service as auth_service
from omnicx.feedback import service
from omnicx.feedback.enums import CsatGroup, FollowUpKind, SurveyKind
from omnicx.feedback.schemas import CsatSettingUpdate, FollowUp, SurveyAudience, SurveyCreate
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid

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


@app.command("survey-create")
@fail_on_domain_error
def survey_create(
    workspace: WorkspaceOpt,
    name: Annotated[str, typer.Argument(help="The survey's name (the subject of an email).")],
    kind: Annotated[SurveyKind, typer.Option(help="nps (0-10), csat (1-5) or ces (1-7).")] = SurveyKind.NPS,
    throttle_days: Annotated[
        int, typer.Option(help="Skip customers asked any survey within these days.")
    ] = 30,
    follow_up: Annotated[
        list[str] | None,
        typer.Option(
            "--follow-up",
            help='A question after the score, in order: "choice:Prompt|option|option…" or "text:Prompt".',
        ),
    ] = None,
    on_site: Annotated[
        bool, typer.Option("--on-site", help="Also show it to the visitors of the workspace's sites.")
    ] = False,
) -> None:
    """Create a survey (as the workspace's owner); prints its id."""
    questions = [_follow_up(text) for text in follow_up or []]
    data = SurveyCreate(
        name=name, kind=kind, throttle_days=throttle_days, follow_ups=questions, on_site=on_site
    )
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        survey = service.create_survey(session, principal=principal, data=data)
    console.print(f"{survey.id}  {survey.kind.value}  {survey.name}")


def _follow_up(text: str) -> FollowUp:
    """`choice:Prompt|a|b` or `text:Prompt` as a follow-up question (refused with a clear error otherwise)."""
    kind, _, rest = text.partition(":")
    prompt, *options = rest.split("|")
    if kind not in {k.value for k in FollowUpKind}:
        raise Invalid(f"{text!r}: a follow-up starts with choice: or text:")
    return FollowUp(kind=FollowUpKind(kind), prompt=prompt.strip(), options=[o.strip() for o in options])


@app.command("survey-send")
@fail_on_domain_error
def survey_send(
    workspace: WorkspaceOpt,
    survey_id: Annotated[uuid.UUID, typer.Argument(help="The survey (see `omnicx feedback surveys`).")],
    seen_within_days: Annotated[int, typer.Option(help="Customers seen in the last N days.")] = 90,
    limit: Annotated[int, typer.Option(help="At most this many customers.")] = 1000,
) -> None:
    """Queue the survey for the customers seen lately (the worker sends it)."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        sending = service.send_survey(
            session,
            principal=principal,
            survey_id=survey_id,
            audience=SurveyAudience(seen_within_days=seen_within_days, limit=limit),
        )
    console.print(f"queued for {sending.queued} customers")


@app.command("survey-site")
@fail_on_domain_error
def survey_site(
    workspace: WorkspaceOpt,
    survey_id: Annotated[uuid.UUID, typer.Argument(help="The survey (see `omnicx feedback surveys`).")],
    on_site: Annotated[bool, typer.Option("--on/--off", help="Show it on the sites, or stop.")] = True,
) -> None:
    """Show a survey to the visitors of the workspace's sites (`feedback/site/survey.js`), or stop."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        principal = Principal(workspace_id=ws.id, role=Role.OWNER, label="cli")
        survey = service.show_on_site(session, principal=principal, survey_id=survey_id, on_site=on_site)
    console.print(f"{survey.name}: {'shown' if survey.on_site else 'not shown'} on the sites")


@app.command("surveys")
@fail_on_domain_error
def surveys(workspace: WorkspaceOpt) -> None:
    """Each survey with its score (NPS and its 95% interval, or the average) and answers."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        results = [
            service.survey_results(session, workspace_id=ws.id, survey_id=s.id)
            for s in service.list_surveys(session, workspace_id=ws.id)
        ]
    for r in results:
        total = r.total
        score = "—" if total.score is None else f"{total.score:g}"
        interval = f" [{total.low:g}, {total.high:g}]" if total.low is not None else ""
        console.print(
            f"{r.survey.id}  {r.survey.kind.value}  {r.survey.name}: {score}{interval}, "
            f"{total.answered}/{total.invited} answered"
        )
