"""The `omnicx` command: the root Typer app, mounting each domain's commands.

Commands stay thin: they parse options, build a runtime, call one service function and print the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from omnicx import __version__
from omnicx.analytics import cli as analytics_cli
from omnicx.analytics import service as analytics_service
from omnicx.app import demo as demo_cli
from omnicx.app.wiring import wire
from omnicx.attribution import cli as attribution_cli
from omnicx.auth import cli as auth_cli
from omnicx.channels import cli as channels_cli
from omnicx.channels.webpush import cli as webpush_cli
from omnicx.commerce import cli as commerce_cli
from omnicx.customers import cli as customers_cli
from omnicx.feedback import cli as feedback_cli
from omnicx.inbox import cli as inbox_cli
from omnicx.journeys import cli as journeys_cli
from omnicx.kernel.jobs import cli as jobs_cli
from omnicx.kernel.runtime import prepare_data_dir, settle_heap
from omnicx.kernel.settings import Settings, UnsafeSettings
from omnicx.overview import cli as overview_cli
from omnicx.ownership import cli as ownership_cli
from omnicx.tracking import cli as tracking_cli

if TYPE_CHECKING:
    from omnicx.kernel.runtime import Runtime

console = Console()
app = typer.Typer(
    name="omnicx",
    help="omnicx: one customer identity across every channel.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(auth_cli.workspace_app, name="workspace")
app.add_typer(auth_cli.user_app, name="user")
app.add_typer(auth_cli.token_app, name="token")
app.add_typer(jobs_cli.app, name="jobs")
app.add_typer(analytics_cli.app, name="analytics")
app.add_typer(customers_cli.app, name="customers")
app.add_typer(attribution_cli.app, name="attribution")
app.add_typer(tracking_cli.source_app, name="source")
app.add_typer(tracking_cli.import_app, name="import")
app.add_typer(tracking_cli.events_app, name="events")
app.add_typer(tracking_cli.contacts_app, name="contacts")
app.add_typer(commerce_cli.app, name="commerce")
app.add_typer(inbox_cli.app, name="inbox")
app.add_typer(ownership_cli.app, name="ownership")
app.add_typer(feedback_cli.app, name="feedback")
app.add_typer(overview_cli.app, name="overview")
app.add_typer(overview_cli.scorecard_app, name="scorecard")
app.add_typer(journeys_cli.app, name="journeys")
app.add_typer(webpush_cli.app, name="webpush")
app.command("smtp")(channels_cli.smtp)
app.command("demo")(demo_cli.demo)


def _version(value: bool) -> None:
    if value:
        print(f"omnicx {__version__}")
        raise typer.Exit


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    """omnicx: collect, resolve, attribute, converse, sell: one customer identity across every channel."""
    wire()


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest version (safe to run repeatedly)."""
    from omnicx.app.migrations import upgrade_to_head

    settings = Settings()
    prepare_data_dir(settings)
    with console.status("Migrating the database…"):
        upgrade_to_head(settings.resolved_database_url)
    console.print(f"[green]Database is up to date[/] ({_safe_url(settings.resolved_database_url)})")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[bool, typer.Option(help="Run the job worker inside the server process.")] = True,
    auto_migrate: Annotated[bool, typer.Option("--migrate", help="Apply pending migrations first.")] = False,
) -> None:
    """Serve the web app and the API (with an in-process job worker unless --no-worker)."""
    settings = Settings(run_worker_in_process=worker)
    run_server(settings, host=host, port=port, auto_migrate=auto_migrate)


def run_server(
    settings: Settings,
    *,
    host: str,
    port: int,
    auto_migrate: bool,
    beside: Callable[[Runtime], Callable[[], None]] | None = None,
) -> None:
    """Serve until stopped. `beside(runtime)` starts work sharing the server's runtime (and so its realtime
    bus: what it publishes reaches the pages), and returns how to stop it; it is stopped before the runtime
    closes."""
    import uvicorn

    from omnicx.app.migrations import is_current, upgrade_to_head
    from omnicx.app.web import create_app
    from omnicx.kernel.runtime import build_runtime

    if auto_migrate:
        upgrade_to_head(settings.resolved_database_url)
    runtime = build_runtime(settings)
    if not is_current(runtime.engine):
        console.print("[red]The database schema is not current.[/] Run [bold]omnicx migrate[/] first.")
        runtime.close()
        raise typer.Exit(1)
    with runtime.sessions() as session:
        analytics_service.wake_if_never_built(session)
    app_ = create_app(settings, runtime=runtime)
    smtp_server = None
    if settings.smtp_inbound_port:
        from omnicx.channels.email.server import start_smtp_server

        smtp_server = start_smtp_server(
            runtime, host=settings.smtp_inbound_host, port=settings.smtp_inbound_port
        )
    stop_beside = beside(runtime) if beside is not None else None
    settle_heap()
    try:
        uvicorn.run(app_, host=host, port=port, log_level="info", proxy_headers=False)
    finally:
        if stop_beside is not None:
            stop_beside()
        if smtp_server is not None:
            smtp_server.stop()
        runtime.close()


@app.command("worker")
def worker_command(
    worker_id: Annotated[str | None, typer.Option(help="Name of this worker in job records.")] = None,
) -> None:
    """Run a standalone job worker (several may run at once on PostgreSQL)."""
    from omnicx.kernel.cli_support import open_runtime

    with open_runtime() as runtime:
        with runtime.sessions() as session:
            analytics_service.wake_if_never_built(session)
        settle_heap()
        jobs_cli.run_worker(runtime, worker_id=worker_id)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    try:
        app()
    except (UnsafeSettings, ValidationError) as error:
        # A configuration mistake is the operator's to fix: say what it is, without a traceback.
        console.print(f"[red]omnicx cannot start:[/] {escape(str(error))}", soft_wrap=True)
        raise SystemExit(2) from None
