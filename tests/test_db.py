"""`omnicx.kernel.db`: `insert_rows` and `update_rows` store exactly what SQLAlchemy's ordinary insert and update
store, on either database; a shared writer lock is held for exactly one transaction."""

from __future__ import annotations

import multiprocessing
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, insert, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from omnicx.identity.models import Customer, CustomerIdentifier
from omnicx.identity.schemas import IdentifierKind
from omnicx.kernel import db as db_module
from omnicx.kernel.db import among, insert_rows, make_engine, new_id, staged_ids, update_rows
from omnicx.kernel.runtime import build_runtime
from omnicx.kernel.settings import Settings, _normalise_db_url
from omnicx.tracking.models import Touchpoint
from tests.conftest import PG_URL, World

TABLE: Table = Touchpoint.__table__  # type: ignore[assignment]
COLUMNS = ("at", "channel", "detail", "dedup_key", "created_at", "customer_id")


def _row(world: World, at: datetime, detail: dict[str, object], dedup: str | None) -> dict[str, object]:
    return {
        "id": new_id(),
        "workspace_id": world.workspace.id,
        "customer_id": uuid.uuid4(),
        "at": at,
        "channel": "Email",
        "kind": "visit",
        "source": "test",
        "session_id": None,
        "detail": detail,
        "dedup_key": dedup,
        "created_at": at + timedelta(microseconds=1),
    }


def _stored(db: Session, row_id: uuid.UUID) -> tuple[object, ...]:
    """The row as SQLAlchemy reads it back, and (on SQLite) the raw text the database holds."""
    read = db.execute(select(*(TABLE.c[c] for c in COLUMNS)).where(TABLE.c.id == row_id)).one()
    raw = ()
    if db.get_bind().dialect.name == "sqlite":
        raw = tuple(
            db.execute(
                text("SELECT at, detail, created_at, customer_id FROM tracking_touchpoint WHERE id = :id"),
                {"id": row_id.hex},
            ).one()
        )
    return (*read, *raw)


def _assert_same_but_dedup(before: tuple[object, ...], after: tuple[object, ...], dedup: str | None) -> None:
    """Two stored rows are equal, but for their dedup keys: unique per workspace, each row was given its own
    (`a` and `b` before the same text)."""
    if dedup is not None:
        assert (before[3], after[3]) == (f"a{dedup}", f"b{dedup}")
        before, after = before[:3] + before[4:], after[:3] + after[4:]
    assert after == before


moments = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=-7, minutes=-30))]),
)
# PostgreSQL stores no NUL character in text or JSON, so neither side is given one.
words = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=5)
details = st.dictionaries(
    words,
    st.one_of(st.integers(-(2**70), 2**70), words, st.booleans(), st.none()),
    max_size=3,
)


# Each example rolls back what it inserted, so the function-scoped database is the same for every example.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=moments, detail=details, dedup=st.one_of(st.none(), words.filter(bool)))
def test_insert_rows_stores_what_the_ordinary_insert_stores(
    db: Session, world: World, at: datetime, detail: dict[str, object], dedup: str | None
) -> None:
    ordinary, fast = _row(world, at, detail, None), _row(world, at, detail, None)
    ordinary["customer_id"] = fast["customer_id"]
    if dedup is not None:
        ordinary["dedup_key"], fast["dedup_key"] = f"a{dedup}", f"a{dedup}"
        fast["dedup_key"] = f"b{dedup}"
    try:
        db.execute(insert(TABLE), [ordinary])
        insert_rows(db, TABLE, [fast])
        before, after = _stored(db, ordinary["id"]), _stored(db, fast["id"])  # type: ignore[arg-type]
    finally:
        db.rollback()
    _assert_same_but_dedup(before, after, dedup)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=moments, detail=details, dedup=st.one_of(st.none(), words))
def test_update_rows_stores_what_the_ordinary_update_stores(
    db: Session, world: World, at: datetime, detail: dict[str, object], dedup: str | None
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ordinary, fast, untouched = (_row(world, start, {"old": 1}, None) for _ in range(3))
    changes = {"at": at, "detail": detail, "customer_id": fast["customer_id"]}
    # The dedup key is unique per workspace: each row is given its own.
    mine = {"dedup_key": None if dedup is None else f"a{dedup}"}
    theirs = {"dedup_key": None if dedup is None else f"b{dedup}"}
    try:
        insert_rows(db, TABLE, [ordinary, fast, untouched])
        db.execute(update(TABLE).where(TABLE.c.id == ordinary["id"]).values({**changes, **mine}))
        update_rows(db, TABLE, [{"id": fast["id"], **changes, **theirs}])
        before, after = _stored(db, ordinary["id"]), _stored(db, fast["id"])  # type: ignore[arg-type]
        kept = _stored(db, untouched["id"])  # type: ignore[arg-type]
    finally:
        db.rollback()
    _assert_same_but_dedup(before, after, dedup)
    assert kept[:3] == (start, "Email", {"old": 1})  # only the rows named are updated


def test_insert_rows_refuses_what_it_cannot_store_faithfully(db: Session, world: World) -> None:
    row = _row(world, datetime(2026, 1, 1, tzinfo=UTC), {}, None)
    with pytest.raises(ValueError, match="no column"):
        insert_rows(db, TABLE, [{**row, "colour": "red"}])
    with pytest.raises(ValueError, match="colour"):
        update_rows(db, TABLE, [{"id": row["id"], "colour": "red"}])
    with pytest.raises(ValueError, match="need an id"):
        update_rows(db, TABLE, [{"channel": "Email"}])
    if db.get_bind().dialect.name == "sqlite":
        with pytest.raises(ValueError, match="naive"):
            insert_rows(db, TABLE, [{**row, "at": datetime(2026, 1, 1)}])


def test_a_shared_writer_lock_is_held_for_exactly_one_transaction(settings: Settings) -> None:
    """SQLite engines built with a writer lock hold it from BEGIN to COMMIT or ROLLBACK, however they end;
    PostgreSQL has row locks and never takes it."""
    lock = multiprocessing.get_context("spawn").Lock()
    runtime = build_runtime(settings, writer_lock=lock)
    sqlite = runtime.engine.dialect.name == "sqlite"

    def held() -> bool:
        if lock.acquire(timeout=0):
            lock.release()
            return False
        return True

    try:
        with runtime.sessions() as session:
            session.execute(select(1))
            assert held() is sqlite
            session.commit()
            assert not held()
            session.execute(select(1))
            assert held() is sqlite
            session.rollback()
            assert not held()

            def failing_work() -> None:
                with session.begin():
                    session.execute(select(1))
                    assert held() is sqlite
                    raise RuntimeError("the work failed")

            with pytest.raises(RuntimeError):
                failing_work()
            assert not held()
    finally:
        runtime.close()


def test_insert_rows_stores_enum_members_as_their_column_does(db: Session, world: World) -> None:
    """Identifier kinds are an Enum column storing values: both inserts store the same text."""
    table: Table = CustomerIdentifier.__table__  # type: ignore[assignment]
    customer = uuid.uuid4()
    db.execute(
        insert(Customer.__table__),  # type: ignore[arg-type]
        [{"id": customer, "workspace_id": world.workspace.id, "display_name": "", "traits": {}}],
    )
    now = datetime(2026, 5, 1, tzinfo=UTC)
    rows = [
        {
            "id": new_id(),
            "workspace_id": world.workspace.id,
            "customer_id": customer,
            "kind": kind,
            "value": v,
        }
        | {"created_at": now}
        for kind, v in ((IdentifierKind.EMAIL, "a@example.com"), (IdentifierKind.USER_ID, "u-1"))
    ]
    db.execute(insert(table), rows[:1])
    insert_rows(db, table, rows[1:])
    stored = db.execute(text("SELECT kind FROM identity_identifier ORDER BY value")).scalars().all()
    read = db.execute(select(table.c.kind).order_by(table.c.value)).scalars().all()
    db.rollback()
    assert stored == ["email", "user_id"]
    assert read == [IdentifierKind.EMAIL, IdentifierKind.USER_ID]


def test_staged_ids_filter_by_more_ids_than_a_statement_may_bind(db: Session, world: World) -> None:
    """40,000 ids: past SQLite's 32,766 bound parameters, and staging again replaces the earlier set."""
    customers = [Customer(id=new_id(), workspace_id=world.workspace.id) for _ in range(3)]
    db.add_all(customers)
    db.flush()
    wanted = [customers[0].id, customers[2].id, *(uuid.uuid4() for _ in range(40_000))]
    found = set(db.scalars(select(Customer.id).where(Customer.id.in_(staged_ids(db, wanted)))))
    assert found == {customers[0].id, customers[2].id}
    again = set(db.scalars(select(Customer.id).where(Customer.id.in_(staged_ids(db, [customers[1].id])))))
    assert again == {customers[1].id}
    db.rollback()


@pytest.mark.parametrize(("idle_limit", "survives"), [(0.0, True), (3600.0, False)])
def test_a_pooled_postgresql_connection_killed_while_idle_is_replaced_before_use(
    monkeypatch: pytest.MonkeyPatch, idle_limit: float, survives: bool
) -> None:
    """A connection the server dropped while it sat in the pool (a restart, an idle timeout) is pinged and
    replaced at checkout once it has idled past the limit; within the limit it is handed out unchecked, and
    its first statement fails (which shows the ping is what saves it)."""
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", idle_limit)
    engine = make_engine(_normalise_db_url(PG_URL or "postgresql://127.0.0.1:5432/test"))
    try:
        killer = engine.connect()  # a second pooled connection, checked out while the first one is
        with engine.connect() as connection:
            victim = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})  # the first one is idle
        killer.close()  # back in the pool after the victim: the next checkout gets the victim
        with engine.connect() as connection:
            if survives:
                assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != victim
            else:
                with pytest.raises(OperationalError):
                    connection.execute(text("SELECT 1"))
    finally:
        engine.dispose()


def test_insert_rows_stores_each_row_its_own_time_when_rows_share_or_repeat_one(
    db: Session, world: World
) -> None:
    """Times repeated from row to row (a batch's receipt time) are formatted once: every row still gets its own."""
    shared = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    local = datetime(2026, 3, 1, 5, 0, tzinfo=timezone(timedelta(hours=-7)))
    times = [shared, shared, local, local, shared + timedelta(microseconds=1), shared]
    rows = [_row(world, at, {}, None) for at in times]
    try:
        insert_rows(db, TABLE, rows)
        stored = [db.scalar(select(TABLE.c.at).where(TABLE.c.id == row["id"])) for row in rows]
    finally:
        db.rollback()
    assert stored == times


def test_insert_rows_skipping_conflicts_counts_the_rows_it_inserted(db: Session, world: World) -> None:
    first = [_row(world, datetime(2026, 3, 1, tzinfo=UTC), {}, f"k{i}") for i in range(3)]
    again = [_row(world, datetime(2026, 3, 2, tzinfo=UTC), {}, f"k{i}") for i in range(1, 5)]
    try:
        assert insert_rows(db, TABLE, first) == 3
        assert insert_rows(db, TABLE, again, skip_conflicts=True) == 2
        keys = db.scalars(select(TABLE.c.dedup_key).where(TABLE.c.workspace_id == world.workspace.id)).all()
        with pytest.raises(IntegrityError):
            insert_rows(db, TABLE, again[:1])
    finally:
        db.rollback()
    assert sorted(keys) == ["k0", "k1", "k2", "k3", "k4"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=st.lists(words, min_size=1, max_size=6), others=st.lists(words, max_size=6))
def test_among_finds_exactly_the_rows_whose_value_is_listed(
    db: Session, world: World, stored: list[str], others: list[str]
) -> None:
    """`among` (one array or JSON parameter) selects what an ordinary `IN` selects, for ids and for any text:
    commas, quotes, backslashes, braces, spaces and the word NULL included."""
    customer = Customer(id=new_id(), workspace_id=world.workspace.id)
    db.add(customer)
    values = list(dict.fromkeys([*stored, "a,b", '{"x"}', "NULL", "back\\slash", " "]))
    rows = [
        CustomerIdentifier(
            id=new_id(),
            workspace_id=world.workspace.id,
            customer_id=customer.id,
            kind=IdentifierKind.USER_ID,
            value=value,
        )
        for value in values
    ]
    db.add_all(rows)
    db.flush()
    ours = CustomerIdentifier.workspace_id == world.workspace.id
    for column, wanted in (
        (CustomerIdentifier.value, [*values[::2], *others, "NULL", "back\\slash"]),
        (CustomerIdentifier.id, [row.id for row in rows[::2]] + [uuid.uuid4()]),
    ):
        found = set(db.scalars(select(column).where(ours, among(db, column, wanted))))
        assert found == set(db.scalars(select(column).where(ours, column.in_(wanted))))
        assert found
    db.rollback()
