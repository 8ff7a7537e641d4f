"""Storing accepted messages: one short transaction per request, shared by the collection API and the
importer.

In that transaction: the write key is checked, events naming a suppressed identifier are dropped
(`suppression`), the valid events go in with ONE bulk `INSERT ... ON CONFLICT DO NOTHING` (a retried
`messageId` stores nothing twice, whenever it comes back), refused events of a batch go to the rejected-events
table, and ONE durable job is enqueued to resolve identities and rebuild sessions. The caller answers success
only after the commit. Everything heavy happens in that job, off the request path.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.db import insert_rows, new_id
from omnicx.kernel.errors import DomainError
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish
from omnicx.kernel.writes import GroupCommit, Refusal
from omnicx.tracking.enums import TrackingTopic
from omnicx.tracking.errors import AllEventsRejected, InvalidEvent, PayloadTooLarge
from omnicx.tracking.models import Event, RejectedEvent, Source
from omnicx.tracking.schemas import AuthenticatedSource, IngestResult
from omnicx.tracking.service.sources import authenticate_write_key
from omnicx.tracking.service.suppression import drop_suppressed
from omnicx.tracking.wire import Received, Rejection, validate

PROCESS_JOB = "tracking.process_events"
LAST_SEEN_PRECISION = timedelta(minutes=1)
MAX_ERRORS_SHOWN = 20


def split_valid(
    messages: Sequence[object], *, forced_type: str | None, received: Received
) -> tuple[list[dict[str, Any]], list[Rejection]]:
    """Validate every message: rows to insert (first copy of each messageId only) and the refusals."""
    rows: list[dict[str, Any]] = []
    rejected: list[Rejection] = []
    seen: set[str] = set()
    for index, message in enumerate(messages):
        outcome = validate(message, index=index, forced_type=forced_type, received=received)
        if isinstance(outcome, Rejection):
            rejected.append(outcome)
        elif outcome["message_id"] not in seen:
            seen.add(outcome["message_id"])
            rows.append(outcome)
    return rows, rejected


def store(
    session: Session,
    *,
    source: AuthenticatedSource,
    rows: list[dict[str, Any]],
    rejected: Sequence[Rejection],
    received: Received,
) -> IngestResult:
    """Insert `rows` (skipping messageIds already stored), record `rejected`, enqueue the processing job;
    events and refusals naming a suppressed identifier are dropped first (refusals are still reported).

    Adds to the caller's transaction; the caller commits. Returns the counts.
    """
    rows, recorded, suppressed = drop_suppressed(
        session, workspace_id=source.workspace_id, rows=rows, rejected=rejected
    )
    inserted = _insert_events(session, source=source, rows=rows) if rows else []
    if recorded:
        _record_rejections(session, source=source, rejected=recorded, received=received)
    if inserted:
        jobs_service.enqueue(
            session,
            kind=PROCESS_JOB,
            payload={"event_ids": [str(i) for i in inserted]},
            workspace_id=source.workspace_id,
        )
        session.connection().execute(
            update(Source)
            .where(Source.id == source.id)
            .where(
                (Source.last_event_at.is_(None)) | (Source.last_event_at < received.at - LAST_SEEN_PRECISION)
            )
            .values(last_event_at=received.at)
        )
    if inserted or rejected:
        publish(
            session,
            RealtimeEvent(
                workspace_id=source.workspace_id,
                topic=TrackingTopic.EVENTS,
                action=Action.TRACKING_READ.value,
                data={
                    "source_id": str(source.id),
                    "accepted": len(inserted),
                    "rejected": len(rejected),
                    "summary": f"{source.name}: {len(inserted)} event{'' if len(inserted) == 1 else 's'} received",
                    "url": "/events",
                },
            ),
        )
    return IngestResult(
        accepted=len(inserted),
        duplicates=len(rows) - len(inserted),
        rejected=len(rejected),
        suppressed=suppressed,
        errors=[
            {"index": r.index, "code": r.code, "message": r.message, "messageId": r.message_id}
            for r in rejected[:MAX_ERRORS_SHOWN]
        ],
    )


def _insert_events(
    session: Session, *, source: AuthenticatedSource, rows: list[dict[str, Any]]
) -> list[uuid.UUID]:
    """Insert the batch's events whose messageId is not stored yet; returns the ids actually inserted.

    On PostgreSQL: one `INSERT ... ON CONFLICT DO NOTHING RETURNING id` whose batch travels as ONE JSON document
    (encoded by orjson) unpacked by `jsonb_array_elements`: a 100-row VALUES statement is a long SQL text the
    driver would re-parse on every request, while this one is constant and prepared once. On SQLite
    `insert_rows` skips the messageIds already stored; only when it reports fewer rows inserted than given
    (a retry) are the inserted ids looked up.
    """
    if session.get_bind().dialect.name == "postgresql":
        params = {
            "rows": orjson.dumps(rows).decode(),
            "workspace_id": source.workspace_id,
            "source_id": source.id,
        }
        return list(session.connection().execute(_POSTGRES_INSERT, params).scalars())
    table: Table = Event.__table__  # type: ignore[assignment]
    ids = [row["id"] for row in rows]
    scoped = [{**row, "workspace_id": source.workspace_id, "source_id": source.id} for row in rows]
    if insert_rows(session, table, scoped, skip_conflicts=True) == len(rows):
        return ids
    # Some messageIds were stored before (a retried batch): the ids that went in are the ones now stored.
    stored = set(session.connection().execute(select(table.c.id).where(table.c.id.in_(ids))).scalars())
    return [i for i in ids if i in stored]


_POSTGRES_INSERT = text(
    """
    INSERT INTO tracking_event (
        id, workspace_id, source_id, message_id, type, event, user_id, anonymous_id,
        timestamp, original_timestamp, sent_at, received_at, payload
    )
    SELECT
        CAST(r->>'id' AS uuid), CAST(:workspace_id AS uuid), CAST(:source_id AS uuid),
        r->>'message_id', r->>'type', r->>'event', r->>'user_id', r->>'anonymous_id',
        CAST(r->>'timestamp' AS timestamptz), CAST(r->>'original_timestamp' AS timestamptz),
        CAST(r->>'sent_at' AS timestamptz), CAST(r->>'received_at' AS timestamptz), r->'payload'
    FROM jsonb_array_elements(CAST(:rows AS jsonb)) AS r
    ON CONFLICT (workspace_id, message_id) DO NOTHING
    RETURNING id
    """
)


def _record_rejections(
    session: Session, *, source: AuthenticatedSource, rejected: Sequence[Rejection], received: Received
) -> None:
    session.connection().execute(
        insert(RejectedEvent),
        [
            {
                "id": new_id(),
                "workspace_id": source.workspace_id,
                "source_id": source.id,
                "received_at": received.at,
                "code": r.code,
                "message": r.message[:500],
                "message_id": r.message_id,
                "payload": r.payload,
            }
            for r in rejected
        ],
    )


def queue_collect(
    writes: GroupCommit,
    *,
    write_key: str | None,
    messages: Sequence[object],
    forced_type: str | None,
    received: Received,
    single: bool,
) -> Future[IngestResult]:
    """`collect` through the write queue: the messages are validated here, on the caller's thread, and stored
    with the other requests queued meanwhile in one transaction (see `kernel.writes`), so that a busy site's
    requests share their commit. The future holds the counts once committed, or the error `collect` raises.
    """
    rows, rejected = split_valid(messages, forced_type=forced_type, received=received)

    def work(session: Session) -> IngestResult | Refusal:
        try:
            source = _checked_source(session, write_key=write_key, rejected=rejected, single=single)
        except DomainError as error:  # nothing written yet: the others of the batch go on
            return Refusal(error)
        return store(session, source=source, rows=rows, rejected=rejected, received=received)

    stored = writes.submit(work, key=rows[0]["message_id"] if rows else "")
    if not (rejected and not rows):
        return stored
    failed: Future[IngestResult] = Future()

    def all_rejected(done: Future[IngestResult]) -> None:
        error = done.exception()
        failed.set_exception(error or AllEventsRejected(_all_rejected(rejected)))

    stored.add_done_callback(all_rejected)
    return failed


def collect(
    session: Session,
    *,
    write_key: str | None,
    messages: Sequence[object],
    forced_type: str | None,
    received: Received,
    single: bool,
) -> IngestResult:
    """Authenticate, validate and store one request's messages, then commit.

    A single call (`/v1/track`, ...) whose event is invalid stores nothing and raises its error. In a batch
    the valid events are stored and the others recorded as rejected; if none is valid, AllEventsRejected is
    raised after the rejections are committed.
    """
    rows, rejected = split_valid(messages, forced_type=forced_type, received=received)
    with session.begin():
        source = _checked_source(session, write_key=write_key, rejected=rejected, single=single)
        result = store(session, source=source, rows=rows, rejected=rejected, received=received)
    if rejected and not rows:
        raise AllEventsRejected(_all_rejected(rejected))
    return result


def _checked_source(
    session: Session, *, write_key: str | None, rejected: Sequence[Rejection], single: bool
) -> AuthenticatedSource:
    """The write key's live source, before anything is written; a single call whose event was refused raises
    that refusal (after the key: a bad key answers 401 before a bad event 400)."""
    source = authenticate_write_key(session, write_key=write_key)
    if single and rejected:
        _raise_for(rejected[0])
    return source


def _all_rejected(rejected: Sequence[Rejection]) -> str:
    return f"all {len(rejected)} events were rejected; first: {rejected[0].message}"


def _raise_for(rejection: Rejection) -> None:
    if rejection.code == "event_too_large":
        raise PayloadTooLarge(rejection.message)
    raise InvalidEvent(rejection.code, rejection.message)
