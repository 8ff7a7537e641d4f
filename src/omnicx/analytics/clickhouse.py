"""The copy in ClickHouse: MergeTree tables derived from the catalog, written and read through clickhouse-connect.

Every table of the catalog becomes one MergeTree table per *generation* (the batch number of the rebuild that
filled it, kept in the sync state): rows carry their workspace and their batch (`_seq`), are partitioned by month
of the table's time column and ordered by workspace, time and id, the layout a cluster's Distributed tables shard
by workspace. A row table has a tombstone table beside it (workspace, id, batch) applied when read by the rule
the Parquet copy follows: a tombstone hides rows with its id copied by earlier batches. A snapshot table's rows
are those of the workspace's latest snapshot, named in a small marker table.

What a reader sees is decided by the store of record, in the transaction that reads it: the generation, and the
last committed batch (rows of a batch still running, or of one that died before committing, are never read).
One client is kept per address and process: a server over HTTP, or chdb (ClickHouse's engine in the process,
one data path per process) through clickhouse-connect's own chdb backend, so both run the same code.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pyarrow as pa

from omnicx.analytics.catalog import SEQ, TABLES, CopyTable, TableKind
from omnicx.analytics.dialect import bind, to_clickhouse
from omnicx.analytics.engine import tables_read

#: Settings of every query: SQL's nulls for rows a LEFT JOIN does not find (reports test `IS NULL`) and for the
#: columns a grouping set leaves out, in UTC; a `tuple(a, b)` of columns is a named tuple (read as a dict, as
#: DuckDB reads `struct_pack(a, b)`).
QUERY_SETTINGS = {
    "join_use_nulls": 1,
    "group_by_use_nulls": 1,
    "session_timezone": "UTC",
    "enable_named_columns_in_function_tuple": 1,
}
SNAPSHOTS = "snapshots"
BATCHES = "omnicx_batches"


def column_type(arrow: pa.DataType, *, nullable: bool = True) -> str:
    """The ClickHouse type of a catalog column, from its Arrow type."""
    if arrow == pa.uuid():
        base = "UUID"
    elif pa.types.is_timestamp(arrow):
        base = "DateTime64(6, 'UTC')"
    elif pa.types.is_string(arrow) or pa.types.is_large_string(arrow):
        base = "String"
    elif pa.types.is_boolean(arrow):
        base = "Bool"
    elif pa.types.is_integer(arrow):
        base = f"{'U' if pa.types.is_unsigned_integer(arrow) else ''}Int{arrow.bit_width}"
    elif pa.types.is_floating(arrow):
        base = f"Float{arrow.bit_width}"
    elif pa.types.is_decimal(arrow):
        base = f"Decimal({arrow.precision}, {arrow.scale})"
    elif pa.types.is_date(arrow):
        base = "Date32"
    else:
        raise TypeError(f"no ClickHouse type for {arrow}")
    return f"Nullable({base})" if nullable else base


def table_name(table: str, generation: int, kind: str = "") -> str:
    return f"{table}__g{generation}" + (f"__{kind}" if kind else "")


def _generation_of(name: str) -> int | None:
    _, marker, rest = name.partition("__g")
    number = rest.split("__")[0]
    return int(number) if marker and number.isdigit() else None


def ddl(database: str, table: CopyTable, generation: int) -> list[str]:
    """CREATE statements of one catalog table (and its tombstones) in one generation."""
    columns = [f"`{c.name}` {column_type(c.type, nullable=c.name != 'id')}" for c in table.columns] + [
        "`workspace_id` UUID",
        f"`{SEQ}` Int64",
    ]
    name = f"`{database}`.`{table_name(table.name, generation)}`"
    if table.kind is TableKind.SNAPSHOT:
        key = f"(workspace_id, `{table.columns[0].name}`)"
        return [
            f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)}) ENGINE = MergeTree "
            f"ORDER BY {key} SETTINGS allow_nullable_key = 1"
        ]
    sort = f"`{table.sort_column}`" if table.sort_column else None
    partition = f"PARTITION BY toYYYYMM({sort}) " if sort else ""
    key = ", ".join(["workspace_id", *([sort] if sort else []), "id"])
    tombstones = f"`{database}`.`{table_name(table.name, generation, 'tombstones')}`"
    return [
        f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)}) ENGINE = MergeTree {partition}"
        f"ORDER BY ({key}) SETTINGS allow_nullable_key = 1",
        f"CREATE TABLE IF NOT EXISTS {tombstones} (workspace_id UUID, id UUID, `{SEQ}` Int64) "
        f"ENGINE = MergeTree ORDER BY (workspace_id, id)",
    ]


@dataclass(frozen=True)
class Address:
    """Where the copy lives: `clickhouse://user:password@host:port/database` (`clickhouses://` over TLS), or
    `chdb:///path?database=name` (`chdb:` alone: `<data dir>/analytics-chdb`)."""

    kind: str  # "http" or "chdb"
    database: str
    host: str = ""
    port: int = 0
    username: str = "default"
    password: str = ""
    secure: bool = False
    path: str = ""

    @classmethod
    def parse(cls, url: str, data_dir: Path) -> Address:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        if parts.scheme == "chdb":
            path = parts.path or str(data_dir / "analytics-chdb")
            return cls("chdb", query.get("database", "omnicx"), path=path)
        if parts.scheme not in ("clickhouse", "clickhouses"):
            raise ValueError(f"not a ClickHouse address: {parts.scheme}://…")
        secure = parts.scheme == "clickhouses"
        return cls(
            "http",
            parts.path.strip("/") or query.get("database", "omnicx"),
            host=parts.hostname or "localhost",
            port=parts.port or (8443 if secure else 8123),
            username=unquote(parts.username or "default"),
            password=unquote(parts.password or ""),
            secure=secure,
        )


def _connect(address: Address) -> Any:
    import clickhouse_connect  # the `clickhouse` extra: only a ClickHouse copy needs it

    if address.kind == "chdb":
        return clickhouse_connect.get_client(interface="chdb", path=address.path)
    return clickhouse_connect.get_client(
        host=address.host,
        port=address.port,
        username=address.username,
        password=address.password,
        secure=address.secure,
        autogenerate_session_id=False,  # no server session: one client serves the process's threads
    )


def _aware(row: Sequence[Any]) -> tuple[Any, ...]:
    """Times come back without their zone (clickhouse-connect reads DateTime64 as naive): they are UTC."""
    return tuple(v.replace(tzinfo=UTC) if isinstance(v, datetime) and v.tzinfo is None else v for v in row)


class ClickHouseCopy:
    """The copy's tables on one ClickHouse: created on demand, written by the sync, read by reports."""

    def __init__(self, address: Address) -> None:
        self.address = address
        self.database = address.database
        self._client: Any = None
        self._created: set[int] = set()
        # chdb's handle serves one statement at a time; a server's HTTP client takes concurrent ones.
        self._lock: Any = threading.Lock() if address.kind == "chdb" else nullcontext()
        self._opening = threading.Lock()

    # -- connection --------------------------------------------------------------------------------------

    @contextmanager
    def client(self) -> Iterator[Any]:
        with self._opening:
            if self._client is None:
                self._client = _connect(self.address)
                self._client.command(f"CREATE DATABASE IF NOT EXISTS `{self.database}`")
                self._client.command(
                    f"CREATE TABLE IF NOT EXISTS {self.name(BATCHES)} (seq Int64) ENGINE = MergeTree ORDER BY seq"
                )
        with self._lock:
            yield self._client

    def close(self) -> None:
        """Close the client (chdb admits one engine per process: another process may then open the path)."""
        with self._opening:
            if self._client is not None:
                self._client.close()
            self._client = None
            self._created.clear()

    def name(self, table: str) -> str:
        return f"`{self.database}`.`{table}`"

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        with self.client() as client:
            return client.command(sql, parameters=dict(params or {}), settings=QUERY_SETTINGS)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with self.client() as client:
            result = client.query(sql, parameters=dict(params or {}), settings=QUERY_SETTINGS)
            return [_aware(row) for row in result.result_rows]

    def insert(self, table: str, columns: Sequence[str], data: Sequence[Sequence[Any]]) -> None:
        if data:
            with self.client() as client:
                client.insert(table, list(data), column_names=list(columns), database=self.database)

    # -- tables ------------------------------------------------------------------------------------------

    def ensure(self, generation: int) -> None:
        """Create a generation's tables (once per process)."""
        if generation in self._created:
            return
        for table in TABLES.values():
            for statement in ddl(self.database, table, generation):
                self.command(statement)
        self.command(
            f"CREATE TABLE IF NOT EXISTS {self.name(table_name(SNAPSHOTS, generation))} "
            f"(workspace_id UUID, table_name String, `{SEQ}` Int64) ENGINE = MergeTree "
            f"ORDER BY (workspace_id, table_name, `{SEQ}`)"
        )
        self._created.add(generation)

    def generations(self) -> dict[int, list[str]]:
        """The generations with tables in the database, and their tables."""
        found: dict[int, list[str]] = {}
        for (name,) in self.rows(
            "SELECT name FROM system.tables WHERE database = {db:String}", {"db": self.database}
        ):
            generation = _generation_of(name)
            if generation is not None:
                found.setdefault(generation, []).append(name)
        return found

    def drop_generation(self, generation: int) -> None:
        for name in self.generations().get(generation, []):
            self.command(f"DROP TABLE IF EXISTS {self.name(name)}")
        self._created.discard(generation)

    # -- what a batch writes -----------------------------------------------------------------------------

    def begin(self, generation: int, seq: int) -> None:
        """Mark batch `seq` as writing, after deleting what an earlier attempt at the same number wrote: a
        batch that died before its commit left its changes pending and its number free, so the next batch to
        take that number would otherwise find its rows doubled (or outdated) beside its own."""
        self.ensure(generation)
        params = {"seq": seq}
        (debris,) = self.rows(f"SELECT count() FROM {self.name(BATCHES)} WHERE seq >= {{seq:Int64}}", params)[
            0
        ]
        if debris:
            for name in self.generations().get(generation, []):
                self.command(
                    f"ALTER TABLE {self.name(name)} DELETE WHERE `{SEQ}` >= {{seq:Int64}} "
                    "SETTINGS mutations_sync = 2",
                    params,
                )
            self.command(
                f"ALTER TABLE {self.name(BATCHES)} DELETE WHERE seq >= {{seq:Int64}} SETTINGS mutations_sync = 2",
                params,
            )
        self.insert(BATCHES, ["seq"], [[seq]])

    def append(
        self, generation: int, table: CopyTable, rows: Sequence[tuple[uuid.UUID, Sequence[Any]]], seq: int
    ) -> None:
        """Insert rows (each with its workspace) as copied by batch `seq`."""
        columns = [c.name for c in table.columns] + ["workspace_id", SEQ]
        self.insert(
            table_name(table.name, generation), columns, [[*row, workspace, seq] for workspace, row in rows]
        )

    def present(
        self, generation: int, table: CopyTable, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID], seq: int
    ) -> set[uuid.UUID]:
        """Which of `ids` earlier batches copied (only those need a tombstone)."""
        if not ids:
            return set()
        found = self.rows(
            f"SELECT DISTINCT id FROM {self.name(table_name(table.name, generation))} "
            f"WHERE workspace_id = {{ws:UUID}} AND id IN {{ids:Array(UUID)}} AND `{SEQ}` < {{seq:Int64}}",
            {"ws": workspace_id, "ids": list(ids), "seq": seq},
        )
        return {row[0] for row in found}

    def hide(
        self, generation: int, table: CopyTable, workspace_id: uuid.UUID, ids: Sequence[uuid.UUID], seq: int
    ) -> None:
        """Tombstones hiding rows with these ids copied before batch `seq`."""
        self.insert(
            table_name(table.name, generation, "tombstones"),
            ["workspace_id", "id", SEQ],
            [[workspace_id, i, seq] for i in sorted(ids)],
        )

    def replace_snapshot(
        self, generation: int, table: CopyTable, workspace_id: uuid.UUID, rows: Sequence[Any], seq: int
    ) -> None:
        """A workspace's whole snapshot as of batch `seq` (the marker makes it, even empty, the current one)."""
        self.append(generation, table, [(workspace_id, row) for row in rows], seq)
        self.insert(
            table_name(SNAPSHOTS, generation),
            ["workspace_id", "table_name", SEQ],
            [[workspace_id, table.name, seq]],
        )

    def drop_old_snapshots(self, generation: int, table: CopyTable, workspace_id: uuid.UUID) -> None:
        """Delete a workspace's superseded snapshots (after the batch that replaced them committed)."""
        self.command(
            f"ALTER TABLE {self.name(table_name(table.name, generation))} DELETE WHERE workspace_id = {{ws:UUID}} "
            f"AND `{SEQ}` < (SELECT max(`{SEQ}`) FROM {self.name(table_name(SNAPSHOTS, generation))} "
            f"WHERE workspace_id = {{ws:UUID}} AND table_name = {{t:String}})",
            {"ws": workspace_id, "t": table.name},
        )

    def erase(self, workspace_id: uuid.UUID, customers: set[uuid.UUID]) -> None:
        """Delete the customers' rows from every generation's row tables (deleted, not hidden)."""
        tables = {t.name: t for t in TABLES.values() if t.kind is TableKind.ROWS and t.customer_column}
        params = {"ws": workspace_id, "erased": sorted(customers)}
        for generation in self.generations():
            for name, table in tables.items():
                self.command(
                    f"ALTER TABLE {self.name(table_name(name, generation))} DELETE WHERE workspace_id = {{ws:UUID}} "
                    f"AND `{table.customer_column}` IN {{erased:Array(UUID)}} SETTINGS mutations_sync = 2",
                    params,
                )

    def counts(self, generation: int, workspace_id: uuid.UUID | None) -> dict[str, tuple[int, int]]:
        """Rows and tombstones per table of a generation (one workspace's, or all)."""
        self.ensure(generation)
        where = "WHERE workspace_id = {ws:UUID}" if workspace_id is not None else ""
        params = {"ws": workspace_id} if workspace_id is not None else {}
        found: dict[str, tuple[int, int]] = {}
        for table in TABLES.values():
            (rows,) = self.rows(
                f"SELECT count() FROM {self.name(table_name(table.name, generation))} {where}", params
            )[0]
            hidden = 0
            if table.kind is TableKind.ROWS:
                tombstones = self.name(table_name(table.name, generation, "tombstones"))
                hidden = self.rows(f"SELECT count() FROM {tombstones} {where}", params)[0][0]
            found[table.name] = (int(rows), int(hidden))
        return found

    # -- reading -----------------------------------------------------------------------------------------

    def _source(self, table: CopyTable, generation: int) -> str:
        """The rows of `table` a query sees (ClickHouse SQL): the workspace's committed rows no later tombstone
        hides, with `person_id`, the current customer through the customer map."""
        columns = ", ".join(f"r.`{c.name}` AS `{c.name}`" for c in table.columns) + f", r.`{SEQ}` AS `{SEQ}`"
        mine = "workspace_id = {_ws:UUID} AND " + f"`{SEQ}` <= {{_committed:Int64}}"
        rows = self.name(table_name(table.name, generation))
        if table.kind is TableKind.SNAPSHOT:
            markers = self.name(table_name(SNAPSHOTS, generation))
            latest = f"(SELECT max(`{SEQ}`) FROM {markers} WHERE {mine} AND table_name = '{table.name}')"
            return f"SELECT {columns} FROM {rows} AS r WHERE r.workspace_id = {{_ws:UUID}} AND r.`{SEQ}` = {latest}"
        tombstones = self.name(table_name(table.name, generation, "tombstones"))
        visible = (
            f"SELECT {columns} FROM (SELECT * FROM {rows} WHERE {mine}) AS r "
            f"LEFT JOIN (SELECT id, max(`{SEQ}`) AS hidden_before FROM {tombstones} WHERE {mine} GROUP BY id) AS t "
            f"ON r.id = t.id WHERE coalesce(t.hidden_before, 0) <= r.`{SEQ}`"
        )
        if table.customer_column is None:
            return visible
        column = table.customer_column
        return (
            f"SELECT r.*, coalesce(m.current_id, r.`{column}`) AS person_id FROM ({visible}) AS r "
            f"LEFT JOIN customer_map AS m ON m.customer_id = r.`{column}`"
        )

    def run(
        self,
        *,
        generation: int,
        committed: int,
        workspace_id: uuid.UUID,
        sql: str,
        params: Mapping[str, Any] | None = None,
        views: Mapping[str, str] | None = None,
    ) -> list[tuple[Any, ...]]:
        """Run `sql` (DuckDB dialect) over one workspace's copy, as the DuckDB engine does over its files."""
        self.ensure(generation)
        types, values = bind(dict(params or {}))
        named = [
            f"{name} AS ({self._source(TABLES[name], generation)})"
            for name in tables_read(sql, *(views or {}).values())
        ]
        named += [f"{name} AS ({to_clickhouse(body, types)})" for name, body in (views or {}).items()]
        text = to_clickhouse(sql, types)
        if named:
            ctes = ", ".join(named)
            text = f"WITH {ctes}, {text[5:]}" if text[:5].upper() == "WITH " else f"WITH {ctes} {text}"
        return self.rows(text, {**values, "_ws": workspace_id, "_committed": committed})


_COPIES: dict[Address, ClickHouseCopy] = {}
_COPIES_LOCK = threading.Lock()


def copy_at(url: str, data_dir: Path) -> ClickHouseCopy:
    """The process's copy for this address (one client per address and process)."""
    address = Address.parse(url, data_dir)
    with _COPIES_LOCK:
        if address not in _COPIES:
            _COPIES[address] = ClickHouseCopy(address)
        return _COPIES[address]


def close_all() -> None:
    """Close every client of the process (chdb: lets another process open the same data path)."""
    with _COPIES_LOCK:
        for copy in _COPIES.values():
            copy.close()
