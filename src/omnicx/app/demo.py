"""`omnicx demo`: migrate an embedded database, seed the demo workspace, print sign-ins, serve a living shop.

Part of the composition root: it migrates, seeds through the demo domain, and serves the whole app."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from omnicx.auth.schemas import WorkspacePublic
    from omnicx.demo.service import DemoCredential

from omnicx.app.wiring import wire
from omnicx.demo.providers import DEFAULT_PORT, RunningProviders, start_providers
from omnicx.demo.sizes import SIZES, SizeName
from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.i18n import current_language
from omnicx.kernel.i18n import gettext as _
from omnicx.kernel.i18n.formats import format_share
from omnicx.kernel.runtime import Runtime, prepare_data_dir
from omnicx.kernel.settings import Settings

console = Console()


def _labels() -> dict[str, str]:
    return {
        "import": _("Importing visitor events"),
        "process": _("Resolving identities and sessions"),
        "orders": _("Placing and fulfilling orders"),
        "conversations": _("Writing conversations"),
    }


def _seed_world(
    runtime: Runtime,
    workspace_id: uuid.UUID,
    size: SizeName,
    seed: int,
    accounts: dict[MessagingChannel, dict[str, str]],
) -> None:
    """Seed the demo's world with a progress bar per phase, then print what was made and how long it took."""
    from omnicx.demo.service import seed_world

    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    labels = _labels()
    with Progress(*columns, console=console) as progress:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            if phase not in tasks:
                for earlier in tasks.values():  # a new phase means the previous ones are complete
                    progress.update(earlier, total=progress.tasks[earlier].completed or 1)
                tasks[phase] = progress.add_task(
                    labels.get(phase, phase), total=None if phase == "process" else total
                )
            progress.update(tasks[phase], completed=done)

        summary = seed_world(
            runtime,
            workspace_id=workspace_id,
            size=SIZES[size],
            seed=seed,
            wire=wire,
            on_progress=update,
            provider_accounts=accounts,
        )
        for task in tasks.values():
            progress.update(task, total=progress.tasks[task].completed or 1)
    table = Table(title=_("Demo world"))
    table.add_column(_("What"))
    table.add_column(_("How many"), justify="right")
    for label, value in (
        (_("Events"), summary.events),
        (_("Known customers"), summary.known_customers),
        (_("Orders"), summary.orders),
        (_("Conversations"), summary.conversations),
        (_("Messages"), summary.messages),
        (_("Store visits and calls"), summary.offline_touches),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    timings = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in summary.timings.items())
    console.print(
        _("Seeded in %(total).1f s (%(phases)s)")
        % {"total": sum(summary.timings.values()), "phases": timings}
    )


def _check(runtime: Runtime) -> None:
    """The integrity check over every table, then the seeded history's spread over time (`demo.spread`)."""
    from omnicx.app.integrity import check_integrity
    from omnicx.demo.service import DEMO_SLUG, find_demo
    from omnicx.demo.spread import MAX_DAY_SHARE, check_spread

    with runtime.sessions() as session:
        workspace = find_demo(session)
        if workspace is None:
            console.print(_("There is no demo workspace (%(slug)s) to check.") % {"slug": DEMO_SLUG})
            raise typer.Exit(1)
        report = check_integrity(session, workspace_id=workspace.id)
        crowds = check_spread(session, workspace_id=workspace.id)
    for problem in [*report.problems, *crowds]:
        console.print(f"[red]✗[/] {problem}")
    if not report.ok or crowds:
        raise typer.Exit(1)
    console.print(
        _("Integrity check passed: %(tables)d tables, no orphan rows, no negative stock.")
        % {"tables": report.checked_tables}
    )
    console.print(
        _("Spread check passed: no day holds more than %(share)s of the conversations or orders.")
        % {"share": format_share(MAX_DAY_SHARE, language=current_language(), digits=0)}
    )


def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    size: Annotated[SizeName, typer.Option(help="How big a world to seed.")] = SizeName.MEDIUM,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed makes the same world.")] = 7,
    reset: Annotated[bool, typer.Option("--reset", help="Delete the demo workspace and start over.")] = False,
    serve: Annotated[bool, typer.Option(help="Serve after seeding (use --no-serve to only seed).")] = True,
    live: Annotated[
        bool,
        typer.Option(help="Simulate visits, messages and orders while serving (--no-live to keep still)."),
    ] = True,
    check: Annotated[
        bool, typer.Option("--check", help="Only check the demo workspace's integrity, then exit.")
    ] = False,
    providers_port: Annotated[
        int, typer.Option(help="Loopback port of the demo's local SMS provider (keep it across restarts).")
    ] = DEFAULT_PORT,
) -> None:
    """Bring up omnicx on a seeded demo retailer, with a sign-in for every role."""
    from omnicx.app.migrations import upgrade_to_head
    from omnicx.demo.push import seed_push
    from omnicx.demo.service import SIGNINS_FILE, seed_demo
    from omnicx.kernel.runtime import build_runtime

    settings = Settings()
    if "base_url" not in settings.model_fields_set:  # not configured: the address this demo serves on
        settings = settings.model_copy(update={"base_url": f"http://{_loopback(host)}:{port}"})
    if "webpush_push_services" not in settings.model_fields_set:  # the demo's browsers use its local service
        services = f"{settings.webpush_push_services}, 127.0.0.1"
        settings = settings.model_copy(update={"webpush_push_services": services})
    prepare_data_dir(settings)
    console.print(_("Data directory: %(path)s") % {"path": settings.data_dir})
    with console.status(_("Migrating the database…")):
        upgrade_to_head(settings.resolved_database_url)
    if check:
        runtime = build_runtime(settings)
        try:
            _check(runtime)
        finally:
            runtime.close()
        return
    providers = start_providers(settings.resolved_secret_key, providers_port)
    try:
        runtime = build_runtime(settings)
        try:
            with console.status(_("Seeding the demo workspace…")), runtime.sessions() as session:
                signins = settings.data_dir / SIGNINS_FILE
                workspace, credentials, created = seed_demo(session, reset=reset, signins=signins)
            if created:
                _seed_world(runtime, workspace.id, size, seed, providers.accounts)
            with runtime.sessions() as session:  # every start: the fresh push service knows them again
                seed_push(session, workspace_id=workspace.id, settings=settings, providers=providers)
        finally:
            runtime.close()
        _welcome(workspace, credentials, f"http://{host}:{port}/")
        if serve:
            _serve(settings, workspace.id, host=host, port=port, live=live, providers=providers)
    finally:
        providers.stop()


def _loopback(host: str) -> str:
    """Where this machine reaches a server listening on `host`."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - compared, not bound


def _welcome(workspace: WorkspacePublic, credentials: list[DemoCredential], url: str) -> None:
    """Where to sign in: the workspace's slug and each role's credentials (also as plain lines, for scripts).

    The passwords are the same on every start (kept in the data directory) until `--reset`."""
    table = Table(
        title=_("%(name)s: sign in at %(url)s") % {"name": workspace.name, "url": url},
        caption=_("Workspace: %(slug)s. These passwords stay the same until --reset.")
        % {"slug": workspace.slug},
    )
    table.add_column(_("Role"))
    table.add_column(_("Email"))
    table.add_column(_("Password"))
    for credential in credentials:
        table.add_row(credential.role.value, credential.email, credential.password)
    console.print(table)
    print(f"workspace {workspace.slug}", flush=True)
    for credential in credentials:
        print(f"signin {credential.role.value} {credential.email} {credential.password}", flush=True)


def _serve(
    settings: Settings,
    workspace_id: uuid.UUID,
    *,
    host: str,
    port: int,
    live: bool,
    providers: RunningProviders,
) -> None:
    """Serve until Ctrl+C, with the live simulation beside the server when asked (its customers write through
    the demo's providers) and the demo's outgoing mail going to a local sink; all stop together."""
    from omnicx.app.cli import run_server
    from omnicx.demo.live import start_live
    from omnicx.demo.mailsink import start_mail_sink

    def simulate(runtime: Runtime) -> Callable[[], None]:
        server = f"http://{_loopback(host)}:{port}"
        return start_live(runtime, workspace_id, providers=providers, server=server).stop

    sink = start_mail_sink(settings)
    console.print(_("Serving on %(url)s (Ctrl+C to stop)") % {"url": f"http://{host}:{port}/"})
    if live:
        console.print(_("Live simulation on: visits, messages and orders arrive every few seconds."))
    try:
        run_server(settings, host=host, port=port, auto_migrate=False, beside=simulate if live else None)
    finally:
        if sink is not None:
            sink.stop()
