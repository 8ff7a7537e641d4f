"""Suppression stops storage at the door: an event naming a suppressed identifier is not stored at all, by the
collection API or the importer, and the API's answer does not tell that it was dropped."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.identity import service as identity_service
from omnicx.identity.models import Suppression
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.identity.service import customers as identity_customers
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.db import new_id
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.models import Event, RejectedEvent
from tests.conftest import World
from tests.tracking.conftest import KeyedSource

SUPPRESSED = (
    (IdentifierKind.EMAIL, "gone@example.com"),
    (IdentifierKind.USER_ID, "u-gone"),
    (IdentifierKind.ANONYMOUS_ID, "device-gone"),
    (IdentifierKind.PHONE, "+33612345678"),
)
# One event per way an identifier can be named; all of them are the suppressed person's.
THEIRS: list[dict[str, Any]] = [
    {"type": "identify", "anonymousId": "fresh-1", "traits": {"email": " Gone@Example.com"}},
    {"type": "track", "event": "Viewed", "userId": "u-gone"},
    {"type": "page", "anonymousId": "device-gone"},
    {"type": "alias", "userId": "u-new", "previousId": "device-gone"},
    {
        "type": "track",
        "event": "Viewed",
        "anonymousId": "fresh-2",
        "context": {"traits": {"phone": "+33 6 12 34 56 78"}},
    },
]
SOMEONE_ELSE = {
    "type": "track",
    "event": "Viewed",
    "userId": "u-stays",
    "traits": {"email": "gone@example.com"},
}


def _suppress(db: Session, world: World) -> None:
    principal = world.members[Role.ADMIN].principal
    for kind, value in SUPPRESSED:
        identity_service.suppress(db, principal=principal, identifier=Identifier(kind=kind, value=value))
    db.close()


def _stored(runtime: Runtime) -> tuple[list[str | None], list[Any]]:
    with runtime.sessions() as session:
        users = list(session.scalars(select(Event.user_id)))
        refused = [p.get("userId") for p in session.scalars(select(RejectedEvent.payload))]
    return users, refused


def test_events_naming_a_suppressed_identifier_are_not_stored(
    client: TestClient, source: KeyedSource, runtime: Runtime, db: Session, world: World
) -> None:
    _suppress(db, world)
    refused_theirs = {"type": "track", "userId": "u-gone"}  # no event name: refused
    refused_other = {"type": "track", "userId": "u-other"}
    batch = [*THEIRS, SOMEONE_ELSE, refused_theirs, refused_other]

    response = client.post("/v1/batch", json={"batch": batch}, headers=source.basic)

    assert response.status_code == 200
    body = response.json()
    # Answered as if everything was taken: the write key is public, the answer must not reveal who is suppressed.
    assert (body["accepted"], body["rejected"]) == (len(THEIRS) + 1, 2)
    assert [e["index"] for e in body["errors"]] == [len(THEIRS) + 1, len(THEIRS) + 2]
    users, refused = _stored(runtime)
    # A trait is only an identifier of identify calls and context traits: this track call's own `traits` key
    # is not read, so someone else's event naming that email in it is stored.
    assert users == ["u-stays"]
    assert refused == ["u-other"]


def test_a_single_call_for_a_suppressed_person_succeeds_and_stores_nothing(
    client: TestClient, source: KeyedSource, runtime: Runtime, db: Session, world: World
) -> None:
    _suppress(db, world)
    response = client.post("/v1/track", json={"userId": "u-gone", "event": "Viewed"}, headers=source.basic)
    assert response.status_code == 200 and response.json() == {"success": True}
    assert _stored(runtime) == ([], [])


def test_the_importer_drops_them_too_and_says_how_many(
    runtime: Runtime, db: Session, world: World, tmp_path: Path
) -> None:
    _suppress(db, world)
    file = tmp_path / "history.jsonl"
    lines = [
        {**event, "messageId": f"h-{i}", "timestamp": "2026-05-04T10:00:00Z"}
        for i, event in enumerate(THEIRS)
    ]
    lines.append({**SOMEONE_ELSE, "messageId": "h-other", "timestamp": "2026-05-04T10:00:00Z"})
    file.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    with runtime.sessions() as session:
        report = service.import_file(session, workspace_id=world.workspace.id, path=file)
    assert (report.accepted, report.suppressed, report.rejected) == (1, len(THEIRS), 0)
    assert _stored(runtime) == (["u-stays"], [])


def test_without_suppressions_everything_is_stored(
    client: TestClient, source: KeyedSource, runtime: Runtime
) -> None:
    """The guard's other side: the same events, nobody suppressed, are all kept."""
    response = client.post("/v1/batch", json={"batch": [*THEIRS, SOMEONE_ELSE]}, headers=source.basic)
    assert response.json() == {"success": True}
    users, _ = _stored(runtime)
    assert len(users) == len(THEIRS) + 1


def test_a_long_suppression_list_is_searched_rather_than_read_whole(
    client: TestClient, source: KeyedSource, runtime: Runtime, db: Session, world: World
) -> None:
    principal = world.members[Role.ADMIN].principal
    filler = identity_customers.SHORT_LIST + 1
    with runtime.sessions() as session, session.begin():
        session.add_all(
            Suppression(
                id=new_id(),
                workspace_id=world.workspace.id,
                kind=IdentifierKind.ANONYMOUS_ID,
                value=f"filler-{i}",
                created_by="test",
            )
            for i in range(filler)
        )
    identity_service.suppress(
        db, principal=principal, identifier=Identifier(kind=IdentifierKind.USER_ID, value="u-gone")
    )
    db.close()
    batch = [{"type": "track", "event": "Viewed", "userId": u} for u in ("u-gone", "u-stays")]
    assert client.post("/v1/batch", json={"batch": batch}, headers=source.basic).json() == {"success": True}
    assert _stored(runtime) == (["u-stays"], [])
