"""Fixtures of the identity tests: a fresh workspace and short-hand identifier constructors."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate
from omnicx.identity.schemas import Identifier, IdentifierKind


def new_workspace(db: Session, slug: str | None = None) -> uuid.UUID:
    slug = slug or f"ws-{uuid.uuid4().hex[:12]}"
    workspace = auth_service.create_workspace(db, data=WorkspaceCreate(slug=slug, name=slug))
    return workspace.id


@pytest.fixture
def workspace_id(db: Session) -> uuid.UUID:
    return new_workspace(db, "ident")


def anon(value: str) -> Identifier:
    return Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=value)


def user(value: str) -> Identifier:
    return Identifier(kind=IdentifierKind.USER_ID, value=value)


def email(value: str) -> Identifier:
    return Identifier(kind=IdentifierKind.EMAIL, value=value)


def phone(value: str) -> Identifier:
    return Identifier(kind=IdentifierKind.PHONE, value=value)
