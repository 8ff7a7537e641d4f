"""Shared fixtures: a real, migrated database per test (SQLite file or PostgreSQL), runtime, app, clients.

Set OMNICX_TEST_DATABASE_URL=postgresql://127.0.0.1:5432/test to run the suite on PostgreSQL: a private database
is created from it for the session, migrated once, and emptied between tests. On SQLite a migrated template file
is copied for every test. Services that a test needs (PostgreSQL, Redis) fail the test loudly when missing.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from omnicx.app import models  # noqa: F401
from omnicx.app.migrations import upgrade_to_head
from omnicx.app.wiring import wire
from omnicx.auth import service as auth_service
from omnicx.auth.schemas import WorkspaceCreate, WorkspacePublic
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import Base
from omnicx.kernel.dns import StaticResolver
from omnicx.kernel.runtime import Runtime, build_runtime
from omnicx.kernel.settings import Settings, _normalise_db_url
from tests.helpers import chromium_browser

# CLI output is read by tests, not by a person at a terminal: give Rich tables room whatever the runner's width.
os.environ["COLUMNS"] = "200"

PG_URL = os.environ.get("OMNICX_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("OMNICX_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"
SECRET_KEY = "test-secret-key-for-omnicx"  # the server's secret key in every test's settings

# The suite is an entry point like `omnicx serve`: the composition root fills the registries once.
wire()


def _admin_url(url: str) -> str:
    return _normalise_db_url(url)


@pytest.fixture
def anyio_backend() -> str:
    """omnicx serves on asyncio (uvicorn), so its async tests run there only, even where trio is installed."""
    return "asyncio"


@pytest.fixture
def chromium() -> Iterator[Browser]:
    """A headless Chromium for one test (see `tests.helpers.chromium_browser`)."""
    with chromium_browser() as browser:
        yield browser


@pytest.fixture(scope="session")
def _database_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Migrate once per test session; yields a URL (PostgreSQL) or a template file path (SQLite)."""
    if PG_URL:
        base = make_url(_admin_url(PG_URL))
        name = f"omnicx_t_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        upgrade_to_head(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        upgrade_to_head(f"sqlite:///{path}")
        yield str(path)


@pytest.fixture
def database_url(_database_template: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        yield _database_template
        engine = create_engine(_database_template)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
        engine.dispose()
    else:
        path = tmp_path / "omnicx.db"
        shutil.copyfile(_database_template, path)
        yield f"sqlite:///{path}"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        data_dir=tmp_path / "data",
        database_url=database_url,
        secret_key=SECRET_KEY,
        job_backoff_base_seconds=0.01,
        job_backoff_cap_seconds=0.05,
        job_poll_seconds=0.05,
        run_worker_in_process=False,
    )


@pytest.fixture
def cli_env(settings: Settings, tmp_path: Path) -> dict[str, str]:
    """The environment an operator sets for `omnicx ...` commands against the test database: the same data
    directory as the server's (the analytics copy's files live there)."""
    return {
        "OMNICX_DATABASE_URL": settings.resolved_database_url,
        "OMNICX_DATA_DIR": str(settings.data_dir),
        "OMNICX_ENVIRONMENT": "test",
        "OMNICX_SECRET_KEY": SECRET_KEY,
        "COLUMNS": "200",
    }


@pytest.fixture
def dns() -> StaticResolver:
    """The DNS every test's runtime asks: empty until the test publishes records (never the network)."""
    return StaticResolver()


@pytest.fixture
def runtime(settings: Settings, dns: StaticResolver) -> Iterator[Runtime]:
    rt = build_runtime(settings, resolver=dns)
    yield rt
    rt.close()


@pytest.fixture
def db(runtime: Runtime) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


@pytest.fixture
def app(runtime: Runtime):  # type: ignore[no-untyped-def]
    from omnicx.app.web import create_app

    return create_app(runtime.settings, runtime=runtime)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@dataclass
class Member:
    email: str
    password: str
    role: Role
    principal: Principal
    token: str


@dataclass
class World:
    """A workspace with one member (and one API token) per role."""

    workspace: WorkspacePublic
    members: dict[Role, Member]

    def token(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.members[role].token}"}


def make_world(db: Session, slug: str = "acme") -> World:
    workspace = auth_service.create_workspace(db, data=WorkspaceCreate(slug=slug, name=slug.title()))
    members: dict[Role, Member] = {}
    for role in Role:
        email = f"{role.value}@{slug}.example.com"
        user, _ = auth_service.ensure_membership(
            db, workspace_id=workspace.id, email=email, role=role, password=PASSWORD
        )
        created = auth_service.create_token(
            db, workspace_id=workspace.id, name=f"{role.value}-token", role=role
        )
        principal = Principal(workspace_id=workspace.id, role=role, user_id=user.id, label=email)
        members[role] = Member(
            email=email, password=PASSWORD, role=role, principal=principal, token=created.secret
        )
    return World(workspace=workspace, members=members)


@pytest.fixture
def world(db: Session) -> World:
    return make_world(db, "acme")


@pytest.fixture
def other_world(db: Session) -> World:
    return make_world(db, "globex")
