"""Workspaces (tenants) and users."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth.errors import DuplicateWorkspace, WorkspaceNotFound
from omnicx.auth.models import Membership, User, Workspace
from omnicx.auth.schemas import UserCreate, UserPublic, WorkspaceCreate, WorkspacePublic
from omnicx.auth.service.passwords import end_sessions
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.security import generate_password, hash_password
from omnicx.kernel.errors import Invalid


def create_workspace(session: Session, *, data: WorkspaceCreate) -> WorkspacePublic:
    if session.scalar(select(Workspace.id).where(Workspace.slug == data.slug)):
        raise DuplicateWorkspace(f"workspace {data.slug!r} already exists")
    workspace = Workspace(
        slug=data.slug, name=data.name, timezone=data.timezone, default_language=data.default_language
    )
    session.add(workspace)
    session.commit()
    return WorkspacePublic.model_validate(workspace)


def delete_workspace(session: Session, *, workspace_id: uuid.UUID) -> None:
    """Delete a workspace and, through ON DELETE CASCADE, everything that belongs to it."""
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(f"workspace {workspace_id} not found")
    session.delete(workspace)
    session.commit()


def get_workspace(session: Session, *, workspace_id: uuid.UUID) -> WorkspacePublic:
    workspace = session.get(Workspace, workspace_id)
    if workspace is None:
        raise WorkspaceNotFound(f"workspace {workspace_id} not found")
    return WorkspacePublic.model_validate(workspace)


def get_workspace_by_slug(session: Session, *, slug: str) -> WorkspacePublic:
    workspace = session.scalar(select(Workspace).where(Workspace.slug == slug))
    if workspace is None:
        raise WorkspaceNotFound(f"workspace {slug!r} not found")
    return WorkspacePublic.model_validate(workspace)


def list_user_workspaces(session: Session, *, user_id: uuid.UUID) -> list[tuple[WorkspacePublic, Role]]:
    rows = session.execute(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Workspace.name)
    )
    return [(WorkspacePublic.model_validate(w), role) for w, role in rows]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, *, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def create_user(session: Session, *, data: UserCreate) -> tuple[UserPublic, str | None]:
    """Create a user; when no password is given one is generated and returned once, never stored in clear."""
    if find_user(session, email=data.email):
        raise Invalid(f"a user with email {data.email} already exists")
    generated = None if data.password else generate_password()
    user = User(
        email=normalise_email(data.email),
        name=data.name,
        password_hash=hash_password(data.password or generated or ""),
        language=data.language,
    )
    session.add(user)
    session.flush()
    return UserPublic.model_validate(user), generated


def ensure_membership(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    email: str,
    role: Role,
    name: str = "",
    password: str | None = None,
) -> tuple[UserPublic, str | None]:
    """Create (or find) the user and give them `role` in the workspace; used by the CLI and the demo."""
    user = find_user(session, email=email)
    generated: str | None = None
    if user is None:
        public, generated = create_user(session, data=UserCreate(email=email, name=name, password=password))
        user_id = public.id
    else:
        user_id = user.id
        if password:
            user.password_hash = hash_password(password)
            end_sessions(session, user_id, keep=None)  # a new password ends the old sessions
    membership = session.scalar(
        select(Membership).where(Membership.workspace_id == workspace_id, Membership.user_id == user_id)
    )
    if membership is None:
        session.add(Membership(workspace_id=workspace_id, user_id=user_id, role=role))
    else:
        membership.role = role
    session.commit()
    found = session.get(User, user_id)
    assert found is not None
    return UserPublic.model_validate(found), generated


def set_user_language(session: Session, *, user_id: uuid.UUID, language: str) -> None:
    from omnicx.kernel.settings import LANGUAGES

    if language not in LANGUAGES:
        raise Invalid(f"language must be one of {', '.join(LANGUAGES)}")
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("unknown user")
    user.language = language
    session.commit()
