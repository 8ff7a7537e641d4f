"""Integrity checks for a workspace's data: the same checks for the demo world as for production data.

Read-only and generic: every foreign key of every table is checked from the metadata (so a new table is
covered without touching this module), then the invariants the foreign keys cannot express: stock never
negative, every conversation with at least one message.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Table, and_, exists, func, not_, select
from sqlalchemy.orm import Session

from omnicx.app import models as _all_models  # noqa: F401  (every domain's tables in the metadata)
from omnicx.commerce import service as commerce_service
from omnicx.kernel.db import Base


@dataclass
class IntegrityReport:
    """Each problem found, as a sentence; `ok` when there is none."""

    problems: list[str] = field(default_factory=list)
    checked_tables: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def _scoped(table: Table, workspace_id: uuid.UUID) -> list[ColumnElement[bool]]:
    if "workspace_id" in table.c:
        return [table.c.workspace_id == workspace_id]
    return []


def _orphans(session: Session, table: Table, workspace_id: uuid.UUID) -> list[str]:
    problems: list[str] = []
    for constraint in table.foreign_key_constraints:
        parent = constraint.referred_table.alias("parent")  # an alias: a table may refer to itself
        pairs = [(element.parent, parent.c[element.column.name]) for element in constraint.elements]
        present = and_(*(child.is_not(None) for child, _ in pairs))
        matched = exists().where(and_(*(p == c for c, p in pairs)))
        count = session.scalar(
            select(func.count())
            .select_from(table)
            .where(present, not_(matched), *_scoped(table, workspace_id))
        )
        if count:
            columns = ", ".join(child.name for child, _ in pairs)
            problems.append(
                f"{count} row(s) of {table.name} point at missing {constraint.referred_table.name} ({columns})"
            )
    return problems


def _negative_stock(session: Session, workspace_id: uuid.UUID) -> list[str]:
    stock: Table = Base.metadata.tables["commerce_stock"]
    negative = session.scalar(
        select(func.count())
        .select_from(stock)
        .where(
            stock.c.workspace_id == workspace_id,
            (stock.c.on_hand < 0)
            | (stock.c.allocated < 0)
            | (stock.c.reserved < 0)
            | (stock.c.on_hand < stock.c.allocated),
        )
    )
    problems = (
        [f"{negative} stock row(s) with negative on hand, allocated, reserved or available"]
        if negative
        else []
    )
    rows = commerce_service.list_stock(session, workspace_id=workspace_id, limit=100_000)
    below = [r for r in rows if r.reserved < 0 or r.available < 0]
    if below:
        problems.append(
            f"{len(below)} stock row(s) with negative reserved or available units, e.g. {below[0].sku}"
        )
    return problems


def _silent_conversations(session: Session, workspace_id: uuid.UUID) -> list[str]:
    conversation: Table = Base.metadata.tables["inbox_conversation"]
    message: Table = Base.metadata.tables["inbox_message"]
    empty = session.scalar(
        select(func.count())
        .select_from(conversation)
        .where(
            conversation.c.workspace_id == workspace_id,
            conversation.c.merged_into_id.is_(None),  # a merged conversation's messages moved to the other
            not_(exists().where(message.c.conversation_id == conversation.c.id)),
        )
    )
    return [f"{empty} conversation(s) without any message"] if empty else []


def check_integrity(session: Session, *, workspace_id: uuid.UUID) -> IntegrityReport:
    """Check every table's foreign keys within the workspace, stock levels, and conversations' messages."""
    report = IntegrityReport()
    for table in Base.metadata.sorted_tables:
        report.problems.extend(_orphans(session, table, workspace_id))
        report.checked_tables += 1
    report.problems.extend(_negative_stock(session, workspace_id))
    report.problems.extend(_silent_conversations(session, workspace_id))
    return report
