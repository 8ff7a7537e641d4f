"""What the analytics copy reads of commerce: orders and their lines (no addresses, tokens or pickup codes).

Orders change status in several places through the ORM; followers (`kernel.jobs.feed.follow`) record their
changes as each transaction commits. The erasure's bulk unlinking records its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.analytics.service import Row, Stream
from omnicx.commerce.models import Order, OrderLine
from omnicx.kernel.jobs.feed import Follower

CHUNK = 2000

_ORDER_COLUMNS = (
    Order.id,
    Order.customer_id,
    Order.channel,
    Order.fulfilment,
    Order.location_id,
    Order.status,
    Order.currency,
    Order.total_minor,
    Order.created_at,
    Order.updated_at,
    Order.workspace_id,
)
_LINE_COLUMNS = (
    OrderLine.id,
    OrderLine.order_id,
    OrderLine.sku,
    OrderLine.quantity,
    OrderLine.unit_price_minor,
    OrderLine.stock_state,
    OrderLine.workspace_id,
)


def _order_row(row: Any) -> Row:
    return (
        row.id,
        row.customer_id,
        row.channel.value,
        row.fulfilment.value,
        row.location_id,
        row.status.value,
        row.currency,
        row.total_minor,
        row.created_at,
        row.updated_at,
    )


def _line_row(row: Any) -> Row:
    return (row.id, row.order_id, row.sku, row.quantity, row.unit_price_minor, row.stock_state.value)


def _load(
    session: Session, columns: Sequence[Any], model: Any, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> list[Any]:
    """Rows found by primary key, any of another workspace left out."""
    rows: list[Any] = []
    for start in range(0, len(ids), CHUNK):
        stmt = select(*columns).where(model.id.in_(list(ids[start : start + CHUNK])))
        rows += [row for row in session.execute(stmt) if row.workspace_id == workspace_id]
    return rows


def _scan(
    session: Session, columns: Sequence[Any], model: Any, after: uuid.UUID | None, limit: int
) -> list[Any]:
    stmt = select(*columns).order_by(model.id).limit(limit)
    if after is not None:
        stmt = stmt.where(model.id > after)
    return list(session.execute(stmt))


def copy_orders(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    return [_order_row(row) for row in _load(session, _ORDER_COLUMNS, Order, workspace_id, ids)]


def scan_orders(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    return [
        (row.workspace_id, _order_row(row)) for row in _scan(session, _ORDER_COLUMNS, Order, after, limit)
    ]


def count_copy_orders(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Order)) or 0)


def copy_order_lines(session: Session, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[Row]:
    return [_line_row(row) for row in _load(session, _LINE_COLUMNS, OrderLine, workspace_id, ids)]


def scan_order_lines(session: Session, after: uuid.UUID | None, limit: int) -> list[tuple[uuid.UUID, Row]]:
    rows = _scan(session, _LINE_COLUMNS, OrderLine, after, limit)
    return [(row.workspace_id, _line_row(row)) for row in rows]


def count_copy_order_lines(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(OrderLine)) or 0)


#: How the copy follows commerce's writes (the composition root registers them).
COPY_FOLLOWERS = (
    Follower(Order, Stream.ORDERS.value),
    Follower(OrderLine, Stream.ORDER_LINES.value),
)
