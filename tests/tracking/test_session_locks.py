"""Two workers rebuilding sessions at once: rebuilds of the same customer wait for each other, so no visit is
stored twice; and customers created together do not share a lock, so unrelated rebuilds do not wait."""

from __future__ import annotations

import threading
import uuid

from fastapi.testclient import TestClient

from omnicx.kernel.db import new_id
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.service.processing import EPOCH_FLOOR
from omnicx.tracking.service.sessions import lock_key
from tests.conftest import World
from tests.identity.test_concurrency import _wait_until_blocked
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import customer_of, drain, page_at, send, sessions_of


def test_customers_created_in_one_burst_get_distinct_lock_keys() -> None:
    """A job creates its new customers' ids in one burst, mostly within one millisecond: keyed on the time part
    of their ids, they shared one or two keys and every worker waited on every other."""
    ids = [new_id() for _ in range(5000)]
    assert len({lock_key(customer) for customer in ids}) == len(ids)


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
