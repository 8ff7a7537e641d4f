"""`omnicx analytics`: how far the copy is behind, apply pending changes now, rebuild it from scratch."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from omnicx.analytics import service
from omnicx.analytics.schemas import AnalyticsStatus
from omnicx.kernel.cli_support import open_runtime, report_console

app = typer.Typer(help="The analytics engine: the columnar copy reports read.")


@app.command("status")
def status_command(
    output: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """Changes waiting, the lag, and what each table of the copy holds."""
    with open_runtime() as runtime, runtime.sessions() as session:
        status = service.status(session)
    if output == "json":
        print(status.model_dump_json(indent=2))
        return
    _print(status)


def _print(status: AnalyticsStatus) -> None:
    console = report_console()
    console.print(
        f"engine {status.engine} · {status.pending_changes} changes waiting · lag {status.lag_seconds:.1f} s · "
        f"last sync {status.last_sync_at or 'never'} · rebuilt {status.rebuilt_at or 'never'}"
        + (" · rebuilding" if status.rebuilding else "")
    )
    table = Table()
    for column in ("table", "rows", "segments", "tombstones", "tombstone segments"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for row in status.tables:
        table.add_row(
            row.table, f"{row.rows:,}", str(row.segments), f"{row.tombstones:,}", str(row.tombstone_segments)
        )
    console.print(table)


@app.command("sync")
def sync_command() -> None:
    """Apply every pending change now (the worker does it in the background)."""
    with open_runtime() as runtime:
        result = service.sync(runtime)
    print(
        f"applied {result.changes} changes: {result.rows} rows, {result.tombstones} tombstones, "
        f"{result.compactions} merges"
    )


@app.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the copy from the store of record (reports keep reading the old copy until it is done)."""
    with open_runtime() as runtime:
        with runtime.sessions() as session:
            totals = service.source_counts(session)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=Console(stderr=True)) as progress:
            tasks = {name: progress.add_task(name, total=total) for name, total in totals.items()}

            def advance(table: str, rows: int) -> None:
                if table in tasks:
                    progress.advance(tasks[table], rows)

            rows = service.rebuild(runtime, progress=advance)
    print(f"rebuilt the copy: {rows:,} rows")
