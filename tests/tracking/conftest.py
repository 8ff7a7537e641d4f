"""Tracking fixtures: a source with its write key, helpers to post Segment calls and to count stored rows."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.kernel.jobs.models import Job
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.models import Event, RejectedEvent
from omnicx.tracking.schemas import SourceCreate
from tests.conftest import World


@dataclass(frozen=True)
class KeyedSource:
    id: str
    name: str
    write_key: str

    @property
    def basic(self) -> dict[str, str]:
        token = base64.b64encode(f"{self.write_key}:".encode()).decode()
        return {"Authorization": f"Basic {token}"}


def make_source(db: Session, world: World, name: str = "website") -> KeyedSource:
    created = service.create_source(db, workspace_id=world.workspace.id, data=SourceCreate(name=name))
    return KeyedSource(id=str(created.source.id), name=name, write_key=created.write_key)


@pytest.fixture
def source(db: Session, world: World) -> KeyedSource:
    made = make_source(db, world)
    db.close()  # end the fixture's transaction: on SQLite an open one would block the API's writers
    return made


@dataclass(frozen=True)
class Counts:
    events: int
    rejected: int
    jobs: int


def counts(runtime: Runtime) -> Counts:
    """Rows of the tables a collection request may write, read in a short transaction of its own."""
    with runtime.sessions() as session:
        return Counts(
            events=session.scalar(select(func.count()).select_from(Event)) or 0,
            rejected=session.scalar(select(func.count()).select_from(RejectedEvent)) or 0,
            jobs=session.scalar(select(func.count()).select_from(Job)) or 0,
        )


@pytest.fixture
def count_rows(runtime: Runtime) -> Callable[[], Counts]:
    return lambda: counts(runtime)


def stored_message_ids(runtime: Runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Event.message_id)))
