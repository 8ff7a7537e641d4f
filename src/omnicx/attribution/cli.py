"""`omnicx attribution ...`: attribution on files an analyst already has, no server or database needed.

Thin on purpose: parse options, call `pathfile` and the engine, render. Results go to stdout (a Rich table,
CSV or JSON); progress and errors go to stderr, errors as one line and a non-zero exit, never a traceback.

JSON shapes: one model gives ``{"model", "channels": {name: {"conversions", "value", "removal_effect"?,
"value_removal_effect"?}}, "totals": {"conversions", "value"}, "markov"?: {...}}``; ``--model all`` gives an
object keyed by model name whose values have that shape.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.status import Status
from rich.table import Table

from omnicx.attribution import service as attribution_service
from omnicx.attribution.engine import (
    AttributionResult,
    Model,
    ModelComparison,
    ModelOptions,
    PathSet,
    compare_models,
    run_model,
)
from omnicx.attribution.pathfile import read_path_file
from omnicx.attribution.schemas import AttributionReport, ReportQuery, StageKey
from omnicx.auth import service as auth_service
from omnicx.kernel.cli_support import FromDayOpt, ToDayOpt, open_runtime
from omnicx.kernel.errors import DomainError

app = typer.Typer(help="Multi-touch attribution: who gets credit for conversions and their value.")

_ALL = "all"
_SPINNER_FROM_BYTES = 1 << 20
_PIPED_WIDTH = 200  # a table written to a file or a pipe is not cut to 80 columns


class ModelChoice(StrEnum):
    FIRST = "first"
    LAST = "last"
    LAST_NON_DIRECT = "last-non-direct"
    LINEAR = "linear"
    POSITION = "position"
    TIME_DECAY = "time-decay"
    MARKOV = "markov"
    SHAPLEY = "shapley"
    ALL = _ALL


class OutputFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


@app.command("paths")
def paths_command(
    file: Annotated[Path, typer.Argument(help="Path file: CSV, gzip-compressed CSV or Parquet.")],
    model: Annotated[ModelChoice, typer.Option("--model", "-m", help="Model, or all side by side.")] = (
        ModelChoice.ALL
    ),
    order: Annotated[int, typer.Option("--order", "-k", min=1, max=3, help="Markov chain order.")] = 1,
    output: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = (
        OutputFormat.TABLE
    ),
    delimiter: Annotated[str, typer.Option("--delimiter", "-d", help="CSV field delimiter.")] = ";",
    sep: Annotated[str, typer.Option("--sep", "-s", help="Separator between channels in a path.")] = ">",
    direct: Annotated[str, typer.Option(help="Channel skipped by last-non-direct (any case).")] = "direct",
    half_life: Annotated[float, typer.Option(help="Time-decay half-life in days.")] = 7.0,
    position_weights: Annotated[
        tuple[float, float], typer.Option(help="Position-based shares of the first and last touch.")
    ] = (0.4, 0.4),
) -> None:
    """Attribute the conversions and value in a path file, with one model or all of them.

    The file has the columns path, total_conversions and optionally total_conversion_value and total_null.
    """
    options = ModelOptions(
        order=order,
        direct=direct,
        position_first=position_weights[0],
        position_last=position_weights[1],
        half_life_days=half_life,
    )
    with _failing_cleanly(), _progress(file) as report:
        paths = read_path_file(file, delimiter=delimiter, sep=sep, on_progress=report)
        report(f"running {model} on {len(paths):,} paths")
        outcome = _run(paths, model, options)
    _render(outcome, output)


def _run(paths: PathSet, model: ModelChoice, options: ModelOptions) -> AttributionResult | ModelComparison:
    if model == ModelChoice.ALL:
        return compare_models(paths, options=options)
    return run_model(paths, Model(model.value), options=options)


@contextmanager
def _failing_cleanly() -> Iterator[None]:
    """Domain errors become one line on stderr and exit status 1."""
    try:
        yield
    except DomainError as error:
        Console(stderr=True, soft_wrap=True).print(
            f"[red]error:[/red] {escape(error.message)}", highlight=False
        )
        raise typer.Exit(code=1) from None


class _Report:
    """Sends the name of the current step to a spinner, or nowhere."""

    def __init__(self, status: Status | None) -> None:
        self._status = status

    def __call__(self, step: str) -> None:
        if self._status is not None:
            self._status.update(step)


@contextmanager
def _progress(file: Path) -> Iterator[_Report]:
    """A spinner on stderr naming the current step, for files big enough to make the user wait."""
    console = Console(stderr=True)
    try:
        big = file.stat().st_size >= _SPINNER_FROM_BYTES
    except OSError:
        big = False
    if not (big and console.is_terminal):
        yield _Report(None)
        return
    with console.status("reading") as status:
        yield _Report(status)


def _render(outcome: AttributionResult | ModelComparison, output: OutputFormat) -> None:
    if output is OutputFormat.JSON:
        sys.stdout.write(json.dumps(outcome.as_dict(), indent=2) + "\n")
    elif output is OutputFormat.CSV:
        _write_csv(outcome)
    elif isinstance(outcome, ModelComparison):
        _print_comparison(outcome)
    else:
        _print_result(outcome)


def _write_csv(outcome: AttributionResult | ModelComparison) -> None:
    """Long format: one line per channel (and model), removal effects empty where a model has none."""
    results = list(outcome.results.values()) if isinstance(outcome, ModelComparison) else [outcome]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["model", "channel", "conversions", "value", "removal_effect", "value_removal_effect"])
    for result in results:
        for credit in result.credits():
            writer.writerow(
                [
                    result.model,
                    credit.channel,
                    repr(credit.conversions),
                    repr(credit.value),
                    "" if credit.removal_effect is None else repr(credit.removal_effect),
                    "" if credit.value_removal_effect is None else repr(credit.value_removal_effect),
                ]
            )


def _print_result(result: AttributionResult) -> None:
    markov = result.markov
    caption = f"{len(result.channels)} channels"
    if markov is not None:
        caption += f"; Markov order {markov.order}, P(conversion) = {markov.conversion_probability:.6f}"
    table = Table(title=f"Attribution: {result.model}", caption=caption, show_footer=True)
    table.add_column("Channel", footer="Total")
    _number_column(table, "Conversions", f"{result.total_conversions:,.2f}")
    _number_column(table, "Share", "100.0%")
    _number_column(table, "Value", f"{result.total_value:,.2f}")
    if result.removal_effects is not None:
        _number_column(table, "Removal effect")
        _number_column(table, "Value removal effect")
    for credit in sorted(result.credits(), key=lambda c: -c.conversions):
        share = credit.conversions / result.total_conversions if result.total_conversions else 0.0
        cells = [escape(credit.channel), f"{credit.conversions:,.2f}", f"{share:.1%}", f"{credit.value:,.2f}"]
        if credit.removal_effect is not None and credit.value_removal_effect is not None:
            cells += [f"{credit.removal_effect:.4f}", f"{credit.value_removal_effect:.4f}"]
        table.add_row(*cells)
    _stdout().print(table)


def _stdout() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=_PIPED_WIDTH)


def _number_column(table: Table, header: str, footer: str = "") -> None:
    """Numbers are never cut: the column is at least as wide as its widest cell."""
    table.add_column(header, justify="right", footer=footer, no_wrap=True, overflow="fold")


def _print_comparison(comparison: ModelComparison) -> None:
    console = _stdout()
    for measure in ("conversions", "value"):
        table = Table(title=f"{measure.capitalize()} by model", show_footer=True)
        table.add_column("Channel", footer="Total")
        results = comparison.results
        for model, result in results.items():
            total = result.total_conversions if measure == "conversions" else result.total_value
            _number_column(table, str(model), f"{total:,.2f}")
        for channel, row in comparison.table().items():
            table.add_row(escape(channel), *(f"{getattr(credit, measure):,.2f}" for credit in row.values()))
        console.print(table)


@app.command("report")
def report_command(
    workspace: Annotated[str, typer.Option("--workspace", "-w", help="Workspace slug.")],
    date_from: FromDayOpt,
    date_to: ToDayOpt,
    stage: Annotated[str, typer.Option(help="contact, qualified or sale.")] = "sale",
    model: Annotated[str, typer.Option("--model", "-m", help="Model for the model column.")] = "markov",
    order: Annotated[int, typer.Option("--order", "-k", min=1, max=3, help="Markov order.")] = 1,
    output: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
) -> None:
    """Channel report from the workspace's own data: sessions and credit by first touch, last touch and a model."""
    try:
        query = ReportQuery.model_validate(
            {"date_from": date_from, "date_to": date_to, "model": model, "order": order}
        )
        key = StageKey(stage)
        with open_runtime() as runtime, runtime.sessions() as session:
            ws = auth_service.get_workspace_by_slug(session, slug=workspace)
            data = attribution_service.report(session, workspace_id=ws.id, query=query)
    except DomainError as error:
        Console(stderr=True).print(f"error ({error.code}): {escape(error.message)}")
        raise typer.Exit(1) from None
    except ValueError as error:
        Console(stderr=True).print(f"error: {escape(str(error).splitlines()[0])}")
        raise typer.Exit(1) from None
    if output == "json":
        print(data.model_dump_json(indent=2))
    elif output == "csv":
        sys.stdout.write(attribution_service.report_csv(data))
    else:
        _print_report(data, key)


def _print_report(data: AttributionReport, key: StageKey) -> None:
    table = Table(title=f"{key.value}: {data.date_from} → {data.date_to} ({data.model.value})")
    for column in ("channel", "sessions", "first", "last", data.model.value, "value"):
        table.add_column(column, justify="left" if column == "channel" else "right")
    for row in data.channels:
        credit = row.stages[key]
        table.add_row(
            row.channel,
            str(row.sessions),
            f"{credit.first:.1f}",
            f"{credit.last:.1f}",
            f"{credit.model:.2f}",
            f"{credit.value_model:.2f}",
        )
    totals = data.totals[key]
    table.add_section()
    table.add_row("total", str(data.sessions), "", "", f"{totals.conversions:.2f}", f"{totals.value:.2f}")
    _stdout().print(table)
