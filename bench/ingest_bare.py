"""The machine's limit for ingestion: an HTTP server that stores `/v1/batch` bodies in SQLite, and nothing else.

    python bench/ingest_bare.py                                # 100,000 events, 4 connections
    python bench/ingest_bare.py --events 200000 --connections 8 --gzip

The client is `bench/ingest.py`'s (its `--client` mode, in a process of its own): the same pre-built bodies of
100 events, sent over the same keep-alive connections from as many threads. The server is a Starlette app with
one route and no FastAPI, Pydantic, write-key lookup, validation, enrichment or job: `POST /v1/batch` reads the
body (gunzipped when sent so), `orjson.loads` it and inserts each event's messageId, type, timestamp (the text
sent) and JSON into one SQLite table (WAL, synchronous=NORMAL, as omnicx's kernel/db.py sets; messageId unique
with INSERT OR IGNORE, the dedup omnicx promises) in one executemany and one commit per request, then answers
`{"success": true}`. It runs in its own process under uvicorn with uvloop/httptools, access log off, as
`bench/ingest.py` serves omnicx. Printed: events/s and request latency p50/p99. Whatever omnicx does beyond this
is overhead: `bench/ingest.py` runs it after omnicx, in the same run, and prints omnicx's rate as a share of it.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import ingest

SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    timestamp TEXT,
    payload TEXT NOT NULL
)
"""
INSERT = "INSERT OR IGNORE INTO event (message_id, type, timestamp, payload) VALUES (?, ?, ?, ?)"
SUCCESS = b'{"success":true}'


@dataclass
class BareIngest:
    events: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int
    stored: int

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def connect(path: Path) -> sqlite3.Connection:
    """The store, with the pragmas omnicx sets on every SQLite connection."""
    db = sqlite3.connect(path, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(SCHEMA)
    return db


def create_app(path: Path) -> Starlette:
    db = connect(path)

    async def batch(request: Request) -> Response:
        body = await request.body()
        if request.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        events = orjson.loads(body)["batch"]
        rows = [(e["messageId"], e["type"], e.get("timestamp"), orjson.dumps(e).decode()) for e in events]
        db.executemany(INSERT, rows)
        db.commit()
        return Response(SUCCESS, media_type="application/json")

    return Starlette(routes=[Route("/v1/batch", batch, methods=["POST"])])


def serve(port: int, path: Path) -> None:
    """The server process: uvicorn with uvloop and httptools, access log off, as `ingest.serve`."""
    ingest.run_uvicorn(create_app(path), port)


def stored_events(path: Path) -> int:
    with sqlite3.connect(path) as db:
        count: int = db.execute("SELECT count(*) FROM event").fetchone()[0]
    return count


def run_bare(events: int, connections: int, compress: bool, workdir: Path) -> BareIngest:
    """Start the bare server on a fresh database in `workdir`, send `events` with `bench/ingest.py`'s client."""
    path, out, port = workdir / "bare.db", workdir / "bare-client.json", ingest.free_port()
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(port), str(path)])
    try:
        ingest.wait_until_listening(server, port)
        client_args = [str(port), "bare-key", str(events), str(connections), str(out)]
        command = [sys.executable, ingest.__file__, "--client", *client_args] + (
            ["--gzip"] if compress else []
        )
        subprocess.run(command, check=True)
    finally:
        server.terminate()
        server.wait(timeout=15)
    result = orjson.loads(out.read_bytes())
    p50, p99 = ingest.percentiles(result["latencies"])
    return BareIngest(
        events, float(result["elapsed"]), p50, p99, int(result["failures"]), stored_events(path)
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--gzip", action="store_true", help="gzip every request body")
    parser.add_argument("--serve", nargs=2, metavar=("PORT", "DATABASE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(int(args.serve[0]), Path(args.serve[1]))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="omnicx-bare-"))
    try:
        bare = run_bare(args.events, args.connections, args.gzip, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"bare ingest       {bare.events_per_second:,.0f} events/s ({args.connections} connections)")
    print(f"latency           p50 {bare.p50_ms:.1f} ms, p99 {bare.p99_ms:.1f} ms")
    print(f"failed requests   {bare.failures}")
    print(
        f"stored            {bare.stored} events ({'exactly once' if bare.stored == args.events else 'MISMATCH'})"
    )
    return 0 if bare.stored == args.events else 1


if __name__ == "__main__":
    sys.exit(main())
