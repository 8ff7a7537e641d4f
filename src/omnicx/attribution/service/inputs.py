"""What attribution reads, from the analytics copy: touches, conversion candidates and session counts.

Every row comes with `person_id`, the customer it belongs to now (merged customers are one journey), so no
identity look-up follows. The finer conversion rules (a trait present, a property's value) are applied here, in
Python, to the few candidate rows the engine returns.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.attribution.paths import Touch

TOUCHES = """
SELECT person_id, touched_at, channel FROM touchpoints
WHERE touched_at >= $since AND touched_at < $until
ORDER BY person_id, touched_at, id
"""

CANDIDATES = """
SELECT person_id, timestamp, type, event, properties, traits FROM events
WHERE timestamp >= $since AND timestamp < $until AND customer_id IS NOT NULL
  AND ((type = 'track' AND event IN (SELECT unnest($names))) OR type IN (SELECT unnest($types)))
ORDER BY timestamp, id
"""

SESSIONS_BY_CHANNEL = """
SELECT channel, count(*) FROM sessions
WHERE started_at >= $since AND started_at < $until
GROUP BY channel
"""

Candidate = tuple[uuid.UUID, datetime, str, str | None, dict[str, Any], dict[str, Any]]


def touches(session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime) -> list[Touch]:
    """Every touchpoint in [since, until), by customer then time."""
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=TOUCHES, params={"since": since, "until": until}
    )
    return [Touch(row[0], row[1], row[2]) for row in rows]


def _json(text: str | None) -> dict[str, Any]:
    value = orjson.loads(text) if text else {}
    return value if isinstance(value, dict) else {}


def candidates(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    since: datetime,
    until: datetime,
    event_names: Collection[str],
    types: Collection[str] = (),
) -> list[Candidate]:
    """Resolved events that may be conversions: track events by name, and whole message types (e.g. every
    `identify`), oldest first, each with its properties and the person's traits."""
    if not event_names and not types:
        return []
    params = {"since": since, "until": until, "names": sorted(event_names), "types": sorted(types)}
    rows = analytics_service.query(session, workspace_id=workspace_id, sql=CANDIDATES, params=params)
    return [(row[0], row[1], row[2], row[3], _json(row[4]), _json(row[5])) for row in rows]


def session_counts(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime
) -> dict[str, int]:
    """Sessions started in [since, until), per channel."""
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=SESSIONS_BY_CHANNEL, params={"since": since, "until": until}
    )
    return {row[0]: int(row[1]) for row in rows}
