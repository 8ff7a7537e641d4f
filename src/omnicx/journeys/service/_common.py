"""What the journeys reports share: their range in the workspace's time zone, and numbers as the engines give."""

from __future__ import annotations

import math
import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import CustomerPublic, CustomerSearch
from omnicx.journeys.errors import InvalidRange
from omnicx.kernel.dates import report_bounds
from omnicx.kernel.web.schemas import Page

MAX_RANGE_DAYS = 366
#: One question to the analytics engine: its SQL (DuckDB dialect) and parameters.
Statement = tuple[str, dict[str, Any]]
#: Order statuses that are no sale: commerce's rule (`commerce.service.REVENUE_STATUSES`, a test keeps them
#: equal), read here from the analytics copy's orders.
NOT_SALES = ("cancelled", "returned")
#: A page view's path in SQL: its address without scheme, host, query or fragment (`/` when nothing is left).
PAGE_PATH = (
    "coalesce(nullif(regexp_extract(coalesce(url, ''), "
    "'^(?:[a-zA-Z][a-zA-Z0-9+.-]*://[^/?#]*)?([^?#]*)', 1), ''), '/')"
)


def workspace_range(
    session: Session, workspace_id: uuid.UUID, date_from: date, date_to: date
) -> tuple[str, datetime, datetime]:
    """The workspace's time zone and [start, end) in UTC of an inclusive range of its days; InvalidRange when
    the range cannot be."""
    timezone = auth_service.get_workspace(session, workspace_id=workspace_id).timezone
    since, until = report_bounds(date_from, date_to, timezone, max_days=MAX_RANGE_DAYS, refuse=InvalidRange)
    return timezone, since, until


def number_or_none(value: Any) -> float | None:
    """A median or mean as the engines give it: none (DuckDB) or not a number (ClickHouse) over no rows."""
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else number


def customers_behind(
    session: Session, workspace_id: uuid.UUID, statement: Statement, *, offset: int, limit: int
) -> Page[CustomerPublic]:
    """The customers whose ids a statement returns (first column), most recently seen first, as the customer list
    shows them (a customer merged since counts as its survivor)."""
    sql, params = statement
    rows = analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
    ids = [row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(str(row[0])) for row in rows]
    return identity_service.search_customers(
        session, workspace_id=workspace_id, search=CustomerSearch(), among=ids, offset=offset, limit=limit
    )
