"""Seeding the demo workspace through the product's own service functions (so the demo exercises real paths)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.errors import WorkspaceNotFound
from omnicx.auth.permissions import Role
from omnicx.auth.schemas import MemberPublic, Principal, TeamCreate, WorkspaceCreate, WorkspacePublic
from omnicx.auth.security import generate_password
from omnicx.db import utcnow
from omnicx.demo.world import write_events
from omnicx.jobs.registry import discover_handlers
from omnicx.jobs.worker import Worker
from omnicx.runtime import Runtime
from omnicx.tracking import service as tracking_service

DEMO_SLUG = "demo"
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


def _reset(session: Session) -> None:
    try:
        workspace = auth_service.get_workspace_by_slug(session, slug=DEMO_SLUG)
    except WorkspaceNotFound:
        return
    auth_service.delete_workspace(session, workspace_id=workspace.id)


def _ensure_workspace(session: Session) -> tuple[WorkspacePublic, bool]:
    try:
        return auth_service.get_workspace_by_slug(session, slug=DEMO_SLUG), False
    except WorkspaceNotFound:
        data = WorkspaceCreate(slug=DEMO_SLUG, name=DEMO_NAME, timezone="Europe/Paris", default_language="en")
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


def seed_demo(session: Session, *, reset: bool = False) -> tuple[WorkspacePublic, list[DemoCredential], bool]:
    """Create the demo workspace once; every call gives each demo member a fresh password to print.

    Also says whether the workspace was created now (then its activity still has to be seeded).
    """
    if reset:
        _reset(session)
    workspace, created = _ensure_workspace(session)
    credentials: list[DemoCredential] = []
    for role, (email, name) in DEMO_PEOPLE.items():
        password = generate_password()
        auth_service.ensure_membership(
            session, workspace_id=workspace.id, email=email, role=role, name=name, password=password
        )
        credentials.append(DemoCredential(role=role, email=email, password=password))
    if created:
        _seed_teams(session, workspace, auth_service.list_members(session, workspace_id=workspace.id))
    return workspace, credentials, created


DEMO_CUSTOMERS = 600
DEMO_DAYS = 45


def seed_activity(
    runtime: Runtime,
    *,
    workspace_id: uuid.UUID,
    seed: int = 7,
    customers: int = DEMO_CUSTOMERS,
    on_progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Import the demo's visitor activity and run the processing it triggers; returns the events written.

    Goes through the tracking import (validation, deduplication) and the job worker (identity resolution,
    sessions, touchpoints), exactly as live traffic would.
    """
    path = runtime.settings.data_dir / "demo-events.jsonl"
    written = write_events(path, customers=customers, days=DEMO_DAYS, now=utcnow(), seed=seed)
    with runtime.sessions() as session:
        tracking_service.import_file(
            session,
            workspace_id=workspace_id,
            path=path,
            source_name="Demo web shop",
            progress=(lambda done, total: on_progress("import", done, total)) if on_progress else None,
        )
    discover_handlers()
    worker = Worker(runtime, "demo-seed")
    processed = 0
    while worker.run_once():
        processed += 1
        if on_progress:
            on_progress("process", processed, processed)
    return written
