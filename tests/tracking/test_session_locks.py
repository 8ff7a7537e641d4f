"""Two workers rebuilding sessions at once: rebuilds of the same customer wait for each other, so no visit is
stored twice; and customers created together do not share a lock, so unrelated rebuilds do not wait."""

from __future__ import annotations

import threading
import uuid

from fastapi.testclient import TestClient

from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.service.processing import EPOCH_FLOOR
from tests.conftest import World
from tests.identity.test_concurrency import _wait_until_blocked
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import customer_of, drain, page_at, send, sessions_of


def _rebuild(runtime: Runtime, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> None:
    with runtime.sessions() as session:
        rules = service.load_rules(session, workspace_id=workspace_id)
        service.rebuild_sessions(
            session, workspace_id=workspace_id, customer_id=customer_id, since=EPOCH_FLOOR, rules=rules
        )
        session.commit()


def test_two_rebuilds_of_one_customer_at_once_store_each_visit_once(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    send(client, source, page_at(0), page_at(5), page_at(90), page_at(95))
    drain(runtime)
    workspace_id = world.workspace.id
    customer_id = customer_of(runtime, "anon-1")
    assert len(sessions_of(runtime, workspace_id, customer_id)) == 2

    with runtime.sessions() as first:
        rules = service.load_rules(first, workspace_id=workspace_id)
        service.rebuild_sessions(
            first, workspace_id=workspace_id, customer_id=customer_id, since=EPOCH_FLOOR, rules=rules
        )  # flushed, not committed: the second rebuild starts meanwhile
        racer = threading.Thread(target=_rebuild, args=(runtime, workspace_id, customer_id))
        racer.start()
        _wait_until_blocked(runtime)  # on the customer's lock (PostgreSQL) or on its write turn (SQLite)
        first.commit()
    racer.join(timeout=30)
    assert not racer.is_alive()

    assert [visit.event_count for visit in sessions_of(runtime, workspace_id, customer_id)] == [2, 2]


def test_a_rebuild_does_not_wait_for_another_customer_created_with_it(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    """Customers one job creates get ids drawn in the same millisecond; a lock keyed on that time made every
    rebuild of any of them wait for every other. On PostgreSQL the second rebuild ends while the first is open;
    SQLite admits one writer at a time, so there it ends once the first commits."""
    send(client, source, page_at(0, anonymous_id="anon-a"), page_at(0, anonymous_id="anon-b"))
    drain(runtime)
    workspace_id = world.workspace.id
    first_customer, second_customer = customer_of(runtime, "anon-a"), customer_of(runtime, "anon-b")

    with runtime.sessions() as first:
        rules = service.load_rules(first, workspace_id=workspace_id)
        service.rebuild_sessions(
            first, workspace_id=workspace_id, customer_id=first_customer, since=EPOCH_FLOOR, rules=rules
        )
        other = threading.Thread(target=_rebuild, args=(runtime, workspace_id, second_customer))
        other.start()
        other.join(timeout=3 if not runtime.settings.is_sqlite else 0.5)
        ended_while_open = not other.is_alive()
        first.commit()
    other.join(timeout=30)
    assert ended_while_open is not runtime.settings.is_sqlite
    assert len(sessions_of(runtime, workspace_id, second_customer)) == 1
