"""What the journeys reports share: their range in the workspace's time zone, and numbers as the engines give."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.journeys.errors import InvalidRange
from omnicx.kernel.dates import report_bounds

MAX_RANGE_DAYS = 366


def timezone_of(session: Session, workspace_id: uuid.UUID) -> str:
    return auth_service.get_workspace(session, workspace_id=workspace_id).timezone


def bounds(date_from: date, date_to: date, timezone: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of an inclusive range of days in `timezone`; InvalidRange when it cannot be."""
    return report_bounds(date_from, date_to, timezone, max_days=MAX_RANGE_DAYS, refuse=InvalidRange)


def number_or_none(value: Any) -> float | None:
    """A median or mean as the engines give it: none (DuckDB) or not a number (ClickHouse) over no rows."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number
