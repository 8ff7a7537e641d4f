"""The machine's limit for the stock workload: one conditional UPDATE + one INSERT per transaction, nothing else.

    python bench/stock_bare.py postgresql://127.0.0.1:5432/test          # a scratch database next to this URL
    python bench/stock_bare.py postgresql://127.0.0.1:5432/test --buyers 64

Same shape as `bench/stock.py`: `buyers` threads share `attempts` one-unit reservations of one hot row holding
`stock` units. Each attempt is a transaction of `UPDATE ... SET reserved = reserved + 1 WHERE <enough left>
RETURNING` and, when a row came back, an `INSERT` of the hold, then `COMMIT`: plain SQLAlchemy Core on the
same driver, with no ORM, no session, no events and no lookups. Whatever omnicx does beyond that is overhead;
`bench/stock.py` prints omnicx's rate as a ratio of this one, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    Uuid,
    create_engine,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import make_url

metadata = MetaData()
stock_table = Table(
    "bare_stock",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("on_hand", Integer, nullable=False),
    Column("allocated", Integer, nullable=False),
    Column("reserved", Integer, nullable=False),
)
hold_table = Table(
    "bare_hold",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("stock_id", Uuid, nullable=False, index=True),
    Column("quantity", Integer, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


@dataclass
class BareOutcome:
    attempts: int
    succeeded: int
    seconds: float
    reserved_after: int

    @property
    def attempts_per_second(self) -> float:
        return self.attempts / self.seconds

    @property
    def reservations_per_second(self) -> float:
        return self.succeeded / self.seconds


def postgres_url(url: str) -> str:
    """`postgresql://...` spelled for the psycopg 3 driver (the one omnicx uses)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def scratch_database(url: str, label: str) -> tuple[str, str]:
    """Create an empty database next to `url`; returns its URL and its name."""
    base = make_url(postgres_url(url))
    name = f"omnicx_stock_{label}_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def drop_database(url: str, name: str) -> None:
    admin = create_engine(make_url(postgres_url(url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _attempt(engine: Engine, stock_id: uuid.UUID) -> bool:
    """One reservation: the conditional UPDATE, then the INSERT only when a unit was taken."""
    with engine.begin() as conn:
        taken = conn.execute(
            update(stock_table)
            .where(
                stock_table.c.id == stock_id,
                stock_table.c.on_hand - stock_table.c.allocated - stock_table.c.reserved >= 1,
            )
            .values(reserved=stock_table.c.reserved + 1)
            .returning(stock_table.c.id)
        ).first()
        if taken is None:
            return False
        conn.execute(
            insert(hold_table).values(
                id=uuid.uuid4(),
                stock_id=stock_id,
                quantity=1,
                expires_at=datetime.now(UTC) + timedelta(minutes=15),
            )
        )
        return True


def run_bare(db_url: str, *, buyers: int, attempts: int, stock: int) -> BareOutcome:
    """Measure the bare workload on `db_url` (an existing, scratch database: its two tables are recreated)."""
    engine = create_engine(db_url, pool_size=buyers, max_overflow=0)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    stock_id = uuid.uuid4()
    with engine.begin() as conn:
        conn.execute(insert(stock_table).values(id=stock_id, on_hand=stock, allocated=0, reserved=0))
    counter = iter(range(attempts))
    lock = threading.Lock()
    succeeded = [0]
    start = threading.Barrier(buyers + 1)

    def buyer() -> None:
        start.wait()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            ok = _attempt(engine, stock_id)
            if ok:
                with lock:
                    succeeded[0] += 1

    threads = [threading.Thread(target=buyer, daemon=True) for _ in range(buyers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    with engine.connect() as conn:
        reserved = int(conn.scalar(select(stock_table.c.reserved)) or 0)
    metadata.drop_all(engine)
    engine.dispose()
    return BareOutcome(attempts, succeeded[0], seconds, reserved)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("postgres", help="PostgreSQL URL; a scratch database is created next to it.")
    parser.add_argument("--buyers", type=int, default=32, help="Concurrent buyer threads.")
    parser.add_argument("--attempts", type=int, default=2000, help="Reservation attempts in total.")
    parser.add_argument("--stock", type=int, default=1000, help="Units on hand of the hot row.")
    args = parser.parse_args()
    db_url, name = scratch_database(args.postgres, "bare")
    try:
        outcome = run_bare(db_url, buyers=args.buyers, attempts=args.attempts, stock=args.stock)
    finally:
        drop_database(args.postgres, name)
    print(
        f"bare       {outcome.attempts_per_second:>9.0f} attempts/s "
        f"{outcome.reservations_per_second:>8.0f} reservations/s  "
        f"succeeded {outcome.succeeded}/{outcome.attempts} (stock {args.stock})"
    )
    return 0 if outcome.succeeded == outcome.reserved_after == min(args.stock, args.attempts) else 1


if __name__ == "__main__":
    sys.exit(main())
