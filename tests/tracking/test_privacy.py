"""Tracking's part of a privacy request: everything it holds about the person is exported, then erased, and
nothing of anyone else's."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicx.identity import service as identity_service
from omnicx.identity.schemas import DataSubject, Identifier
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.models import Event, RejectedEvent
from tests.conftest import World
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import T0, customer_of, drain, page_at


def _batch(client: TestClient, source: KeyedSource, *events: dict[str, Any]) -> None:
    assert client.post("/v1/batch", json={"batch": list(events)}, headers=source.basic).status_code == 200


def _subject(runtime: Runtime, world: World, customer_id: Any) -> DataSubject:
    with runtime.sessions() as session:
        identifiers = identity_service.list_identifiers(
            session, workspace_id=world.workspace.id, customer_id=customer_id
        )
        lineage = identity_service.customer_lineage(
            session, workspace_id=world.workspace.id, customer_id=customer_id
        )
    return DataSubject(
        workspace_id=world.workspace.id,
        customer_ids=tuple(lineage),
        identifiers=tuple(Identifier(kind=i.kind, value=i.value) for i in identifiers),
        data_dir=runtime.settings.data_dir,
    )


def test_export_then_erasure_cover_unresolved_and_refused_events_too(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    identify = {
        "type": "identify",
        "anonymousId": "anon-1",
        "userId": "u-1",
        "traits": {"email": "ana@example.com"},
        "timestamp": T0.isoformat(),
    }
    _batch(client, source, page_at(0), identify, page_at(0, anonymous_id="someone-else"))
    drain(runtime)
    customer_id = customer_of(runtime, "anon-1")
    # Refused events (a track call without its event name) are kept with their payload, never resolved.
    refused = {"type": "track", "userId": "u-1", "timestamp": T0.isoformat()}
    other_refused = {"type": "track", "userId": "u-2", "timestamp": T0.isoformat()}
    _batch(client, source, page_at(1, anonymous_id="someone-else"), refused, other_refused)
    # Not processed yet when the erasure runs: only its traits' email says whose it is.
    _batch(
        client,
        source,
        page_at(2, anonymous_id="new-device", context={"traits": {"email": "Ana@Example.com"}}),
    )
    subject = _subject(runtime, world, customer_id)

    with runtime.sessions() as session:
        exported = service.export_customer_data(session, subject)
    assert {e["anonymous_id"] for e in exported["events"]} == {"anon-1", "new-device"}
    assert [r["payload"]["userId"] for r in exported["rejected_events"]] == ["u-1"]
    assert len(exported["sessions"]) == 1 and len(exported["touchpoints"]) == 1

    with runtime.sessions() as session, session.begin():
        erased = service.erase_customer_data(session, subject)
    assert erased == 3 + 1 + 1 + 1  # three events, the refused one, a session and its touchpoint
    with runtime.sessions() as session:
        assert set(session.scalars(select(Event.anonymous_id))) == {"someone-else"}
        assert [p["userId"] for p in session.scalars(select(RejectedEvent.payload))] == ["u-2"]
