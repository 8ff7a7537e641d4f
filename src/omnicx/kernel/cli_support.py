"""Helpers shared by every domain's CLI: a runtime per command, domain errors as clean one-line failures, and the
options every report command takes alike (a range of days, an output format)."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from typing import Annotated, ParamSpec, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from omnicx.kernel.errors import DomainError
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
err_console = Console(stderr=True)


def report_console() -> Console:
    """Where a command prints its tables: the terminal's width, or a wide one when piped (lines are not
    wrapped mid-row in a file or another program's input)."""
    return Console(width=200) if not sys.stdout.isatty() else Console()


@contextmanager
def open_runtime(settings: Settings | None = None) -> Iterator[Runtime]:
    runtime = build_runtime(settings or Settings())
    try:
        yield runtime
    finally:
        runtime.close()


def fail_on_domain_error(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a domain error, or input its contracts refuse, into `error: <message>` and exit code 1, never a
    traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            err_console.print(f"[red]error[/] ({error.code}): {error.message}")
            raise typer.Exit(1) from None
        except ValidationError as error:
            reasons = "; ".join(str(item["msg"]) for item in error.errors())
            err_console.print(f"[red]error[/] (invalid): {reasons}")
            raise typer.Exit(1) from None

    return wrapper


class ReportFormat(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FromDayOpt = Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (workspace time zone).")]
ToDayOpt = Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")]
FormatOpt = Annotated[ReportFormat, typer.Option("--format", "-f", help="Output format.")]


def parse_day(value: str) -> date:
    """A `--from`/`--to` value as a date, or the option's usage error."""
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc
