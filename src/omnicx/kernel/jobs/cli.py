"""`omnicx jobs ...`: inspect and retry background jobs, and `run_worker` behind `omnicx worker`.

The CLI is the operator's view: without `--workspace` it shows every workspace's jobs and the system jobs
(workspace-less maintenance work) that no page shows.
"""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from omnicx.kernel.access.directory import directory
from omnicx.kernel.cli_support import fail_on_domain_error, open_runtime
from omnicx.kernel.jobs import service
from omnicx.kernel.jobs.registry import registered_kinds
from omnicx.kernel.jobs.schemas import JobPublic, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime

app = typer.Typer(help="Inspect and retry background jobs.", no_args_is_help=True)
console = Console()

STATUS_STYLE = {
    JobStatus.QUEUED: "cyan",
    JobStatus.RUNNING: "yellow",
    JobStatus.SUCCEEDED: "green",
    JobStatus.DEAD: "bold red",
}


def _status(status: JobStatus) -> str:
    return f"[{STATUS_STYLE[status]}]{status.value}[/]"


def _jobs_table(jobs: list[JobPublic], title: str) -> Table:
    table = Table(title=title)
    for column in ("id", "kind", "status", "attempts", "run at", "workspace", "last error"):
        # Ids are copied into `omnicx jobs retry ID`: never shorten them.
        table.add_column(
            column,
            no_wrap=column == "status",
            overflow="fold" if column == "id" else "ellipsis",
            min_width=36 if column == "id" else None,
        )
    for job in jobs:
        summary = (job.last_error or "").partition("\n")[0]
        table.add_row(
            str(job.id),
            job.kind,
            _status(job.status),
            f"{job.attempts}/{job.max_attempts}",
            job.run_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(job.workspace_id) if job.workspace_id else "system",
            summary,
        )
    return table


@app.command("list")
@fail_on_domain_error
def list_command(
    status: Annotated[JobStatus | None, typer.Option(help="Only jobs in this status.")] = None,
    workspace: Annotated[str | None, typer.Option(help="Only this workspace's jobs (its slug).")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
) -> None:
    """List jobs, newest first."""
    with open_runtime() as runtime, runtime.sessions() as session:
        workspace_id = directory().workspace_id(session, slug=workspace) if workspace else None
        page = service.list_jobs(session, workspace_id=workspace_id, status=status, limit=limit)
    console.print(_jobs_table(page.items, f"{len(page.items)} of {page.total} jobs"))


@app.command("show")
@fail_on_domain_error
def show_command(job_id: Annotated[uuid.UUID, typer.Argument(help="The job's id.")]) -> None:
    """Show one job, its payload and its last error in full."""
    with open_runtime() as runtime, runtime.sessions() as session:
        job = service.get_job(session, job_id=job_id, workspace_id=None)
    console.print(_jobs_table([job], f"job {job.id}"))
    console.print_json(data=job.payload)
    if job.last_error:
        console.print(job.last_error, markup=False, highlight=False)


@app.command("retry")
@fail_on_domain_error
def retry_command(job_id: Annotated[uuid.UUID, typer.Argument(help="The dead job's id.")]) -> None:
    """Put a dead job back in the queue with a fresh set of attempts."""
    with open_runtime() as runtime, runtime.sessions() as session:
        job = service.retry_job(session, job_id=job_id, workspace_id=None)
    console.print(f"job {job.id} ({job.kind}) is {_status(job.status)} again")


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT ask the worker to stop after its current job; a second SIGINT stops it at once.

    Stopping at once is safe too: the job's transaction dies with the process and the job runs again once its
    lease expires. Signal handlers can only be installed from the main thread; elsewhere the caller's `stop`
    event is the only way to stop.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, _frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run_worker(
    runtime: Runtime, *, worker_id: str | None = None, stop: threading.Event | None = None
) -> None:
    """Run a job worker until `stop` is set or the process gets SIGTERM/SIGINT (`omnicx worker`)."""
    stop = stop or threading.Event()
    worker = Worker(runtime, worker_id)
    label = f"worker {worker.worker_id}: polling every {runtime.settings.job_poll_seconds:g}s"
    console.print(f"handling job kinds: {', '.join(registered_kinds()) or 'none registered'}")
    with _stop_on_signals(stop), console.status(f"{label}; Ctrl+C to stop"):
        worker.run_forever(stop)
    console.print(f"worker {worker.worker_id} stopped")
