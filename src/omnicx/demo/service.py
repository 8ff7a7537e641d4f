"""Seeding the demo workspace through the product's own service functions (so the demo exercises real paths)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.errors import WorkspaceNotFound
from omnicx.auth.permissions import Role
from omnicx.auth.schemas import MemberPublic, Principal, TeamCreate, WorkspaceCreate, WorkspacePublic
from omnicx.auth.security import generate_password

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


def seed_demo(session: Session, *, reset: bool = False) -> tuple[WorkspacePublic, list[DemoCredential]]:
    """Create the demo workspace once; every call gives each demo member a fresh password to print."""
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
    return workspace, credentials
