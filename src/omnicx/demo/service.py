"""Seeding the demo workspace through the product's own service functions (so the demo exercises real paths)."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.auth.errors import WorkspaceNotFound
from omnicx.auth.schemas import MemberPublic, TeamCreate, WorkspaceCreate, WorkspacePublic
from omnicx.demo import appointments, desk, offline, ratings, reviews, shop, world
from omnicx.demo.sizes import Size
from omnicx.demo.world import write_events
from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import generate_password
from omnicx.kernel.db import WriterLock, utcnow
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime, build_runtime, settle_heap
from omnicx.kernel.settings import Settings
from omnicx.tracking import service as tracking_service

DEMO_SLUG = "demo"
SIGNINS_FILE = "demo-signins.json"  # in the data directory, next to the embedded database
DEMO_NAME = "Maison Lumière"
DEMO_PEOPLE: dict[Role, tuple[str, str]] = {
    Role.OWNER: ("owner@maison-lumiere.example.com", "Camille Laurent"),
    Role.ADMIN: ("admin@maison-lumiere.example.com", "Budi Santoso"),
    Role.AGENT: ("agent@maison-lumiere.example.com", "Núria Puig"),
    Role.MARKETER: ("marketer@maison-lumiere.example.com", "Léa Martin"),
    Role.ANALYST: ("analyst@maison-lumiere.example.com", "Sari Wijaya"),
    Role.VIEWER: ("viewer@maison-lumiere.example.com", "Jordi Vidal"),
}
DEMO_TEAMS = {
    "Support": ("Answers every channel's conversations", (Role.AGENT, Role.ADMIN)),
    "Stores": ("Staff of the three shops: pickups and in-store questions", (Role.AGENT,)),
    "Marketing": ("Campaigns, content calendar and attribution", (Role.MARKETER, Role.ANALYST)),
}


@dataclass(frozen=True)
class DemoCredential:
    role: Role
    email: str
    password: str


def find_demo(session: Session) -> WorkspacePublic | None:
    """The demo workspace, if it was seeded in this database."""
    try:
        return auth_service.get_workspace_by_slug(session, slug=DEMO_SLUG)
    except WorkspaceNotFound:
        return None


def _reset(session: Session) -> None:
    workspace = find_demo(session)
    if workspace is not None:
        auth_service.delete_workspace(session, workspace_id=workspace.id)


def _ensure_workspace(session: Session) -> tuple[WorkspacePublic, bool]:
    try:
        return auth_service.get_workspace_by_slug(session, slug=DEMO_SLUG), False
    except WorkspaceNotFound:
        data = WorkspaceCreate(slug=DEMO_SLUG, name=DEMO_NAME, timezone=world.TIMEZONE, default_language="en")
        return auth_service.create_workspace(session, data=data), True


def _seed_teams(session: Session, workspace: WorkspacePublic, members: list[MemberPublic]) -> None:
    owner = next(m for m in members if m.role is Role.OWNER)
    principal = Principal(
        workspace_id=workspace.id, role=Role.OWNER, user_id=owner.user_id, label=owner.email
    )
    by_role = {m.role: m for m in members}
    for name, (description, roles) in DEMO_TEAMS.items():
        team = auth_service.create_team(
            session, principal=principal, data=TeamCreate(name=name, description=description)
        )
        for role in roles:
            auth_service.add_team_member(
                session, principal=principal, team_id=team.id, member_id=by_role[role].id
            )


def seed_demo(
    session: Session, *, reset: bool = False, signins: Path | None = None
) -> tuple[WorkspacePublic, list[DemoCredential], bool]:
    """Create the demo workspace once, with a member per role; return each member's sign-in to print.

    Each member's password is generated once and kept in `signins` (a file readable by the running account only,
    in the data directory): a restart prints the same sign-ins again and leaves the passwords, and so everyone's
    browser sessions, alone. A new workspace (first start, or `reset`), a missing file or a kept password that
    no longer signs its member in (changed since) gets a fresh one. Without `signins` every call generates
    fresh passwords. Also says whether the workspace was created now (then its activity still has to be seeded).
    """
    if reset:
        _reset(session)
    workspace, created = _ensure_workspace(session)
    kept = {} if created or signins is None else _read_signins(signins)
    credentials: list[DemoCredential] = []
    for role, (email, name) in DEMO_PEOPLE.items():
        password = kept.get(email)
        if password and auth_service.password_matches(session, email=email, password=password):
            new_password = None  # the member already has it: keep its hash and its sessions
        else:
            password = new_password = generate_password()
        auth_service.ensure_membership(
            session, workspace_id=workspace.id, email=email, role=role, name=name, password=new_password
        )
        credentials.append(DemoCredential(role=role, email=email, password=password))
    if created:
        _seed_teams(session, workspace, auth_service.list_members(session, workspace_id=workspace.id))
    if signins is not None:
        _write_signins(signins, credentials)
    return workspace, credentials, created


def _read_signins(path: Path) -> dict[str, str]:
    """The kept sign-ins, email to password; none when the file is missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(email): str(password) for email, password in data.items() if isinstance(password, str)}


def _write_signins(path: Path, credentials: list[DemoCredential]) -> None:
    """Keep the sign-ins for the next start, readable by the running account only (written whole, then moved)."""
    text = json.dumps({c.email: c.password for c in credentials}, indent=2) + "\n"
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)  # a partial file left by a crash keeps its old mode otherwise
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(partial, path)


@dataclass
class WorldSummary:
    """What the seeding made (the CLI prints it; tests compare two seedings with it)."""

    events: int = 0
    known_customers: int = 0
    orders: int = 0
    conversations: int = 0
    messages: int = 0
    offline_touches: int = 0
    reviews: int = 0
    timings: dict[str, float] = field(default_factory=dict)


Progress = Callable[[str, int, int], None]
SECOND_PROCESS_GRACE_SECONDS = 120.0


class EventLike(Protocol):
    """What the second process needs of a multiprocessing Event."""

    def is_set(self) -> bool: ...

    def wait(self, timeout: float | None = None) -> bool: ...


def _drain(runtime: Runtime, on_progress: Progress | None) -> None:
    """Run the jobs the import queued (identity resolution, sessions, touchpoints) until none is due."""
    worker = Worker(runtime, "demo-seed")
    processed = 0
    while worker.run_once():
        processed += 1
        if on_progress:
            on_progress("process", processed, processed)


def _work_until_stopped(
    settings: Settings, stop: EventLike, lock: WriterLock, wire: Callable[[], None]
) -> None:
    """The second process's loop: run due jobs; once `stop` is set and nothing is due, return.

    A spawned process starts with empty registries: `wire` (the composition root's) fills them first. Its
    start-up heap is then settled, as every worker's is (`settle_heap`): the seeding's 200,000 events' jobs
    otherwise paid for full collections walking it.
    """
    wire()
    runtime = build_runtime(settings, writer_lock=lock)
    settle_heap()
    worker = Worker(runtime, "demo-seed-2")
    try:
        while worker.run_once() or not stop.is_set():
            stop.wait(0.02)
    finally:
        runtime.close()


@contextmanager
def _processing_alongside(runtime: Runtime, wire: Callable[[], None]) -> Iterator[Runtime]:
    """A runtime to import with while a second process processes the imported events.

    The import is mostly parsing and validating (no database lock held) and the processing jobs mostly
    database work, so on two cores they overlap: 20,000 visitors' events take about 40 s instead of 52 s on
    SQLite. The two take turns at SQLite's single write lock through a shared lock (`db.make_engine`). The
    order is unchanged (jobs run oldest first, each only on its own events), so the world is the same.
    Whatever the second process leaves (it stops, or dies) is run by the caller's `_drain` afterwards. An
    in-memory SQLite database cannot be shared with another process: then `runtime` imports alone.
    """
    settings = runtime.settings
    url = settings.resolved_database_url
    if url.startswith("sqlite") and (":memory:" in url or url.rstrip("/") in ("sqlite:", "sqlite+pysqlite:")):
        yield runtime
        return
    context = multiprocessing.get_context("spawn")
    stop, lock = context.Event(), context.Lock()
    process = context.Process(target=_work_until_stopped, args=(settings, stop, lock, wire), daemon=True)
    importer = build_runtime(settings, writer_lock=lock)
    process.start()
    try:
        yield importer
    finally:
        stop.set()
        process.join(timeout=SECOND_PROCESS_GRACE_SECONDS)
        if process.is_alive():
            process.terminate()
            process.join()
        importer.close()


def seed_world(
    runtime: Runtime,
    *,
    workspace_id: uuid.UUID,
    size: Size,
    seed: int = 7,
    wire: Callable[[], None],
    now: datetime | None = None,
    on_progress: Progress | None = None,
    provider_accounts: dict[MessagingChannel, dict[str, str]] | None = None,
) -> WorldSummary:
    """Seed the retailer's world through the product's services; deterministic for a seed.

    Phases: catalogue and stock; visitor events (tracking import, with the job worker in a second process
    resolving identities and rebuilding sessions and touchpoints as chunks land, exactly as live traffic);
    orders (commerce: stock, statuses, sales); store visits and calls (touchpoints); conversations (inbox); the
    analytics copy brought up to date.
    Jobs the orders and conversations queue (SLA checks, pickup notices) are left to the server's worker.
    `wire` is the composition root's registration, run in the second process (this one is wired already).
    `provider_accounts`: the demo providers' accounts (`demo/providers.py`, running) the SMS and WhatsApp inboxes
    are proven with.
    """
    now = now or utcnow()
    summary = WorldSummary()
    clock = time.perf_counter()

    def lap(phase: str) -> None:
        nonlocal clock
        summary.timings[phase] = round(time.perf_counter() - clock, 2)
        clock = time.perf_counter()

    with runtime.sessions() as session:
        shop.seed_catalogue(session, workspace_id=workspace_id, seed=seed)
        desk.seed_inboxes(
            session,
            workspace_id=workspace_id,
            secret_key=runtime.settings.resolved_secret_key,
            provider_accounts=provider_accounts or {},
            base_url=runtime.settings.base_url,
        )
    lap("catalogue")
    path = runtime.settings.data_dir / f"demo-events-{workspace_id.hex}.jsonl"
    # The second process starts first, so it is ready by the time the first events land.
    with _processing_alongside(runtime, wire) as importer:
        generated = write_events(path, customers=size.customers, days=size.days, now=now, seed=seed)
        summary.events, summary.known_customers = generated.events, len(generated.people)
        lap("generate")
        try:
            with importer.sessions() as session:
                tracking_service.import_file(
                    session,
                    workspace_id=workspace_id,
                    path=path,
                    source_name="Demo web shop and app",
                    progress=(lambda done, total: on_progress("import", done, total))
                    if on_progress
                    else None,
                )
        finally:
            path.unlink(missing_ok=True)
    lap("import")  # with most of the processing, run alongside
    _drain(runtime, on_progress)
    lap("process")
    people = generated.people
    with runtime.sessions() as session:
        summary.orders = shop.seed_orders(
            session,
            workspace_id=workspace_id,
            purchases=generated.purchases,
            people=people,
            limit=size.orders,
            now=now,
            seed=seed,
            base_url=runtime.settings.base_url,
            on_progress=(lambda done, total: on_progress("orders", done, total)) if on_progress else None,
        )
    lap("orders")
    with runtime.sessions() as session:
        summary.offline_touches = offline.seed_touches(
            session, workspace_id=workspace_id, people=people, count=size.offline_touches, now=now, seed=seed
        )
    lap("touches")
    with runtime.sessions() as session:
        summary.conversations, summary.messages = desk.seed_conversations(
            session,
            workspace_id=workspace_id,
            people=people,
            count=size.conversations,
            days=size.days,
            now=now,
            seed=seed,
            base_url=runtime.settings.base_url,
            secret_key=runtime.settings.resolved_secret_key,
            on_progress=(lambda d, t: on_progress("conversations", d, t)) if on_progress else None,
        )
    lap("conversations")
    with runtime.sessions() as session:
        owner = desk.owner_of(session, workspace_id)
        ratings.seed_survey(
            session,
            owner=owner,
            now=now,
            base_url=runtime.settings.base_url,
            secret=runtime.settings.resolved_secret_key,
            rng=random.Random(seed + 11),
        )
        ratings.seed_site_survey(
            session,
            owner=owner,
            now=now,
            secret=runtime.settings.resolved_secret_key,
            rng=random.Random(seed + 12),
        )
    lap("survey")
    with runtime.sessions() as session:
        summary.reviews = reviews.seed_reviews(
            session,
            owner=desk.owner_of(session, workspace_id),
            now=now,
            base_url=runtime.settings.base_url,
            secret=runtime.settings.resolved_secret_key,
            rng=random.Random(seed + 13),
        )
    lap("reviews")
    with runtime.sessions() as session:
        appointments.seed_appointments(
            session, workspace_id=workspace_id, people=people, now=now, rng=random.Random(seed + 17)
        )
    lap("appointments")
    # Reports read the analytics copy: bring it up to date before anyone opens them.
    analytics_service.sync(runtime)
    lap("analytics")
    return summary
