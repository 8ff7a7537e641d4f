"""Helpers shared by every domain's CLI: a runtime per command, domain errors as clean one-line failures."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import typer
from rich.console import Console

from omnicx.kernel.errors import DomainError
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")
err_console = Console(stderr=True)


@contextmanager
def open_runtime(settings: Settings | None = None) -> Iterator[Runtime]:
    runtime = build_runtime(settings or Settings())
    try:
        yield runtime
    finally:
        runtime.close()


def fail_on_domain_error(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a domain error into `error: <message>` and exit code 1, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DomainError as error:
            err_console.print(f"[red]error[/] ({error.code}): {error.message}")
            raise typer.Exit(1) from None

    return wrapper
