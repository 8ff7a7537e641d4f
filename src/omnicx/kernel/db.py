"""Database plumbing shared by every domain: engine, sessions, declarative base, column types, scoping.

Domains declare tables on `Base`; they never create an engine themselves. The same models run on embedded SQLite
(WAL, foreign keys on) and on PostgreSQL; the differences are absorbed here.
"""

from __future__ import annotations

import enum
import functools
import json
import threading
import time
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar

import orjson
import uuid_utils.compat as uuid_utils
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    MetaData,
    Select,
    String,
    Table,
    TextClause,
    Uuid,
    any_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy import Enum as SAEnum
from sqlalchemy import text as sql_text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.schema import CreateTable
from sqlalchemy.types import TypeDecorator

from omnicx.kernel.errors import NotFound

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> uuid.UUID:
    """A time-ordered UUID (v7): index-friendly like a sequence, unguessable like a random id."""
    return uuid_utils.uuid7()


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite returns naive values otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Declarative base with stable constraint names, so migrations diff cleanly."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        dict[str, Any]: JSONType,
        uuid.UUID: Uuid,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def json_dumps(value: Any) -> str:
    """JSON columns are written with orjson (events carry their whole payload, so this is on the ingest path);
    what orjson refuses (integers beyond 64 bits, NaN) falls back to the standard library as before."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value)


def json_loads(text: str | bytes) -> Any:
    """JSON columns are read with orjson; text it refuses (NaN written by the standard library) still reads."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class WriterLock(Protocol):
    """A lock writers take turns through: `threading.Lock` within a process, `multiprocessing.Lock` across."""

    def acquire(self, *, timeout: float) -> bool: ...

    def release(self) -> None: ...


WRITER_TURN_TIMEOUT_SECONDS = 30.0  # as SQLite's own busy timeout


def _take_turns(engine: Engine, lock: WriterLock) -> None:
    """Transactions wait for `lock` before `BEGIN IMMEDIATE` and hand it on when they end.

    Every SQLite transaction takes the database's single write lock. Writers that find it taken otherwise
    meet in SQLite's busy handler, which sleeps and polls (up to 100 ms at a time): a writer that commits and
    begins again at once keeps winning, the others starve, and a few hundred chat messages a second turn into
    second-long stalls. A Python lock hands the turn over as soon as it is released. The turn is handed on
    just before SQLite's COMMIT runs; the next writer's BEGIN then waits at most SQLite's first 1 ms retry.
    """

    def begin(connection: Connection) -> None:
        if not lock.acquire(timeout=WRITER_TURN_TIMEOUT_SECONDS):
            raise TimeoutError("another writer held the database's write turn for too long")
        connection.info["writer_turn"] = True

    def end(connection: Connection) -> None:
        if connection.info.pop("writer_turn", False):
            lock.release()

    def invalidated(
        _dbapi_connection: Any, record: ConnectionPoolEntry, _error: BaseException | None
    ) -> None:
        # A connection thrown away mid-transaction ends it without a rollback event: hand the turn on here.
        if record.info.pop("writer_turn", False):
            lock.release()

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end)
    event.listen(engine, "rollback", end)
    event.listen(engine.pool, "invalidate", invalidated)


def make_engine(url: str, *, writer_lock: WriterLock | None = None) -> Engine:
    """Create the engine for `url`. SQLite gets WAL, foreign keys, a generous busy timeout, and writers that
    take turns through a lock (see `_take_turns`): this engine's own, or `writer_lock` shared with other
    processes writing the same file."""
    codecs: dict[str, Any] = {"json_serializer": json_dumps, "json_deserializer": json_loads}
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **codecs)
        event.listen(engine, "connect", _sqlite_pragmas)
        # Registered first: the turn is taken before BEGIN IMMEDIATE.
        _take_turns(engine, writer_lock if writer_lock is not None else threading.Lock())
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so writers serialise cleanly.
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        event.listen(engine, "connect", _disable_pysqlite_begin)
        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20, **codecs)
    event.listen(engine, "checkin", _note_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


#: A pooled connection idle for longer than this is pinged before it is handed out (see `_ping_if_idle`).
PING_AFTER_IDLE_SECONDS = 2.0


def _note_idle(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Pessimistic disconnect handling for connections that sat idle: a server restart or an idle timeout
    kills those, and the pool replaces one that fails the ping (`DisconnectionError`) before anyone uses it.
    A connection back from work moments ago is handed out as it is: pinging every checkout (`pool_pre_ping`)
    was one round trip more per transaction, a fifth of the stock benchmark's reservations/s."""
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()  # the ping began a transaction: the work's own begins afresh
    except Exception as error:
        raise DisconnectionError("the pooled connection failed its ping") from error


def _disable_pysqlite_begin(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    dbapi_connection.isolation_level = None


def dialect_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """`INSERT` for the session's database (PostgreSQL or SQLite), the one that spells `ON CONFLICT`."""
    target: Table = table if isinstance(table, Table) else table.__table__
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(target)
    return sqlite.insert(target)


def rowcount(result: object) -> int:
    """Rows a bulk DELETE/UPDATE touched (the typed `Result` does not declare the cursor's `rowcount`)."""
    count = getattr(result, "rowcount", 0)
    return int(count) if isinstance(count, int) else 0


def make_session_factory(engine: Engine, *, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """`info` lands in every session's `info` (the runtime puts its settings there: a service handed only a
    session, such as an analytics query, can still find the data directory)."""
    return sessionmaker(engine, expire_on_commit=False, info=info)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def transaction_memo(session: Session, key: str) -> dict[Any, Any]:
    """A dict kept in `session.info` under `key` for the session's current transaction only (begun now when
    none is open, as the caller's next query would): what one transaction needs again and again is read once,
    and the next transaction starts empty."""
    session.connection()
    transaction = session.get_transaction()
    held = session.info.get(key)
    if held is None or held[0] is not transaction:
        held = session.info[key] = (transaction, {})
    memo: dict[Any, Any] = held[1]
    return memo


ModelT = TypeVar("ModelT", bound=Base)


def scoped(stmt: Select[Any], model: type[Base], workspace_id: uuid.UUID) -> Select[Any]:
    """Restrict a select to one workspace: the only way customer data is read."""
    column = model.__table__.c.workspace_id
    return stmt.where(column == workspace_id)


def get_scoped(
    session: Session, model: type[ModelT], object_id: uuid.UUID, workspace_id: uuid.UUID
) -> ModelT:
    """Load one row of `model` in `workspace_id` or raise NotFound (never reveal other workspaces' rows)."""
    id_column = model.__table__.c.id
    row: ModelT | None = session.scalars(
        scoped(select(model), model, workspace_id).where(id_column == object_id)
    ).first()
    if row is None:
        raise NotFound(f"{model.__name__.lower()} {object_id} not found")
    return row


def sqlite_value(value: Any) -> Any:
    """A Python value as SQLAlchemy stores it in SQLite, for statements handed straight to the driver on hot
    paths: ids as 32 hex digits, times as naive UTC text with
    microseconds, JSON as text, booleans as integers. Enums are refused here: `insert_rows` stores them by value
    only in columns whose Enum type stores values."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        if value.tzinfo is not UTC:  # most arrive in UTC already: no conversion then
            if value.tzinfo is None:
                raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
            value = value.astimezone(UTC)
        return value.isoformat(" ", "microseconds")[:26]  # without its "+00:00": one call, no copy
    if isinstance(value, enum.Enum):
        raise TypeError(f"insert_rows cannot store enum {value!r}; use an ordinary insert")
    if isinstance(value, dict | list):
        return json_dumps(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _known_columns(table: Table, names: tuple[str, ...]) -> tuple[str, ...]:
    """`names`, once each is known to be a column of `table` (`ValueError` naming those that are not)."""
    unknown = set(names) - set(table.c.keys())
    if unknown:
        raise ValueError(f"{table.name} has no column {sorted(unknown)}")
    return names


def insert_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, skip_conflicts: bool = False
) -> int:
    """Insert many rows (each with the same keys) in the caller's transaction, in one executemany; returns how
    many were inserted. With `skip_conflicts`, a row breaking a unique constraint is skipped
    (`ON CONFLICT DO NOTHING`) instead of failing the statement.

    On SQLite the values are converted here, by one converter per column chosen from its type
    (`_sqlite_converter`), and handed straight to the driver: on the ingest and event processing paths
    SQLAlchemy's per-parameter processing cost more than SQLite's own inserts. On PostgreSQL the rows travel as
    one JSON document (orjson) that `jsonb_to_recordset` unpacks into the columns' types: one constant statement
    and one parameter, where an executemany bound every value of every row (`_postgres_insert`). Tables with
    enum columns must use the ordinary insert.
    """
    if not rows:
        return 0
    names = _known_columns(table, tuple(rows[0]))
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        inserting = _postgres_insert(table, names, skip_conflicts=skip_conflicts)
        # RETURNING counts the rows inserted (a conflict skipped returns nothing).
        return len(connection.execute(inserting, {"rows": _json_rows(table, rows, names)}).all())
    statement, converters = _sqlite_insert(table, names)
    if skip_conflicts:
        statement += " ON CONFLICT DO NOTHING"
    # The driver sums an executemany's changes: the rows inserted.
    return connection.exec_driver_sql(statement, _sqlite_parameters(rows, names, converters)).rowcount


def update_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Update many rows by id (each mapping holds `id` and the same other columns): on SQLite in one executemany,
    converted and handed to the driver as `insert_rows` does; on PostgreSQL in one statement reading the rows
    from one JSON parameter, as `insert_rows` does. Each id appears once."""
    if not rows:
        return
    if "id" not in rows[0]:
        raise ValueError(f"{table.name}: rows to update need an id")
    names = _known_columns(table, tuple(name for name in rows[0] if name != "id"))
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        updating = _postgres_update(table, names)
        connection.execute(updating, {"rows": _json_rows(table, rows, ("id", *names))})
        return
    statement, converters = _sqlite_update(table, names)
    key = _sqlite_converter(table.c.id.type)
    connection.exec_driver_sql(statement, _sqlite_parameters(rows, (*names, "id"), (*converters, key)))


def _json_rows(table: Table, rows: Sequence[Mapping[str, Any]], names: tuple[str, ...]) -> str:
    """`rows` (only `names`) as the JSON array PostgreSQL's `jsonb_to_recordset` reads: ids as text, times in
    ISO 8601 with their offset (a naive time is refused, as every other write refuses it), JSON columns as
    nested JSON."""
    for name in names:
        if isinstance(table.c[name].type, UTCDateTime):
            for row in rows:
                value = row[name]
                if isinstance(value, datetime) and value.tzinfo is None:
                    raise ValueError("naive datetimes are not stored; pass a timezone-aware value")
    picked = [{name: row[name] for name in names} for row in rows]
    try:
        return orjson.dumps(picked, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:  # what orjson refuses (integers beyond 64 bits) the standard library writes
        return json.dumps(picked, default=_json_value)


def _json_value(value: Any) -> Any:
    """Ids, times and enums for the standard library's JSON, as orjson writes them."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_POSTGRES = postgresql.dialect()  # type: ignore[no-untyped-call]  # what names and types are spelled for


@functools.cache
def _postgres_record(table: Table, names: tuple[str, ...]) -> str:
    """`jsonb_to_recordset(...) AS r(column type, ...)` for `names` of `table`, each in its column's type."""
    quote = _POSTGRES.identifier_preparer.quote
    columns = ", ".join(f"{quote(name)} {table.c[name].type.compile(dialect=_POSTGRES)}" for name in names)
    return f"jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({columns})"


@functools.cache
def _postgres_insert(table: Table, names: tuple[str, ...], *, skip_conflicts: bool) -> TextClause:
    """The one-statement INSERT of `names` into `table` from a JSON array (see `insert_rows`)."""
    quote = _POSTGRES.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    keys = ", ".join(quote(column.name) for column in table.primary_key.columns)
    skip = " ON CONFLICT DO NOTHING" if skip_conflicts else ""
    # Only the model's own table and column names reach the text; the rows are one bound parameter.
    return sql_text(
        f"INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} FROM {_postgres_record(table, names)}"  # noqa: S608
        f"{skip} RETURNING {keys}"
    )


@functools.cache
def _postgres_update(table: Table, names: tuple[str, ...]) -> TextClause:
    """The one-statement UPDATE by id of `names` in `table` from a JSON array (see `update_rows`)."""
    quote = _POSTGRES.identifier_preparer.quote
    name = quote(table.name)
    assignments = ", ".join(f"{quote(column)} = r.{quote(column)}" for column in names)
    record = _postgres_record(table, ("id", *names))
    return sql_text(f"UPDATE {name} SET {assignments} FROM {record} WHERE {name}.id = r.id")  # noqa: S608


def _sqlite_parameters(
    rows: Sequence[Mapping[str, Any]], names: tuple[str, ...], converters: tuple[ColumnConverter, ...]
) -> list[tuple[Any, ...]]:
    """One parameter tuple per row, converted a column at a time: one comprehension per column instead of a
    generator per row (this runs for every event ingested and processed)."""
    columns = [convert([row[name] for row in rows]) for name, convert in zip(names, converters, strict=True)]
    return list(zip(*columns, strict=True))


@functools.cache
def _sqlite_update(table: Table, names: tuple[str, ...]) -> tuple[str, tuple[ColumnConverter, ...]]:
    """The driver-level UPDATE of `names` by id in `table`, and each column's value converter."""
    assignments = ", ".join(f"{table.c[name].name} = ?" for name in names)
    # As in `_sqlite_insert`: only the model's own names reach the text.
    statement = f"UPDATE {table.name} SET {assignments} WHERE id = ?"  # noqa: S608
    return statement, tuple(_sqlite_converter(table.c[name].type) for name in names)


@functools.cache
def _sqlite_insert(table: Table, names: tuple[str, ...]) -> tuple[str, tuple[ColumnConverter, ...]]:
    """The driver-level INSERT of `names` into `table`, and each column's value converter."""
    columns = ", ".join(table.c[name].name for name in names)
    # Only the model's own table and column names reach the text; every value is a bound parameter.
    statement = f"INSERT INTO {table.name} ({columns}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608
    return statement, tuple(_sqlite_converter(table.c[name].type) for name in names)


#: Converts one column's values (a list, one per row) to what SQLite stores.
ColumnConverter = Callable[[list[Any]], list[Any]]


def _sqlite_converter(column_type: Any) -> ColumnConverter:
    """How a column's values are handed to SQLite: enums by value in the columns that store values, ids as hex,
    UTC times as text, text and numbers as they are, each with one type test; anything else through
    `sqlite_value`. A column at a time, so that no function is called per value on the common paths."""
    if _stores_enum_values(column_type):
        return lambda values: [v.value if isinstance(v, enum.Enum) else sqlite_value(v) for v in values]
    if isinstance(column_type, Uuid):
        return lambda values: [v.hex if type(v) is uuid.UUID else sqlite_value(v) for v in values]
    if isinstance(column_type, UTCDateTime):
        return sqlite_times
    return lambda values: [v if type(v) in _AS_IS else sqlite_value(v) for v in values]


def sqlite_times(values: list[Any]) -> list[Any]:
    """Times as SQLite stores them; a value repeated from the row before (a batch's receipt time) is formatted
    once."""
    out: list[Any] = []
    last: Any = _NOTHING
    text: Any = None
    for value in values:
        if value is not last:
            last = value
            text = (
                value.isoformat(" ", "microseconds")[:26]
                if type(value) is datetime and value.tzinfo is UTC
                else sqlite_value(value)
            )
        out.append(text)
    return out


_NOTHING = object()


#: Values the driver takes as they are (what `sqlite_value` returns unchanged).
_AS_IS = frozenset({str, int, float, type(None)})


def _stores_enum_values(column_type: Any) -> bool:
    """An Enum column storing its members' values (`values_callable`, as every omnicx enum column does)."""
    members = getattr(column_type, "enum_class", None)
    return (
        isinstance(column_type, SAEnum)
        and members is not None
        and all(m.value in column_type.enums for m in members)
    )


#: A per-connection temporary table of ids (see `staged_ids`).
_STAGED = Table("staged_ids", MetaData(), Column("id", Uuid, primary_key=True), prefixes=["TEMPORARY"])
STAGE_CHUNK = 5000


def staged_ids(session: Session, ids: Collection[uuid.UUID]) -> Select[tuple[uuid.UUID]]:
    """A select of `ids` from a temporary table, for an `IN` too large for bound parameters (a report's list of
    customers can hold hundreds of thousands; SQLite allows 32,766 parameters a statement). The table lives
    on the session's connection and is emptied by the next call: use the select before staging again."""
    connection = session.connection()
    connection.execute(CreateTable(_STAGED, if_not_exists=True))
    connection.execute(delete(_STAGED))
    rows = [{"id": i} for i in set(ids)]
    for start in range(0, len(rows), STAGE_CHUNK):
        connection.execute(insert(_STAGED), rows[start : start + STAGE_CHUNK])
    return select(_STAGED.c.id)


def among(session: Session, column: Any, values: Collection[Any]) -> ColumnElement[bool]:
    """`column IN values` for the long lists of hot paths (a processing job's thousand events or customers),
    with the values in one bound parameter: an expanding `IN` renders and converts a parameter per value,
    which cost more than the index lookups it asked for.

    SQLite reads the values from a JSON array through `json_each` (ids as the 32 hex digits it stores), and
    still probes the column's index once per value; PostgreSQL takes an array (`= ANY(:values)`), which also
    binds and plans in a fraction of the time of a long list. Values are ids (`uuid.UUID`) or text.
    """
    if session.get_bind().dialect.name == "postgresql":
        element = Uuid() if isinstance(column.type, Uuid) else String()
        return column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(element)))  # type: ignore[no-any-return]
    listed = [v.hex if type(v) is uuid.UUID else v for v in values]
    each = func.json_each(bindparam(None, orjson.dumps(listed).decode(), type_=String())).table_valued(
        "value"
    )
    return column.in_(select(each.c.value))  # type: ignore[no-any-return]
