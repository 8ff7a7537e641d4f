"""`omnicx demo`: migrate an embedded database, seed the demo workspace, print sign-ins, serve."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from omnicx.runtime import Runtime
from omnicx.settings import Settings

console = Console()


def _seed_activity(runtime: Runtime, workspace_id: uuid.UUID) -> None:
    """Import the demo visitors' events and process them, with a progress bar per phase."""
    from omnicx.demo.service import seed_activity

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                label = (
                    "Importing visitor events" if phase == "import" else "Resolving identities and sessions"
                )
                tasks[phase] = progress.add_task(label, total=None if phase == "process" else total)
            progress.update(tasks[phase], completed=done)

        seed_activity(runtime, workspace_id=workspace_id, on_progress=update)
        for task in tasks.values():
            progress.update(task, total=progress.tasks[task].completed or 1)


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    reset: Annotated[bool, typer.Option("--reset", help="Delete the demo workspace and start over.")] = False,
    serve: Annotated[bool, typer.Option(help="Serve after seeding (use --no-serve to only seed).")] = True,
) -> None:
    """Bring up omnicx on a seeded demo workspace, with a sign-in for every role."""
    from omnicx.cli import run_server
    from omnicx.demo.service import seed_demo
    from omnicx.migrations import upgrade_to_head
    from omnicx.runtime import build_runtime

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"Data directory: [bold]{settings.data_dir}[/]")
    with console.status("Migrating the database…"):
        upgrade_to_head(settings.resolved_database_url)
    runtime = build_runtime(settings)
    try:
        with console.status("Seeding the demo workspace…"), runtime.sessions() as session:
            workspace, credentials, created = seed_demo(session, reset=reset)
        if created:
            _seed_activity(runtime, workspace.id)
    finally:
        runtime.close()
    url = f"http://{host}:{port}/"
    table = Table(title=f"{workspace.name}: sign in at {url}")
    table.add_column("Role")
    table.add_column("Email")
    table.add_column("Password")
    for credential in credentials:
        table.add_row(credential.role.value, credential.email, credential.password)
    console.print(table)
    for credential in credentials:
        print(f"signin {credential.role.value} {credential.email} {credential.password}", flush=True)
    if serve:
        console.print(f"Serving on [bold]{url}[/] (Ctrl+C to stop)")
        run_server(settings, host=host, port=port, auto_migrate=False)
