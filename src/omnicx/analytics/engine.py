"""Querying the copy with DuckDB: one in-memory database per process reading the workspace's live segments.

A query names the copy's tables (`events`, `sessions`, `touchpoints`, `customer_map`) as if they were plain
tables of one workspace. The engine puts in front of it one common table expression per table it names: the
workspace's live Parquet files (so another workspace's rows are never read), minus the rows tombstones hide,
with `person_id`, each row's current customer through the customer map. Queries are written once in DuckDB's
dialect; SQLGlot finds the tables they name.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp

from omnicx.analytics.catalog import SEQ, TABLES, CopyTable
from omnicx.analytics.store import LiveSegments


def tables_read(*texts: str) -> tuple[str, ...]:
    """The copy's tables some queries read, in dependency order (the customer map first)."""
    wanted = {name for text in texts for name in tables_named(text)}
    return tuple(sorted(wanted, key=lambda name: (name != "customer_map", name)))


@lru_cache(maxsize=512)
def tables_named(sql: str) -> tuple[str, ...]:
    """The copy's tables a query reads, in dependency order (the customer map first)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    names = {table.name for table in tree.find_all(exp.Table)}
    ctes = {cte.alias for cte in tree.find_all(exp.CTE)}
    wanted = {name for name in names - ctes if name in TABLES}
    if any(TABLES[name].customer_column for name in wanted):
        wanted.add("customer_map")
    return tuple(sorted(wanted, key=lambda name: (name != "customer_map", name)))


def files(root: Path, segments: Sequence[Any]) -> list[str]:
    return [str(root / s.path) for s in segments]


def _empty(table: CopyTable) -> str:
    columns = ", ".join(f"CAST(NULL AS {c.sql}) AS {c.name}" for c in table.columns)
    return f"SELECT {columns}, CAST(NULL AS BIGINT) AS {SEQ} WHERE false"


def _source(root: Path, table: CopyTable, live: LiveSegments, params: dict[str, Any]) -> str:
    """The rows of `table` a query sees: live rows no later tombstone hides, with their current customer.
    File lists go in as parameters (`$_<table>_rows`, `$_<table>_tombstones`), never spliced into the text."""
    rows = _empty(table)
    if live.rows:
        params[f"_{table.name}_rows"] = files(root, live.rows)
        rows = f"SELECT * FROM read_parquet($_{table.name}_rows)"
    if live.tombstones:
        params[f"_{table.name}_tombstones"] = files(root, live.tombstones)
        rows = (
            f"SELECT r.* FROM ({rows}) r ANTI JOIN (SELECT id, max({SEQ}) AS hidden_before "
            f"FROM read_parquet($_{table.name}_tombstones) GROUP BY id) t "
            f"ON r.id = t.id AND t.hidden_before > r.{SEQ}"
        )
    if table.customer_column is None:
        return rows
    column = table.customer_column
    return (
        f"SELECT r.*, coalesce(m.current_id, r.{column}) AS person_id FROM ({rows}) r "
        f"LEFT JOIN customer_map m ON m.customer_id = r.{column}"
    )


class DuckEngine:
    """One in-memory DuckDB per process; each query runs on a cursor of its own (thread-safe)."""

    def __init__(self) -> None:
        self._database = duckdb.connect(":memory:")
        self._lock = threading.Lock()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor in UTC: settings are per cursor, and interval arithmetic on times (a lookback) would
        otherwise follow the process's time zone across daylight-saving changes."""
        with self._lock:
            cursor = self._database.cursor()
        cursor.execute("SET TimeZone = 'UTC'")
        cursor.execute("SET parquet_metadata_cache = true")
        return cursor

    def run(
        self,
        root: Path,
        live: Mapping[str, LiveSegments],
        sql: str,
        params: Mapping[str, Any] | None = None,
        views: Mapping[str, str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """`views`: named queries (over the copy's tables) that `sql` may read as tables, placed after them."""
        bound: dict[str, Any] = dict(params or {})
        named = [
            f"{name} AS ({_source(root, TABLES[name], live[name], bound)})"
            for name in tables_read(sql, *(views or {}).values())
        ]
        ctes = ", ".join(named + [f"{name} AS ({body})" for name, body in (views or {}).items()])
        text = sql
        if ctes:
            stripped = sql.lstrip()
            text = (
                f"WITH {ctes}, {stripped[4:]}"
                if stripped[:4].upper() == "WITH"
                else f"WITH {ctes} {stripped}"
            )
        cursor = self.cursor()
        try:
            return cursor.execute(text, bound).fetchall()
        finally:
            cursor.close()

    def present(self, root: Path, segments: Sequence[Any], ids: Sequence[Any]) -> set[Any]:
        """Which of `ids` some of `segments` hold (tombstoned or not)."""
        if not segments or not ids:
            return set()
        cursor = self.cursor()
        try:
            found = cursor.execute(
                "SELECT DISTINCT id FROM read_parquet($files) WHERE id IN (SELECT unnest($ids))",
                {"files": files(root, segments), "ids": list(ids)},
            ).fetchall()
        finally:
            cursor.close()
        return {row[0] for row in found}


_ENGINE: DuckEngine | None = None
_ENGINE_LOCK = threading.Lock()


def engine() -> DuckEngine:
    """The process's engine (DuckDB connections are cheap to share, costly to open per query)."""
    global _ENGINE
    with _ENGINE_LOCK:
        if _ENGINE is None:
            _ENGINE = DuckEngine()
        return _ENGINE
