"""`omnicx overview`: the dashboard's numbers in a terminal, or as CSV/JSON for a spreadsheet or a script."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.cli_support import (
    FormatOpt,
    FromDayOpt,
    ReportFormat,
    ToDayOpt,
    fail_on_domain_error,
    open_runtime,
    report_console,
)
from omnicx.kernel.errors import DomainError
from omnicx.overview import service
from omnicx.overview.schemas import BenchmarkUpdate, OverviewPublic, OverviewQuery, Scorecard, ScoreMetric

app = typer.Typer(help="The Overview: channels by first and last touch, inbox and stock status.")


@app.callback(invoke_without_command=True)
def overview_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Per channel: sessions, contacts, qualified leads, sales and revenue by first and by last touch; then
    conversations, SLA status and stock alerts."""
    try:
        query = OverviewQuery.model_validate({"date_from": date_from, "date_to": date_to})
        with open_runtime() as runtime, runtime.sessions() as session:
            ws = auth_service.get_workspace_by_slug(session, slug=workspace)
            data = service.overview(
                session, workspace_id=ws.id, query=query, sections=service.sections_for(Role.OWNER)
            )
    except DomainError as error:
        Console(stderr=True).print(f"error ({error.code}): {escape(error.message)}")
        raise typer.Exit(1) from None
    except ValidationError as error:
        Console(stderr=True).print(f"error: {escape(str(error.errors()[0]['msg']))}")
        raise typer.Exit(1) from None
    if output == "json":
        print(data.model_dump_json(indent=2))
    elif output == "csv":
        sys.stdout.write(service.channels_csv(data))
    else:
        _print(data)


def _print(data: OverviewPublic) -> None:
    console = report_console()
    table = Table(title=f"{data.date_from} → {data.date_to} ({data.timezone})")
    table.add_column("channel")
    for column in ("sessions", "contacts", "qualified", "sales", "revenue"):
        table.add_column(f"{column}\nfirst / last" if column != "sessions" else column, justify="right")
    for row in data.channels:
        first, last = row.first_touch, row.last_touch
        table.add_row(
            row.channel,
            str(row.sessions),
            *(
                f"{getattr(first, m):.0f} / {getattr(last, m):.0f}"
                for m in ("contacts", "qualified", "sales")
            ),
            f"{first.revenue:.2f} / {last.revenue:.2f}",
        )
    totals = data.totals
    table.add_section()
    table.add_row(
        "total",
        str(data.sessions),
        f"{totals.contacts:.0f}",
        f"{totals.qualified:.0f}",
        f"{totals.sales:.0f}",
        f"{totals.revenue:.2f}",
    )
    console.print(table)
    if data.inbox is not None:
        inbox = data.inbox
        opened = ", ".join(f"{k} {v}" for k, v in inbox.open_by_channel.items()) or "none"
        console.print(
            f"Open now: {opened}; SLA on track {inbox.sla_on_track}, due soon {inbox.sla_warning}, "
            f"breached {inbox.sla_breached}"
        )
    if data.service is not None:
        console.print(f"Conversations {data.service.conversations} (resolved {data.service.resolved})")
    if data.processing is not None:
        backlog = data.processing
        console.print(
            f"Processing backlog: {backlog.events} events waiting, oldest {backlog.oldest_age_seconds:.0f} s"
            + (" (behind)" if backlog.behind else "")
        )
    if data.stock_alerts:
        console.print(
            "Stock alerts: "
            + "; ".join(f"{a.sku} @ {a.location_name}: {a.available}" for a in data.stock_alerts)
        )


scorecard_app = typer.Typer(
    help="The CX scorecard: each touchpoint against its benchmarks.", no_args_is_help=True
)
WorkspaceOpt = Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")]


@scorecard_app.command("show")
@fail_on_domain_error
def scorecard_show(
    workspace: WorkspaceOpt, date_from: FromDayOpt, date_to: ToDayOpt, output: FormatOpt = ReportFormat.TABLE
) -> None:
    """Per touchpoint (website, app, each inbox channel, each store): volume, customers, CSAT, first response,
    resolution, SLA, conversions and revenue, with the period before and a flag against each benchmark."""
    try:
        query = OverviewQuery.model_validate({"date_from": date_from, "date_to": date_to})
    except ValidationError as error:
        Console(stderr=True).print(f"error: {escape(str(error.errors()[0]['msg']))}")
        raise typer.Exit(1) from None
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        card = service.scorecard(session, workspace_id=ws.id, start=query.date_from, end=query.date_to)
    if output is ReportFormat.JSON:
        print(card.model_dump_json(indent=2))
    elif output is ReportFormat.CSV:
        sys.stdout.write(service.scorecard_csv(card))
    else:
        _print_scorecard(card)


def _print_scorecard(card: Scorecard) -> None:
    table = Table(title=f"{card.start} → {card.end} (before: {card.previous_start} → {card.previous_end})")
    table.add_column("touchpoint")
    for metric in ScoreMetric:
        table.add_column(metric.value, justify="right")
    marks = {"strength": "[green]✓[/]", "weakness": "[red]✗[/]"}
    for row in card.rows:
        cells = []
        for metric in ScoreMetric:
            cell = row.cells[metric]
            text = "—" if cell.value is None else f"{cell.value:.4g}"
            cells.append(f"{text} {marks[cell.flag.value]}" if cell.flag else text)
        table.add_row(escape(row.label), *cells)
    report_console().print(table)


@scorecard_app.command("pdf")
@fail_on_domain_error
def scorecard_pdf(
    workspace: WorkspaceOpt,
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    out: Annotated[Path, typer.Option("--out", "-o", help="Where to write the PDF.")] = Path("scorecard.pdf"),
) -> None:
    """Write the scorecard as a PDF report (the table, the benchmarks, four charts), printed by Chromium."""
    query = OverviewQuery.model_validate({"date_from": date_from, "date_to": date_to})
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        card = service.scorecard(session, workspace_id=ws.id, start=query.date_from, end=query.date_to)
        pdf = service.scorecard_pdf(card, workspace=ws.name, chromium=runtime.settings.chromium_path)
    out.write_bytes(pdf)
    print(f"Wrote {out} ({len(pdf):,} bytes)")


@scorecard_app.command("benchmark")
@fail_on_domain_error
def scorecard_benchmark(
    workspace: WorkspaceOpt,
    metric: Annotated[ScoreMetric, typer.Argument(help="The metric.")],
    value: Annotated[
        float | None, typer.Argument(help="Rates 0-1, times in seconds; leave out to restore the default.")
    ] = None,
) -> None:
    """Set one metric's benchmark, or restore its default."""
    with open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        marks = service.set_benchmark(
            session, workspace_id=ws.id, metric=metric, data=BenchmarkUpdate(value=value)
        )
    mark = next(b for b in marks if b.metric is metric)
    print(f"{metric.value}: {'—' if mark.value is None else f'{mark.value:g}'} ({mark.source})")
