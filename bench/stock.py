"""Stock benchmark: many buyers reserving one hot variant at one location at the same time.

    python bench/stock.py                                                  # embedded SQLite only
    python bench/stock.py --postgres postgresql://127.0.0.1:5432/test      # SQLite, then PostgreSQL + bare
    python bench/stock.py --buyers 64 --attempts 4000 --stock 1000

Each buyer is a thread reserving one unit per attempt as `POST /reservations` does: through
`commerce.service.queue_reservation`, the runtime's group-commit queue, so the reservations that arrive meanwhile
share one transaction. On PostgreSQL a reservation raises the stock row's counter with one conditional `UPDATE`;
on SQLite the transaction begins IMMEDIATE, so writers queue. Printed per database: attempts/s,
successful reservations/s, latency p50/p99, and the oversell check: exactly `min(stock, attempts)` succeed, the
rest get `out_of_stock`, and available stock never goes below zero.

With PostgreSQL, the same workload also runs bare (`bench/stock_bare.py`: conditional UPDATE + INSERT per
transaction in plain SQLAlchemy Core, nothing else) right before and right after omnicx, on the same server and
with the same threads; omnicx's reservations/s are printed as a ratio of the better bare run and against the
target of 500 reservations/s. Bare commits each reservation alone, so it is the limit of one transaction per
reservation; sharing transactions is how omnicx goes past it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from stock_bare import BareOutcome, drop_database, run_bare, scratch_database

#: Successful reservations per second omnicx must sustain on PostgreSQL with 32 buyers on one hot variant.
TARGET_PER_SECOND = 500


@dataclass
class Outcome:
    database: str
    attempts: int
    succeeded: int
    refused: int
    seconds: float
    latencies: list[float]
    available_after: int
    reserved_after: int


def fresh_database(url: str | None, workdir: Path) -> tuple[str, str | None]:
    """A migrated database: a SQLite file, or a new PostgreSQL database next to `url` (returns its name)."""
    from omnicx.app.migrations import upgrade_to_head

    if not url:
        db_url = f"sqlite:///{workdir / 'stock-bench.db'}"
        upgrade_to_head(db_url)
        return db_url, None
    db_url, name = scratch_database(url, "bench")
    upgrade_to_head(db_url)
    return db_url, name


def bare(url: str, *, buyers: int, attempts: int, stock: int) -> BareOutcome:
    """The bare workload in a scratch database of its own."""
    db_url, name = scratch_database(url, "bare")
    try:
        return run_bare(db_url, buyers=buyers, attempts=attempts, stock=stock)
    finally:
        drop_database(url, name)


def run(db_url: str, label: str, *, buyers: int, attempts: int, stock: int, workdir: Path) -> Outcome:
    from omnicx.auth import service as auth_service
    from omnicx.auth.schemas import WorkspaceCreate
    from omnicx.commerce import service
    from omnicx.commerce.enums import LocationKind
    from omnicx.commerce.errors import OutOfStock
    from omnicx.commerce.schemas import (
        LineRequest,
        LocationCreate,
        ProductCreate,
        ReservationCreate,
        StockSet,
        VariantCreate,
    )
    from omnicx.kernel.runtime import build_runtime
    from omnicx.kernel.settings import Settings

    settings = Settings(
        environment="test",
        database_url=db_url,
        data_dir=workdir / f"data-{label}",
        secret_key="stock-bench-secret",
        run_worker_in_process=False,
    )
    runtime = build_runtime(settings)
    with runtime.sessions() as session:
        ws = auth_service.create_workspace(session, data=WorkspaceCreate(slug=f"bench-{label}", name="Bench"))
        store = service.create_location(
            session,
            workspace_id=ws.id,
            data=LocationCreate(code="hot", name="Hot store", kind=LocationKind.STORE, pickup=True),
        )
        service.create_product(
            session,
            workspace_id=ws.id,
            data=ProductCreate(
                title="Hot item", variants=[VariantCreate(sku="HOT-1", price_minor=1000, currency="EUR")]
            ),
        )
        service.set_stock(
            session, workspace_id=ws.id, data=StockSet(sku="HOT-1", location_id=store.id, on_hand=stock)
        )
    request = ReservationCreate(
        location_id=store.id, lines=[LineRequest(sku="HOT-1", quantity=1)], ttl_seconds=900
    )
    counter = iter(range(attempts))
    lock = threading.Lock()
    latencies: list[float] = []
    results = {"ok": 0, "out": 0}
    start = threading.Barrier(buyers + 1)

    def buyer() -> None:
        start.wait()
        while True:
            with lock:
                if next(counter, None) is None:
                    return
            began = time.perf_counter()
            try:
                # As the API's POST /reservations does: through the group-commit queue.
                service.queue_reservation(runtime.writes, workspace_id=ws.id, data=request).result()
                key = "ok"
            except OutOfStock:
                key = "out"
            elapsed = time.perf_counter() - began
            with lock:
                results[key] += 1
                latencies.append(elapsed)

    threads = [threading.Thread(target=buyer, daemon=True) for _ in range(buyers)]
    for t in threads:
        t.start()
    start.wait()
    began = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - began
    with runtime.sessions() as session:
        row = service.list_stock(session, workspace_id=ws.id, sku="HOT-1")[0]
    runtime.close()
    return Outcome(
        label, attempts, results["ok"], results["out"], seconds, latencies, row.available, row.reserved
    )


def report(outcome: Outcome, stock: int) -> bool:
    ordered = sorted(outcome.latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    expected = min(stock, outcome.attempts)
    ok = (
        outcome.succeeded == expected
        and outcome.refused == outcome.attempts - expected
        and outcome.available_after == stock - expected
        and outcome.available_after >= 0
        and outcome.reserved_after == expected
    )
    print(
        f"{outcome.database:<10} {outcome.attempts / outcome.seconds:>9.0f} attempts/s "
        f"{outcome.succeeded / outcome.seconds:>8.0f} reservations/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
        f"succeeded {outcome.succeeded}/{outcome.attempts} (stock {stock}), available after {outcome.available_after}"
        f"  {'OK: nothing oversold' if ok else 'FAIL: oversold or lost'}"
    )
    return ok


def compare(outcome: Outcome, limits: list[BareOutcome]) -> None:
    """omnicx beside the bare limit measured in this run (the better of the bare runs) and the target."""
    best = max(limits, key=lambda b: b.reservations_per_second)
    for limit in limits:
        print(
            f"{'bare':<10} {limit.attempts_per_second:>9.0f} attempts/s "
            f"{limit.reservations_per_second:>8.0f} reservations/s  (conditional UPDATE + INSERT, SQLAlchemy Core)"
        )
    rate = outcome.succeeded / outcome.seconds
    print(
        f"omnicx / bare: {rate / best.reservations_per_second:.2f}   "
        f"omnicx vs target {TARGET_PER_SECOND}/s: {rate:.0f}/s "
        f"({'met' if rate >= TARGET_PER_SECOND else 'not met'})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", help="Also run on PostgreSQL (a new database is created next to this URL)."
    )
    parser.add_argument("--buyers", type=int, default=32, help="Concurrent buyer threads.")
    parser.add_argument("--attempts", type=int, default=2000, help="Reservation attempts in total.")
    parser.add_argument("--stock", type=int, default=1000, help="Units on hand of the hot variant.")
    args = parser.parse_args()
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="omnicx-stock-bench-") as tmp:
        workdir = Path(tmp)
        targets: list[tuple[str, str | None]] = [("sqlite", None)]
        if args.postgres:
            targets.append(("postgresql", args.postgres))
        print(
            f"{args.buyers} buyers, {args.attempts} attempts of 1 unit against {args.stock} units of one variant"
        )
        for label, url in targets:
            limits = [bare(url, buyers=args.buyers, attempts=args.attempts, stock=args.stock)] if url else []
            db_url, created = fresh_database(url, workdir)
            try:
                outcome = run(
                    db_url,
                    label,
                    buyers=args.buyers,
                    attempts=args.attempts,
                    stock=args.stock,
                    workdir=workdir,
                )
            finally:
                if url and created:
                    drop_database(url, created)
            all_ok = report(outcome, args.stock) and all_ok
            if url:
                limits.append(bare(url, buyers=args.buyers, attempts=args.attempts, stock=args.stock))
                compare(outcome, limits)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
