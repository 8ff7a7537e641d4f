"""`omnicx demo`: migrate an embedded database, seed the demo workspace, print sign-ins, serve a living shop.

Part of the composition root: it migrates, seeds through the demo domain, and serves the whole app."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    from omnicx.auth.schemas import WorkspacePublic
    from omnicx.demo.service import DemoCredential

from omnicx.app.wiring import wire
from omnicx.demo.enums import SeedingPhase
from omnicx.demo.providers import DEFAULT_PORT, RunningProviders, start_providers
from omnicx.demo.seeding import BOARD, PHASE_LABELS, Cancelled, mark_seeded, mark_started, unfinished
from omnicx.demo.sizes import SIZES, SizeName
from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.i18n import current_language
from omnicx.kernel.i18n import gettext as _
from omnicx.kernel.i18n.formats import format_share
from omnicx.kernel.runtime import Runtime, prepare_data_dir
from omnicx.kernel.settings import Settings

console = Console()
log = logging.getLogger("omnicx.demo")
STOP_GRACE_SECONDS = 10.0  # how long Ctrl+C waits for the seeding or the simulation to stop
SERVER_START_SECONDS = 30.0  # how long the seeding waits for the server to answer before it starts anyway


@dataclass(frozen=True)
class World:
    """The world to seed for a workspace just created: its size, its random seed, the providers' accounts."""

    workspace_id: uuid.UUID
    size: SizeName
    seed: int
    accounts: dict[MessagingChannel, dict[str, str]]


def _seed_world(runtime: Runtime, world: World) -> None:
    """Seed the demo's world with a progress bar per phase (the pages read the same progress from `BOARD`), then
    print what was made and how long it took. The data directory remembers whether it finished
    (`demo.seeding`). Raises `Cancelled` when the server stops first."""
    from omnicx.demo.service import seed_world

    settings = runtime.settings
    mark_started(settings.data_dir, world.workspace_id)
    BOARD.start(world.workspace_id)
    columns = (TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        tasks: dict[str, TaskID] = {}

        def update(phase: str, done: int, total: int) -> None:
            BOARD.update(phase, done, total)
            if phase not in tasks:
                for earlier in tasks.values():  # a new phase means the previous ones are complete
                    progress.update(earlier, total=progress.tasks[earlier].completed or 1)
                label = PHASE_LABELS.get(SeedingPhase(phase), phase)
                tasks[phase] = progress.add_task(_(label), total=None if phase == "process" else total)
            progress.update(tasks[phase], completed=done)

        summary = seed_world(
            runtime,
            workspace_id=world.workspace_id,
            size=SIZES[world.size],
            seed=world.seed,
            wire=wire,
            on_progress=update,
            provider_accounts=world.accounts,
        )
        for task in tasks.values():
            progress.update(task, total=progress.tasks[task].completed or 1)
    mark_seeded(settings.data_dir, world.workspace_id)
    BOARD.finish()
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
        (_("Product reviews"), summary.reviews),
    ):
        table.add_row(label, f"{value:,}")
    console.print(table)
    timings = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in summary.timings.items())
    console.print(
        _("Seeded in %(total).1f s (%(phases)s)")
        % {"total": sum(summary.timings.values()), "phases": timings}
    )
    print("seeded", flush=True)  # for scripts, as the sign-in lines


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
            again = unfinished(settings.data_dir)
            if again and not reset:
                console.print(_("The demo world's last seeding did not finish: it starts over."))
            with console.status(_("Creating the demo workspace…")), runtime.sessions() as session:
                signins = settings.data_dir / SIGNINS_FILE
                workspace, credentials, created = seed_demo(session, reset=reset or again, signins=signins)
            world = World(workspace.id, size, seed, providers.accounts) if created else None
            if world is not None and not serve:
                _seed_world(runtime, world)
            if world is None or not serve:
                _subscribe_browsers(runtime, workspace.id, providers)
        finally:
            runtime.close()
        _welcome(workspace, credentials, f"http://{host}:{port}/")
        if serve:
            _serve(settings, workspace.id, host=host, port=port, live=live, providers=providers, world=world)
    finally:
        providers.stop()


def _subscribe_browsers(runtime: Runtime, workspace_id: uuid.UUID, providers: RunningProviders) -> None:
    """Every start, once the world is there: the demo's fresh push service knows its browsers again."""
    from omnicx.demo.push import seed_push

    with runtime.sessions() as session:
        seed_push(session, workspace_id=workspace_id, settings=runtime.settings, providers=providers)


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
    world: World | None,
) -> None:
    """Serve until Ctrl+C. Beside the server: the new `world` seeded first (pages answer meanwhile and show its
    progress), then the live simulation when asked (its customers write through the demo's providers); the
    demo's outgoing mail goes to a local sink. All stop together; a seeding stopped half-way starts over next
    time."""
    from omnicx.app.cli import run_server
    from omnicx.demo.mailsink import start_mail_sink

    server = f"http://{_loopback(host)}:{port}"
    sink = start_mail_sink(settings)
    console.print(_("Serving on %(url)s (Ctrl+C to stop)") % {"url": f"http://{host}:{port}/"})
    if world is not None:
        console.print(_("The demo world is seeded behind the server: pages fill in as it lands."))
    if live:
        console.print(_("Live simulation on: visits, messages and orders arrive every few seconds."))

    def beside(runtime: Runtime) -> Callable[[], None]:
        return _Beside(runtime, workspace_id, providers, server, world=world, live=live).start()

    if world is not None:  # the seeding processes its own events; the server's worker starts once it is done
        settings = settings.model_copy(update={"run_worker_in_process": False})
    try:
        run_server(settings, host=host, port=port, auto_migrate=False, beside=beside)
    finally:
        if sink is not None:
            sink.stop()


class _Beside:
    """What runs beside the demo's server, sharing its runtime (so the pages see its writes live): seeding a new
    world, subscribing the demo's browsers, then the live simulation.

    While a world is seeded, its own second process resolves the imported events, as when seeding without a
    server; the server's job worker would otherwise take the same jobs in the importer's process and share its
    interpreter. The worker starts once the seeding has ended (whole or failed)."""

    def __init__(
        self,
        runtime: Runtime,
        workspace_id: uuid.UUID,
        providers: RunningProviders,
        server: str,
        *,
        world: World | None,
        live: bool,
    ) -> None:
        self.runtime, self.workspace_id, self.providers, self.server = (
            runtime,
            workspace_id,
            providers,
            server,
        )
        self.world, self.live = world, live
        self.stopping = threading.Event()
        self.stop_live: Callable[[], None] | None = None
        self.worker: tuple[threading.Thread, threading.Event] | None = None

    def start(self) -> Callable[[], None]:
        thread = threading.Thread(target=self._run, name="demo-beside", daemon=True)
        thread.start()

        def stop() -> None:
            self.stopping.set()
            BOARD.cancel()  # the seeding ends at its next progress report
            thread.join(timeout=STOP_GRACE_SECONDS)
            if self.stop_live is not None:
                self.stop_live()
            if self.worker is not None:
                worker, stop_worker = self.worker
                stop_worker.set()
                worker.join(timeout=STOP_GRACE_SECONDS)

        return stop

    def _run(self) -> None:
        from omnicx.demo.live import start_live
        from omnicx.kernel.jobs.worker import start_worker_thread

        self._wait_for_server()
        if self.world is None:
            seeded = True
        else:
            seeded = self._seed(self.world)
            if self.stopping.is_set():
                return
            # What the seeding queued for later (SLA checks, deliveries) and what people do from now on.
            self.worker = start_worker_thread(self.runtime)
        if seeded and self.live and not self.stopping.is_set():
            running = start_live(
                self.runtime, self.workspace_id, providers=self.providers, server=self.server
            )
            self.stop_live = running.stop

    def _seed(self, world: World) -> bool:
        """Seed `world` and subscribe the demo's browsers; False when it was cancelled or failed (the server stays
        up; the pages and the console say what failed)."""
        try:
            _seed_world(self.runtime, world)
            _subscribe_browsers(self.runtime, self.workspace_id, self.providers)
        except Cancelled:
            return False
        except Exception as error:
            log.exception("seeding the demo world failed")
            BOARD.finish(failed=str(error) or type(error).__name__)
            return False
        return True

    def _wait_for_server(self) -> None:
        """Let the server come up first: the seeding's work would otherwise share the interpreter with the
        server's start."""
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.server}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            self.stopping.wait(0.1)
