"""Events omnicx records on its own behalf, for customers it already knows (a paid order, a booked visit).

They join the same event store as SDK traffic, so reports and the debugger see them, but they skip the write-key
path and identity resolution: the customer is known, and the caller's transaction must not be committed early.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics.enums import Stream
from omnicx.kernel.db import dialect_insert, new_id, utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs.feed import record_changes
from omnicx.tracking.models import Event, Source, SourceKind
from omnicx.tracking.service.sources import hash_write_key

SERVER_SOURCE = "omnicx"


def _server_source_id(session: Session, workspace_id: uuid.UUID) -> uuid.UUID:
    """The workspace's built-in server source, created in the caller's transaction on first use."""
    found = session.scalar(
        select(Source.id).where(Source.workspace_id == workspace_id, Source.name == SERVER_SOURCE)
    )
    if found is not None:
        return found
    key = secrets.token_urlsafe(32)  # never shown: nothing outside omnicx sends with this source
    source = Source(
        workspace_id=workspace_id,
        name=SERVER_SOURCE,
        kind=SourceKind.SERVER,
        write_key_hash=hash_write_key(key),
        write_key_prefix=key[:12],
    )
    session.add(source)
    session.flush()
    return source.id


def record_server_event(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_id: uuid.UUID,
    event: str,
    at: datetime,
    properties: dict[str, Any],
    message_id: str,
) -> bool:
    """Store a track event for a known customer in the caller's transaction (flushes, does not commit).

    `message_id` deduplicates exactly as for SDK traffic: recording the same fact twice stores it once.
    Returns True when the event was new.
    """
    if at.tzinfo is None:
        raise Invalid("an event time must be timezone-aware")
    now = utcnow()
    event_id = new_id()
    payload = {
        "type": "track",
        "event": event,
        "messageId": message_id,
        "properties": properties,
        "timestamp": at.isoformat(),
        "context": {"library": {"name": "omnicx", "version": "server"}},
    }
    row = {
        "id": event_id,
        "workspace_id": workspace_id,
        "source_id": _server_source_id(session, workspace_id),
        "message_id": message_id,
        "type": "track",
        "event": event,
        "user_id": None,
        "anonymous_id": None,
        "timestamp": at,
        "original_timestamp": at,
        "sent_at": None,
        "received_at": now,
        "customer_id": customer_id,
        "payload": payload,
    }
    stmt = (
        dialect_insert(session, Event.__table__)
        .values(row)
        .on_conflict_do_nothing(index_elements=["workspace_id", "message_id"])
    )
    result = session.execute(stmt)
    stored = bool(getattr(result, "rowcount", 0))
    if stored:
        record_changes(session, workspace_id=workspace_id, stream=Stream.EVENTS.value, upserted=[event_id])
    return stored
