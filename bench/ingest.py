"""Ingestion benchmark: a real omnicx server process and a client process on loopback, batches of 100 events.

    python bench/ingest.py                                   # embedded SQLite
    python bench/ingest.py --database-url postgresql://127.0.0.1:5432/test
    python bench/ingest.py --events 200000 --connections 8 --gzip
    python bench/ingest.py --events 20000 --process                # then process the queued jobs
    python bench/ingest.py --database-url postgresql://127.0.0.1:5432/test --events 30000 --process --workers 2
    python bench/ingest.py --events 5000 --batch 1 --process       # a browser's one call per request
    python bench/ingest.py --sustained 60 --rate 2000             # collection and processing together

The server runs the normal app (no in-process job worker: the per-request processing jobs are only queued, as
with a separate `omnicx worker`) under uvicorn with uvloop/httptools, access log off. The client sends
pre-built `/v1/batch` bodies over keep-alive connections from several threads. Printed: events/s, request
latency percentiles, peak memory (RSS high-water mark) of server and client, and a check that every event sent
is stored exactly once. For reference, RudderStack publishes 340-850 events/s per core for its data plane.

After omnicx, the same run sends the same number of events over as many connections to the bare ingest server
(`bench/ingest_bare.py`: Starlette, one executemany per request into SQLite, nothing else) with this client,
and prints omnicx's rate as a share of that limit beside the 20,000 events/s target. With `--process`, one job
worker then processes the queued jobs, and the bare processing (`bench/process_bare.py`: identities, stamps,
sessions and touchpoints with plain sqlite3) runs on as many events; omnicx's `tracking.process_events` time
is printed as a share of that limit beside the 10,000 events/s target. `--no-bare` skips both bare runs.

With `--workers N`, N worker processes (as N `omnicx worker` would run) drain the queue together; the rate is
the events over the time from their start until the last processing job ended.

`--sustained SECONDS` runs the server as `omnicx serve` does by default, with its in-process job worker, while
the client offers `--rate` events/s at a fixed pace (batches of 100 sent on schedule, not as fast as possible).
Every second this process reads the processing backlog (`tracking.service.processing_backlog`, what /readyz and
the Overview show) and the stored events. Printed: offered, sent, stored and processed rates, the backlog at the
end and its maximum, whether it stayed bounded (its least-squares slope over the last half of the run is under
1% of the offered rate), and how long the worker then took to drain it.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import http.client
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

TARGET_INGEST_PER_SECOND = 20_000
TARGET_EVENTS_PER_SECOND = 10_000  # processed: identities, sessions, touchpoints
#: Events per request: 100 as server-side libraries and the mobile SDKs batch, 1 as analytics.js sends each
#: call (`--batch 1`). Client processes inherit it through the environment.
BATCH = int(os.environ.get("OMNICX_BENCH_BATCH", "100"))
VISITORS = 5000
STARTED = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
SAFARI = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 Version/17.0 Safari/605.1.15"


@dataclass
class Database:
    url: str
    cleanup: list[str]


def prepare_database(url: str | None, workdir: Path) -> Database:
    """A fresh, migrated database: a SQLite file, or a new PostgreSQL database next to the given one."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from omnicx.app.migrations import upgrade_to_head
    from omnicx.kernel.settings import _normalise_db_url

    if not url:
        db_url = f"sqlite:///{workdir / 'bench.db'}"
        upgrade_to_head(db_url)
        return Database(db_url, [])
    base = make_url(_normalise_db_url(url))
    name = f"omnicx_bench_{os.getpid()}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    db_url = base.set(database=name).render_as_string(hide_password=False)
    upgrade_to_head(db_url)
    return Database(db_url, [name])


def drop_databases(url: str | None, names: list[str]) -> None:
    if not url or not names:
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from omnicx.kernel.settings import _normalise_db_url

    admin = create_engine(make_url(_normalise_db_url(url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def make_source(db_url: str) -> tuple[str, str]:
    """A workspace and a source; returns (workspace id, write key)."""
    from omnicx.auth import service as auth_service
    from omnicx.auth.schemas import WorkspaceCreate
    from omnicx.kernel.db import make_engine, make_session_factory
    from omnicx.tracking import service
    from omnicx.tracking.schemas import SourceCreate

    engine = make_engine(db_url)
    with make_session_factory(engine)() as session:
        workspace = auth_service.create_workspace(session, data=WorkspaceCreate(slug="bench", name="Bench"))
        created = service.create_source(session, workspace_id=workspace.id, data=SourceCreate(name="web"))
    engine.dispose()
    return str(workspace.id), created.write_key


def serve(port: int, worker: bool) -> None:
    """The server process: the omnicx app from `OMNICX_*` settings, uvicorn with uvloop and httptools; with
    `worker`, its in-process job worker too, as `omnicx serve` runs by default."""
    from omnicx.app.web import create_app
    from omnicx.kernel.runtime import settle_heap
    from omnicx.kernel.settings import Settings

    app = create_app(Settings(run_worker_in_process=worker))
    settle_heap()  # as `omnicx serve` does before it serves
    run_uvicorn(app, port)


def run_uvicorn(app: Any, port: int) -> None:
    """Serve `app` on loopback as both benchmarks' servers run: uvloop, httptools, no access log."""
    import uvicorn

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        loop="uvloop",
        http="httptools",
    )


def start_server(db_url: str, port: int, workdir: Path, *, worker: bool = False) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "OMNICX_DATABASE_URL": db_url,
        "OMNICX_SECRET_KEY": secrets.token_urlsafe(32),  # production refuses a weak one
        "OMNICX_DATA_DIR": str(workdir / "data"),
        "OMNICX_ENVIRONMENT": "production",
        # One client address sends everything as fast as it can: measured is ingestion, not the rate limits.
        "OMNICX_RATE_LIMITS_ENABLED": "false",
    }
    command = [sys.executable, __file__, "--serve", str(port)] + (["--in-process-worker"] if worker else [])
    process = subprocess.Popen(command, env=env)
    wait_until_listening(process, port)
    return process


def wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    """Return once the server `process` accepts connections on `port` (kill it after 30 s)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise SystemExit("the server did not start")


def event(i: int, run: str) -> dict[str, object]:
    """A realistic browser event (~700 bytes): page or track, with context and properties."""
    visitor = f"anon-{i % VISITORS}"
    common = {
        "anonymousId": visitor,
        "messageId": f"{run}-{i}",
        # One event every 10 ms across the site: each visitor's next event comes 50 s after its last, so
        # visits grow batch by batch as on a live site.
        "timestamp": (STARTED + timedelta(milliseconds=10 * i)).isoformat().replace("+00:00", "Z"),
        "context": {
            "ip": "203.0.113.7",
            "userAgent": SAFARI,
            "locale": "fr-FR",
            "library": {"name": "analytics.js", "version": "5.2.0"},
            "page": {
                "url": f"https://shop.example/products/{i % 300}?utm_source=newsletter&utm_medium=email",
                "path": f"/products/{i % 300}",
                "referrer": "https://mail.example/",
                "title": "Product",
            },
        },
    }
    if i % 3:
        return {
            **common,
            "type": "track",
            "event": "Product Viewed",
            "properties": {"sku": f"SKU-{i % 300}", "price": 19.9},
        }
    return {**common, "type": "page", "name": "Product", "properties": {"category": "shoes"}}


def build_bodies(total: int, run: str, compress: bool) -> list[bytes]:
    bodies = []
    for start in range(0, total, BATCH):
        body = orjson.dumps(
            {
                "batch": [event(i, run) for i in range(start, min(start + BATCH, total))],
                "sentAt": "2026-11-23T10:00:01.000Z",
            }
        )
        bodies.append(gzip.compress(body, 5) if compress else body)
    return bodies


def client_main(port: int, key: str, total: int, connections: int, compress: bool, out: str) -> None:
    """The client process: sends every body once (retrying on failure), records each request's latency."""
    run = uuid.uuid4().hex[:8]
    bodies = build_bodies(total, run, compress)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    if compress:
        headers["Content-Encoding"] = "gzip"
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    next_index = [0]

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= len(bodies):
                break
            while True:
                started = time.perf_counter()
                try:
                    conn.request("POST", "/v1/batch", body=bodies[index], headers=headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    with lock:
                        failures[0] += 1
                    continue
                mine.append(time.perf_counter() - started)
                if response.status == 200:
                    break
                with lock:
                    failures[0] += 1
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    Path(out).write_bytes(
        orjson.dumps(
            {"elapsed": elapsed, "latencies": latencies, "failures": failures[0], "peak": peak, "run": run}
        )
    )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def stored_events(db_url: str) -> int:
    from sqlalchemy import func, select

    from omnicx.kernel.db import make_engine
    from omnicx.tracking.models import Event

    engine = make_engine(db_url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Event)).scalar_one()
    engine.dispose()
    return int(count)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--database-url", help="PostgreSQL server to create a scratch database on (default: SQLite)"
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--gzip", action="store_true", help="gzip every request body")
    parser.add_argument(
        "--batch", type=int, help="events per request (default 100; 1 is a browser's one call per request)"
    )
    parser.add_argument(
        "--process", action="store_true", help="then run one job worker over the queued jobs and time it"
    )
    parser.add_argument("--no-bare", action="store_true", help="skip the bare limits (ingest and processing)")
    parser.add_argument(
        "--workers", type=int, default=1, help="with --process: worker processes draining the queue together"
    )
    parser.add_argument(
        "--sustained",
        type=int,
        metavar="SECONDS",
        help="offer --rate events/s for SECONDS to a server with its in-process worker; sample the backlog",
    )
    parser.add_argument("--rate", type=int, default=2000, help="offered events/s of --sustained")
    parser.add_argument("--json-samples", action="store_true", help="with --sustained: print every sample")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--in-process-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--paced-client", nargs=6, help=argparse.SUPPRESS)
    parser.add_argument("--drain-worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.batch:
        global BATCH
        BATCH = args.batch
        os.environ["OMNICX_BENCH_BATCH"] = str(args.batch)  # for the client processes this one starts
    if args.serve:
        serve(args.serve, args.in_process_worker)
        return
    if args.client:
        port, key, total, connections, out = args.client
        client_main(int(port), key, int(total), int(connections), args.gzip, out)
        return
    if args.paced_client:
        port, key, rate, seconds, connections, out = args.paced_client
        paced_client_main(int(port), key, int(rate), int(seconds), int(connections), args.gzip, out)
        return
    if args.drain_worker:
        db_url, workdir, name, workers = args.drain_worker
        drain_worker(db_url, Path(workdir), name, int(workers))
        return
    if args.sustained:
        run_sustained(args)
        return
    run_benchmark(args)


def run_benchmark(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="omnicx-bench-"))
    database = prepare_database(args.database_url, workdir)
    try:
        _, key = make_source(database.url)
        port = free_port()
        server = start_server(database.url, port, workdir)
        out = workdir / "client.json"
        try:
            client_args = [str(port), key, str(args.events), str(args.connections), str(out)]
            command = [sys.executable, __file__, "--client", *client_args] + (["--gzip"] if args.gzip else [])
            cpu_before = cpu_seconds(server.pid)
            subprocess.run(command, check=True)
            server_cpu = cpu_seconds(server.pid) - cpu_before
            server_peak = peak_rss(server.pid)
        finally:
            server.terminate()
            server.wait(timeout=15)
        bare = None if args.no_bare else bare_ingest(args, workdir)
        report(args, database.url, orjson.loads(out.read_bytes()), server_peak, server_cpu, bare)
        if args.process and args.workers > 1:
            process_in_parallel(database.url, workdir, args.events, args.workers, bare=not args.no_bare)
        elif args.process:
            process_queue(database.url, workdir, args.events, bare=not args.no_bare)
    finally:
        drop_databases(args.database_url, database.cleanup)
        shutil.rmtree(workdir, ignore_errors=True)


def bare_ingest(args: argparse.Namespace, workdir: Path) -> float:
    """The bare ingest server's events/s with the same events, connections and client (`bench/ingest_bare.py`)."""
    from ingest_bare import run_bare

    return run_bare(args.events, args.connections, args.gzip, workdir).events_per_second


def process_queue(db_url: str, workdir: Path, events: int, *, bare: bool = True) -> None:
    """Run one job worker (in this process) until the queue is empty: identities, sessions, touchpoints, and the
    analytics copy's sync they wake. Printed: the whole, and the time of each job kind; with `bare`, the bare
    processing limit (`bench/process_bare.py`) on as many events, and omnicx's event processing as a share."""
    from collections import Counter

    from omnicx.app.wiring import wire
    from omnicx.kernel.jobs.worker import Worker
    from omnicx.kernel.runtime import build_runtime, settle_heap
    from omnicx.kernel.settings import Settings
    from omnicx.tracking.service import PROCESS_JOB

    spent: Counter[str] = Counter()
    runs: Counter[str] = Counter()

    class TimedWorker(Worker):
        def _execute(self, claim: Any) -> None:
            started = time.perf_counter()
            super()._execute(claim)
            spent[claim.kind] += time.perf_counter() - started
            runs[claim.kind] += 1

    runtime = build_runtime(Settings(database_url=db_url, secret_key="bench", data_dir=workdir / "worker"))
    wire()
    worker = TimedWorker(runtime, "bench-worker")
    settle_heap()  # as `omnicx worker` does before it polls
    started = time.perf_counter()
    while worker.run_once():
        pass
    elapsed = time.perf_counter() - started
    runtime.close()
    print(f"processing        {events / elapsed:,.0f} events/s with one worker, all jobs ({elapsed:.1f} s)")
    for kind, seconds in spent.most_common():
        print(f"  {kind:<28}{runs[kind]:>5} runs {seconds:6.1f} s  {events / seconds:>9,.0f} events/s")
    if bare and spent[PROCESS_JOB]:
        bare_processing(events, events / spent[PROCESS_JOB], workdir)


def drain_worker(db_url: str, workdir: Path, name: str, workers: int) -> None:
    """One of `workers` worker processes: once all of them are up (imported, wired), run jobs until the queue
    stays empty; print (JSON) the time spent per job kind, and when (monotonic clock, comparable across
    processes) it claimed its first job and ended its last processing job. Start-up is not counted, and no
    worker starts before the others are ready: `omnicx worker` processes are long-running, and a worker still
    importing while the other drained the queue alone made the measured rate swing by a third between runs."""
    from collections import Counter

    from omnicx.app.wiring import wire
    from omnicx.kernel.jobs.worker import Worker
    from omnicx.kernel.runtime import build_runtime, settle_heap
    from omnicx.kernel.settings import Settings
    from omnicx.tracking.service import PROCESS_JOB

    spent: Counter[str] = Counter()
    spans: list[tuple[str, float, float]] = []
    first_claim, last_processing = float("inf"), 0.0

    class TimedWorker(Worker):
        def _execute(self, claim: Any) -> None:
            nonlocal first_claim, last_processing
            first_claim = min(first_claim, time.monotonic())
            started, began = time.perf_counter(), time.monotonic()
            super()._execute(claim)
            spent[claim.kind] += time.perf_counter() - started
            spans.append((claim.kind, began, time.monotonic()))
            if claim.kind == PROCESS_JOB:
                last_processing = time.monotonic()

    runtime = build_runtime(Settings(database_url=db_url, secret_key="bench", data_dir=workdir / name))
    wire()
    worker = TimedWorker(runtime, name)
    settle_heap()
    (workdir / f"ready-{name}").touch()
    while len(list(workdir.glob("ready-bench-worker-*"))) < workers:
        time.sleep(0.01)
    idle = 0
    while (
        idle < 3
    ):  # the other worker may still be enqueueing follow-up work: make sure the queue stays empty
        if worker.run_once():
            idle = 0
        else:
            idle += 1
            time.sleep(0.2)
    runtime.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "spent": spent,
                "spans": spans,
                "cpu": usage.ru_utime + usage.ru_stime,
                "first_claim": first_claim,
                "last_processing": last_processing,
            }
        )
    )


def process_in_parallel(db_url: str, workdir: Path, events: int, workers: int, *, bare: bool = True) -> None:
    """Drain the queue with `workers` worker processes at once; print the processing rate over wall time, and
    per worker its time per job kind, how much of its other jobs (the analytics sync) ran while events were
    being processed, and its CPU time."""
    from omnicx.tracking.service import PROCESS_JOB

    procs = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--drain-worker",
                db_url,
                str(workdir),
                f"bench-worker-{n}",
                str(workers),
            ],
            stdout=subprocess.PIPE,
        )
        for n in range(workers)
    ]
    results = [json.loads(proc.communicate()[0].decode().strip().splitlines()[-1]) for proc in procs]
    started = min(result["first_claim"] for result in results)
    elapsed = max(result["last_processing"] for result in results) - started
    print(
        f"processing        {events / elapsed:,.0f} events/s with {workers} worker processes ({elapsed:.1f} s)"
    )
    end = started + elapsed
    for result in results:
        line = ", ".join(f"{kind} {seconds:.1f} s" for kind, seconds in sorted(result["spent"].items()))
        inside = sum(
            max(0.0, min(stop, end) - max(begin, started))
            for kind, begin, stop in result["spans"]
            if kind != PROCESS_JOB
        )
        print(
            f"  one worker: {line}; other jobs within the processing {inside:.1f} s; CPU {result['cpu']:.1f} s"
        )
    if bare and elapsed > 0:
        bare_processing(events, events / elapsed, workdir)


def bare_processing(events: int, rate: float, workdir: Path) -> None:
    """Print the bare processing limit on `events` events beside omnicx's event processing `rate`."""
    from process_bare import run_bare

    limit = run_bare(events, workdir / "process-bare.db").events_per_second
    print(
        f"bare limit        {limit:,.0f} events/s (omnicx event processing at {rate / limit:.2f} of it; "
        f"target {TARGET_EVENTS_PER_SECOND:,})"
    )


def percentiles(latencies: list[float]) -> tuple[float, float]:
    """p50 and p99 of request latencies in seconds, in milliseconds."""
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def report(
    args: argparse.Namespace,
    db_url: str,
    result: dict[str, object],
    server_peak: int,
    server_cpu: float,
    bare: float | None,
) -> None:
    latencies = sorted(float(x) for x in result["latencies"])  # type: ignore[attr-defined]
    elapsed = float(result["elapsed"])  # type: ignore[arg-type]
    rate = args.events / elapsed
    stored = stored_events(db_url)
    engine = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    p50, p99 = percentiles(latencies)
    print(f"engine            {engine}{' (gzip bodies)' if args.gzip else ''}")
    print(
        f"events            {args.events} in {len(latencies)} requests of {BATCH}, {args.connections} connections"
    )
    print(f"throughput        {rate:,.0f} events/s  (target {TARGET_INGEST_PER_SECOND:,})")
    if bare is not None:
        print(
            f"bare limit        {bare:,.0f} events/s (omnicx at {rate / bare:.2f} of it; "
            f"target {TARGET_INGEST_PER_SECOND:,})"
        )
    print(f"latency           p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    print(
        f"peak memory       server {server_peak / 2**20:.0f} MiB, client {int(result['peak']) / 2**20:.0f} MiB"
    )  # type: ignore[call-overload]
    print(f"server CPU        {server_cpu / len(latencies) * 1000:.2f} ms per request (load-independent)")
    print(f"machine load      {os.getloadavg()[0]:.2f} (1 min average; other processes skew throughput)")
    print(f"failed requests   {result['failures']}")
    print(f"stored            {stored} events ({'exactly once' if stored == args.events else 'MISMATCH'})")
    print(
        f"peer reference    RudderStack publishes 340-850 events/s per core; ratio {rate / 2 / 850:.1f}x per core"
    )
    if stored != args.events:
        raise SystemExit(1)


# -- sustained mixed run: collection and processing at once ------------------------------------------------


def paced_client_main(
    port: int, key: str, rate: int, seconds: int, connections: int, compress: bool, out: str
) -> None:
    """Offer `rate` events/s for `seconds`: batch k is due at k * BATCH / rate seconds and sent then (late, never
    early, if every connection is busy). Records when each batch was acknowledged."""
    run = uuid.uuid4().hex[:8]
    bodies = build_bodies(rate * seconds, run, compress)
    auth = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    if compress:
        headers["Content-Encoding"] = "gzip"
    lock = threading.Lock()
    next_index = [0]
    failures = [0]
    acknowledged: list[float] = []
    # CLOCK_MONOTONIC is one clock for every process of the machine: the parent samples on this start.
    start = time.monotonic() + 0.5
    print(f"start {start}", flush=True)

    def sender() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                index = next_index[0]
                next_index[0] += 1
            if index >= len(bodies):
                return
            delay = start + index * BATCH / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            while True:
                try:
                    conn.request("POST", "/v1/batch", body=bodies[index], headers=headers)
                    response = conn.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                    response = None
                if response is not None and response.status == 200:
                    break
                with lock:
                    failures[0] += 1
            with lock:
                acknowledged.append(time.monotonic() - start)

    threads = [threading.Thread(target=sender) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(out).write_bytes(orjson.dumps({"acknowledged": acknowledged, "failures": failures[0]}))


@dataclass
class Sample:
    at: float  # seconds since the client started
    stored: int
    waiting: int  # events in queued or running processing jobs
    estimated: bool
    oldest_age: float


class Sampler:
    """Reads the stored events and the processing backlog every second, as an operator's probe would."""

    def __init__(self, db_url: str, workspace_id: str) -> None:
        from omnicx.kernel.db import make_engine, make_session_factory

        self.engine = make_engine(db_url)
        self.sessions = make_session_factory(self.engine)
        self.workspace_id = uuid.UUID(workspace_id)
        self.samples: list[Sample] = []

    def sample(self, at: float) -> Sample:
        from sqlalchemy import func, select

        from omnicx.tracking import service
        from omnicx.tracking.models import Event

        with self.sessions() as session:
            backlog = service.processing_backlog(session, workspace_id=self.workspace_id)
            stored = session.scalar(select(func.count()).select_from(Event)) or 0
        taken = Sample(at, stored, backlog.events, backlog.events_estimated, backlog.oldest_age_seconds)
        self.samples.append(taken)
        return taken

    def until(self, done: threading.Event, started: float) -> None:
        """Sample every second (on the second, whatever a sample costs) until `done` is set."""
        tick = 1
        while not done.wait(max(0.0, started + tick - time.monotonic())):
            self.sample(time.monotonic() - started)
            tick += 1


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x (0 for fewer than two points)."""
    if len(points) < 2:
        return 0.0
    mean_x = statistics.fmean(x for x, _ in points)
    mean_y = statistics.fmean(y for _, y in points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


def run_sustained(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="omnicx-bench-"))
    database = prepare_database(args.database_url, workdir)
    try:
        workspace_id, key = make_source(database.url)
        port = free_port()
        server = start_server(database.url, port, workdir, worker=True)
        out = workdir / "client.json"
        sampler = Sampler(database.url, workspace_id)
        try:
            client_args = [
                str(port),
                key,
                str(args.rate),
                str(args.sustained),
                str(args.connections),
                str(out),
            ]
            command = [sys.executable, __file__, "--paced-client", *client_args]
            cpu_before = cpu_seconds(server.pid)
            paced = subprocess.Popen(command + (["--gzip"] if args.gzip else []), stdout=subprocess.PIPE)
            assert paced.stdout is not None
            started = float(paced.stdout.readline().split()[1])  # after the client built its bodies
            done = threading.Event()
            thread = threading.Thread(target=sampler.until, args=(done, started))
            thread.start()
            if paced.wait() != 0:
                raise SystemExit("the client failed")
            done.set()
            thread.join()
            sending = time.monotonic() - started
            at_end = sampler.sample(sending)
            drained = drain_time(sampler, started, limit=max(60.0, float(args.sustained)))
            server_cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(timeout=15)
            sampler.engine.dispose()
        client = orjson.loads(out.read_bytes())
        report_sustained(args, database.url, client, sampler.samples, at_end, sending, drained, server_cpu)
    finally:
        drop_databases(args.database_url, database.cleanup)
        shutil.rmtree(workdir, ignore_errors=True)


def drain_time(sampler: Sampler, started: float, *, limit: float) -> float | None:
    """Seconds, after sending stopped, until nothing waits (None if still waiting after `limit` seconds)."""
    stopped = time.monotonic()
    while time.monotonic() - stopped < limit:
        if sampler.sample(time.monotonic() - started).waiting == 0:
            return time.monotonic() - stopped
        time.sleep(0.5)
    return None


def report_sustained(
    args: argparse.Namespace,
    db_url: str,
    client: dict[str, object],
    samples: list[Sample],
    at_end: Sample,
    sending: float,
    drained: float | None,
    server_cpu: float,
) -> None:
    acknowledged = sorted(float(x) for x in client["acknowledged"])  # type: ignore[attr-defined]
    offered = args.rate * args.sustained
    sent_for = acknowledged[-1] if acknowledged else sending
    during = [s for s in samples if s.at <= sending]
    last_half = [(s.at, float(s.waiting)) for s in during if s.at >= sending / 2]
    growth = slope(last_half)
    processed_end = at_end.stored - at_end.waiting
    half = min(during, key=lambda s: abs(s.at - sending / 2)) if during else at_end
    processed_half = half.stored - half.waiting
    engine = "PostgreSQL" if db_url.startswith("postgresql") else "SQLite"
    bounded = growth < 0.01 * args.rate
    print(
        f"engine            {engine}, server with its in-process job worker{' (gzip bodies)' if args.gzip else ''}"
    )
    print(
        f"offered           {args.rate:,} events/s for {args.sustained} s ({offered:,} events, batches of {BATCH})"
    )
    sent = len(acknowledged) * BATCH / sent_for
    print(f"sent              {sent:,.0f} events/s acknowledged ({client['failures']} failed requests)")
    print(
        f"stored            {at_end.stored / sending:,.0f} events/s ({at_end.stored:,} events in {sending:.1f} s)"
    )
    print(
        f"processed         {processed_end / sending:,.0f} events/s over the run, "
        f"{(processed_end - processed_half) / max(sending - half.at, 1e-9):,.0f} events/s over its last half"
    )
    estimated = " (estimated from the oldest jobs)" if at_end.estimated else ""
    print(f"backlog at end    {at_end.waiting:,} events{estimated}, oldest waiting {at_end.oldest_age:.1f} s")
    peak = max(during, key=lambda s: s.waiting) if during else at_end
    print(
        f"backlog maximum   {peak.waiting:,} events at {peak.at:.0f} s; oldest wait maximum "
        f"{max((s.oldest_age for s in during), default=0.0):.1f} s"
    )
    print(
        f"bounded           {'yes' if bounded else 'NO'}: last-half slope {growth:+,.1f} events/s "
        f"(bounded when under 1% of the offered rate, {0.01 * args.rate:,.0f} events/s); {len(during)} samples"
    )
    drain = f"{drained:.1f} s after sending stopped" if drained is not None else "still waiting at the limit"
    print(f"drain             {drain}")
    print(f"server CPU        {server_cpu:.1f} s over {sending + (drained or 0):.1f} s wall (2 cores shared)")
    print(f"machine load      {os.getloadavg()[0]:.2f} (1 min average; other processes skew throughput)")
    if args.json_samples:
        print(json.dumps([s.__dict__ for s in samples]))


if __name__ == "__main__":
    main()
