"""`omnicx journeys`: funnels, paths, the journey map, channel usage and channel overlap in a terminal, or as CSV/JSON
for a spreadsheet or a script."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from omnicx.auth import service as auth_service
from omnicx.identity.schemas import CustomerPublic
from omnicx.journeys import service
from omnicx.journeys.schemas import (
    FunnelBreakdown,
    FunnelMode,
    FunnelQuery,
    FunnelResult,
    JourneyMapQuery,
    JourneyMapReport,
    JourneyMapSettings,
    OverlapQuery,
    OverlapReport,
    PathItems,
    PathQuery,
    PathReport,
    SavedFunnelCreate,
    StageMetric,
    UsageQuery,
    UsageReport,
)
from omnicx.kernel.cli_support import FromDayOpt, ToDayOpt, open_runtime, parse_day, report_console
from omnicx.kernel.errors import DomainError
from omnicx.kernel.web.schemas import Page

Report = TypeVar("Report", bound=BaseModel)

app = typer.Typer(
    help="Journeys: funnels, paths, the journey map, channel usage and channel overlap over the analytics copy."
)

StepsOpt = Annotated[
    list[str],
    typer.Option("--step", "-s", help="A step, in order: `event:<event name>` or `page:<address text>`."),
]
WindowOpt = Annotated[int, typer.Option("--window-hours", help="Hours allowed after step 1.")]
ModeOpt = Annotated[
    FunnelMode,
    typer.Option(
        "--mode", help="ordered, strict (no other event between steps) or any (steps in any order)."
    ),
]


@contextmanager
def _refusals() -> Iterator[None]:
    """A request omnicx refuses (bad steps or dates, an unknown workspace) printed as `error (code): message`
    on stderr, with exit status 1."""
    try:
        yield
    except DomainError as error:
        Console(stderr=True).print(f"error ({error.code}): {escape(error.message)}")
        raise typer.Exit(1) from None
    except ValidationError as error:
        Console(stderr=True).print(f"error: {escape(str(error.errors()[0]['msg']))}")
        raise typer.Exit(1) from None


def _emit(
    report: Report, output: str, as_csv: Callable[[Report], str], table: Callable[[Report], None]
) -> None:
    """Print a report as `--format` asks: JSON, CSV, or Rich tables."""
    if output == "json":
        print(report.model_dump_json(indent=2))
    elif output == "csv":
        sys.stdout.write(as_csv(report))
    else:
        table(report)


@app.command("funnel")
def funnel_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    step: StepsOpt,
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    window_hours: WindowOpt = 7 * 24,
    mode: ModeOpt = FunnelMode.ORDERED,
    by: Annotated[
        FunnelBreakdown, typer.Option("--by", help="Break down by first_touch, channel, device or property.")
    ] = FunnelBreakdown.FIRST_TOUCH,
    prop: Annotated[
        str | None, typer.Option("--property", help="With --by property: the entry event's property.")
    ] = None,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """A funnel: customers per step, the share kept, those dropped and the median time taken (json adds the
    breakdown)."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = FunnelQuery.parse(
            step,
            date_from=parse_day(date_from),
            date_to=parse_day(date_to),
            window_hours=window_hours,
            mode=mode,
            breakdown=by,
            breakdown_property=prop,
        )
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        result = service.funnel(session, workspace_id=ws.id, query=query)
    _emit(result, output, service.funnel_csv, _print)


@app.command("dropped")
def dropped_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    step: StepsOpt,
    position: Annotated[int, typer.Option("--position", "-p", help="The step they did not reach (from 2).")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    window_hours: WindowOpt = 7 * 24,
    mode: ModeOpt = FunnelMode.ORDERED,
    limit: Annotated[int, typer.Option("--limit", help="At most this many customers.")] = 50,
) -> None:
    """The customers who reached the step before `--position` but not that one: id, name, email, last seen."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = FunnelQuery.parse(
            step,
            date_from=parse_day(date_from),
            date_to=parse_day(date_to),
            window_hours=window_hours,
            mode=mode,
        )
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        page = service.dropped_customers(
            session, workspace_id=ws.id, query=query, position=position, limit=limit
        )
    _print_customers(f"dropped at step {position}", page)


def _print_customers(title: str, page: Page[CustomerPublic]) -> None:
    """A list of customers behind a number: id, name, email, last seen."""
    table = Table(title=f"{title}: {page.total} customers")
    for column in ("id", "name", "email", "last seen"):
        table.add_column(column)
    for c in page.items:
        seen = c.last_seen_at.isoformat(timespec="minutes") if c.last_seen_at else "—"
        table.add_row(str(c.id), escape(c.display_name), escape(c.email or "—"), seen)
    report_console().print(table)


@app.command("usage")
def usage_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Channel usage: bounce and engagement per device and channel, sessions per customer, entry pages (json
    adds the hour x weekday heatmap and sessions by duration)."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = UsageQuery(date_from=parse_day(date_from), date_to=parse_day(date_to))
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        report = service.usage(session, workspace_id=ws.id, query=query)
    _emit(report, output, service.usage_csv, _print_usage)


def _print_usage(report: UsageReport) -> None:
    console = report_console()
    for title, rows in (("device", report.by_device), ("channel", report.by_channel)):
        table = Table(title=f"by {title}: {report.date_from} → {report.date_to} ({report.timezone})")
        for column in (title, "sessions", "customers", "bounce", "engaged", "median duration"):
            table.add_column(column, justify="left" if column == title else "right")
        for row in rows:
            median = row.median_duration_seconds
            table.add_row(
                escape(row.key),
                f"{row.sessions:,}",
                f"{row.customers:,}",
                _share(row.bounce_rate),
                _share(row.engagement_rate),
                f"{median:.0f} s" if median is not None else "—",
            )
        console.print(table)
    visits = ", ".join(
        f"{n}{'+' if n == 10 else ''}: {c:,}" for n, c in sorted(report.visits_per_customer.items())
    )
    console.print(f"customers by sessions in the range: {visits or '—'}")
    entries = Table(title="entry pages")
    for column in ("landing page", "sessions", "bounce"):
        entries.add_column(column, justify="left" if column == "landing page" else "right")
    for page in report.entry_pages:
        entries.add_row(escape(page.page), f"{page.sessions:,}", _share(page.bounce_rate))
    console.print(entries)
    exits = Table(title="exit pages")
    for column in ("page", "views", "exits", "exit rate"):
        exits.add_column(column, justify="left" if column == "page" else "right")
    for exit_page in report.exit_pages:
        exits.add_row(
            escape(exit_page.page),
            f"{exit_page.views:,}",
            f"{exit_page.exits:,}",
            _share(exit_page.exit_rate),
        )
    console.print(exits)
    returns = ", ".join(
        f"{b.from_days}{'+' if b.to_days is None else f'-{b.to_days}'}: {b.returns:,}"
        for b in report.days_between_visits
    )
    console.print(f"returning visits by days since the previous one: {returns or '—'}")


def _share(value: float | None) -> str:
    return f"{value:.1%}" if value is not None else "—"


def _print(result: FunnelResult) -> None:
    console = report_console()
    title = (
        f"{result.date_from} → {result.date_to} ({result.timezone}), window {result.window_hours} h, "
        f"{result.mode.value} order"
    )
    table = Table(title=title)
    for column in ("step", "customers", "of step 1", "of previous", "dropped", "median from previous"):
        table.add_column(column, justify="left" if column == "step" else "right")
    for s in result.steps:
        median = s.median_seconds_from_previous
        table.add_row(
            escape(f"{s.position}. {s.label}"),
            f"{s.customers:,}",
            _share(s.share_of_first),
            _share(s.share_of_previous) if s.position > 1 else "—",
            f"{s.dropped:,}" if s.position > 1 else "—",
            f"{median / 60:.1f} min" if median is not None else "—",
        )
    console.print(table)


@app.command("overlap")
def overlap_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    gap_days: Annotated[
        int, typer.Option("--gap-days", help="Days a journey waits for the next touch.")
    ] = 30,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Channel overlap: customers by channels used, the channel combinations, the switching matrix (json adds
    cross-device use and spend by channels used)."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = OverlapQuery(date_from=parse_day(date_from), date_to=parse_day(date_to), gap_days=gap_days)
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        report = service.overlap(session, workspace_id=ws.id, query=query)
    _emit(report, output, service.overlap_csv, _print_overlap)


def _print_overlap(report: OverlapReport) -> None:
    console = report_console()
    reach = ", ".join(f"{n}{'+' if n == 3 else ''}: {c:,}" for n, c in report.customers_by_channels.items())
    console.print(
        f"{report.date_from} → {report.date_to} ({report.timezone}): {report.customers:,} customers by channels "
        f"used: {reach or '—'}; switched channel: {_share(report.switch_share)}; two devices or more: "
        f"{_share(report.cross_device_share)}"
    )
    combinations = Table(title="channel combinations")
    for column in ("channels", "customers", "purchasers"):
        combinations.add_column(column, justify="left" if column == "channels" else "right")
    for c in report.combinations[:20]:
        combinations.add_row(
            escape(" + ".join(c.channels) or "(none)"), f"{c.customers:,}", f"{c.purchasers:,}"
        )
    console.print(combinations)
    switching = Table(title=f"moves to the next touch within {report.gap_days} days")
    for column in ("from", "to", "moves", "share of from"):
        switching.add_column(column, justify="left" if column in ("from", "to") else "right")
    for cell in report.switching[:30]:
        switching.add_row(
            escape(cell.from_channel), escape(cell.to_channel), f"{cell.moves:,}", _share(cell.share_of_from)
        )
    console.print(switching)


@app.command("paths")
def paths_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    start: Annotated[
        str | None, typer.Option("--start", help="From a visit's first item of this event name or page path.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="Up to a visit's first item of this event name or page path.")
    ] = None,
    steps: Annotated[int, typer.Option("--steps", help="Items per path, 2 to 8.")] = 5,
    items: Annotated[PathItems, typer.Option("--items", help="all, pages or events.")] = PathItems.ALL,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Paths through visits: where visits end at each step and the top paths (json and csv add the Sankey
    diagram's nodes and links)."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = PathQuery(
            date_from=parse_day(date_from),
            date_to=parse_day(date_to),
            start=start,
            end=end,
            steps=steps,
            items=items,
        )
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        report = service.paths(session, workspace_id=ws.id, query=query)
    _emit(report, output, service.paths_csv, _print_paths)


def _print_paths(report: PathReport) -> None:
    console = report_console()
    anchor = f"from {report.start}" if report.start else f"up to {report.end}" if report.end else "from entry"
    console.print(
        f"{report.date_from} → {report.date_to} ({report.timezone}), {escape(anchor)}: {report.visits:,} visits "
        f"by {report.customers:,} customers"
    )
    ends = Table(title="where visits end")
    for column in ("step", "visits", "ended here", "share"):
        ends.add_column(column, justify="right")
    for end in report.ends:
        ends.add_row(str(end.step), f"{end.visits:,}", f"{end.left:,}", _share(end.share))
    console.print(ends)
    top = Table(title="top paths")
    for column in ("path", "visits", "customers"):
        top.add_column(column, justify="left" if column == "path" else "right")
    for row in report.top_paths:
        top.add_row(escape(" → ".join(row.items)), f"{row.visits:,}", f"{row.customers:,}")
    console.print(top)


@app.command("map")
def map_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """The journey map: per stage the customers who reached it, went on, stopped there, the time spent, the
    channels and kinds of touchpoint used, conversations opened and friction (json adds them in full)."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = JourneyMapQuery(date_from=parse_day(date_from), date_to=parse_day(date_to))
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        settings = service.get_journey_map(session, workspace_id=ws.id)
        report = service.journey_map(session, workspace_id=ws.id, settings=settings, query=query)
    _emit(report, output, service.journey_map_csv, _print_map)


def _print_map(report: JourneyMapReport) -> None:
    console = report_console()
    table = Table(title=f"journey map: {report.date_from} → {report.date_to} ({report.timezone})")
    columns = (
        "stage",
        "customers",
        "went on",
        "stopped",
        "median time",
        "channels",
        "touchpoints",
        "conversations",
        "friction",
    )
    for column in columns:
        table.add_column(
            column, justify="left" if column in ("stage", "channels", "touchpoints") else "right"
        )
    for stage in report.stages:
        median = stage.median_seconds_in_stage
        table.add_row(
            escape(f"{stage.position}. {stage.name}"),
            f"{stage.customers:,}",
            _share(stage.conversion_to_next),
            "—" if stage.dropped is None else f"{stage.dropped:,}",
            "—" if median is None else f"{median / 3600:.1f} h",
            escape(", ".join(f"{c.channel} {c.customers:,}" for c in stage.channels[:3]) or "—"),
            escape(", ".join(f"{t.kind} {t.customers:,}" for t in stage.touchpoints[:3]) or "—"),
            f"{stage.conversations:,}",
            f"{stage.struggling_customers:,}",
        )
    console.print(table)


@app.command("map-customers")
def map_customers_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    stage: Annotated[int, typer.Option("--stage", help="The stage, from 1.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    metric: Annotated[
        StageMetric,
        typer.Option(help="reached, dropped, contacting, struggling, channel or touchpoint."),
    ] = StageMetric.REACHED,
    key: Annotated[
        str | None, typer.Option("--key", help="With channel or touchpoint: the channel or touchpoint kind.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many customers.")] = 50,
) -> None:
    """The customers behind a number of the journey map: id, name, email, last seen."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        query = JourneyMapQuery(date_from=parse_day(date_from), date_to=parse_day(date_to))
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        settings = service.get_journey_map(session, workspace_id=ws.id)
        page = service.journey_customers(
            session,
            workspace_id=ws.id,
            settings=settings,
            query=query,
            stage=stage,
            metric=metric,
            key=key,
            limit=limit,
        )
    _print_customers(f"stage {stage}, {metric.value}{f' {key}' if key else ''}", page)


@app.command("map-stages")
def map_stages_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    set_from: Annotated[
        typer.FileText | None,
        typer.Option("--set", help="Replace the stages with a JSON file shaped like this command's output."),
    ] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Back to the default stages.")] = False,
) -> None:
    """Print the workspace's journey map stages as JSON; `--set FILE` replaces them, `--reset` restores the
    default ones."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        if reset:
            service.reset_journey_map(session, workspace_id=ws.id)
        elif set_from is not None:
            data = JourneyMapSettings.model_validate_json(set_from.read())
            service.save_journey_map(session, workspace_id=ws.id, data=data)
        print(service.get_journey_map(session, workspace_id=ws.id).model_dump_json(indent=2))


@app.command("saved")
def saved_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
) -> None:
    """The workspace's saved funnels: name, steps (as --step takes them), window and mode."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        found = service.list_saved_funnels(session, workspace_id=ws.id)
    console = report_console()
    table = Table(title=f"saved funnels: {len(found)}")
    for column in ("name", "steps", "window", "mode", "saved by"):
        table.add_column(column)
    for item in found:
        steps = " → ".join(item.steps)
        table.add_row(
            escape(item.name), escape(steps), f"{item.window_hours} h", item.mode.value, item.created_by
        )
    console.print(table)


@app.command("save")
def save_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    name: Annotated[str, typer.Argument(help="The name to save the funnel under.")],
    step: StepsOpt,
    window_hours: WindowOpt = 7 * 24,
    mode: ModeOpt = FunnelMode.ORDERED,
) -> None:
    """Save a funnel under a name the workspace has not used; prints its id."""
    with _refusals(), open_runtime() as runtime, runtime.sessions() as session:
        data = SavedFunnelCreate(name=name, steps=step, window_hours=window_hours, mode=mode)
        ws = auth_service.get_workspace_by_slug(session, slug=workspace)
        saved = service.save_funnel(session, workspace_id=ws.id, data=data)
    print(saved.id)
