"""SQL helpers of the tracking services: the dialect's INSERT, which alone spells `ON CONFLICT DO NOTHING`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """`INSERT` for the session's database (PostgreSQL or SQLite), so `.on_conflict_do_nothing()` is
    available."""
    target: Table = table
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def rowcount(result: object) -> int:
    """Rows a bulk DELETE/UPDATE touched (the typed `Result` does not declare the cursor's `rowcount`)."""
    count = getattr(result, "rowcount", 0)
    return int(count) if isinstance(count, int) else 0
