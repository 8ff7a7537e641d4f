"""Touchpoints: every contact between a customer and a channel, in the one table attribution reads.

Sessions add theirs (one per session, its channel); the inbox, commerce and phone/store modules call
`record_touchpoint` for offline contacts. A `dedup_key` makes a retried call record nothing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics.enums import Stream
from omnicx.identity import service as identity_service
from omnicx.kernel.db import dialect_insert, new_id, utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.jobs.feed import record_changes
from omnicx.tracking.models import Touchpoint
from omnicx.tracking.schemas import TouchpointPublic

MAX_LIMIT = 1000


def record_touchpoint(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_id: uuid.UUID,
    channel: str,
    kind: str,
    at: datetime,
    detail: dict[str, Any] | None = None,
    source: str = "offline",
    dedup_key: str | None = None,
) -> TouchpointPublic:
    """Record a contact (a store visit, a call, an inbound conversation...) in the caller's transaction.

    Called by the inbox, commerce and store/phone modules; `channel` is the channel name attribution will show
    (e.g. "Store", "Phone", "WhatsApp").
    Flushes, does not commit. With a `dedup_key` already used in this workspace, the existing touchpoint is
    returned and nothing is written (the insert is `ON CONFLICT DO NOTHING`, so concurrent callers are safe).
    """
    if at.tzinfo is None:
        raise Invalid("a touchpoint time must be timezone-aware")
    if not channel or not kind:
        raise Invalid("a touchpoint needs a channel and a kind")
    # The customer must exist in this workspace (else CustomerNotFound); a merged id records on its survivor.
    customer_id = identity_service.current_customer_id(
        session, workspace_id=workspace_id, customer_id=customer_id
    )
    row = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "customer_id": customer_id,
        "at": at,
        "channel": channel[:100],
        "kind": kind[:64],
        "source": source[:64],
        "session_id": None,
        "detail": detail or {},
        "dedup_key": dedup_key,
        "created_at": utcnow(),
    }
    table = Touchpoint.__table__
    stmt = (
        dialect_insert(session, table)
        .values(row)
        .on_conflict_do_nothing(index_elements=["workspace_id", "dedup_key"])
    )
    session.execute(stmt)
    if dedup_key is None:
        found = session.get(Touchpoint, row["id"])
    else:
        found = session.scalar(
            select(Touchpoint).where(
                Touchpoint.workspace_id == workspace_id, Touchpoint.dedup_key == dedup_key
            )
        )
    assert found is not None
    if found.id == row["id"]:
        record_changes(
            session, workspace_id=workspace_id, stream=Stream.TOUCHPOINTS.value, upserted=[found.id]
        )
    return TouchpointPublic.model_validate(found)


def list_touchpoints(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_ids: Sequence[uuid.UUID] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[TouchpointPublic]:
    """Touchpoints oldest first (what attribution walks), optionally of some customers and a time range."""
    stmt = select(Touchpoint).where(Touchpoint.workspace_id == workspace_id)
    if customer_ids is not None:
        stmt = stmt.where(Touchpoint.customer_id.in_(list(customer_ids)))
    if since is not None:
        stmt = stmt.where(Touchpoint.at >= since)
    if until is not None:
        stmt = stmt.where(Touchpoint.at < until)
    rows = session.scalars(stmt.order_by(Touchpoint.at, Touchpoint.id).limit(min(limit, MAX_LIMIT)))
    return [TouchpointPublic.model_validate(r) for r in rows]
