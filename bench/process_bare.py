"""The machine's limit for processing stored events: identities, customer stamps, sessions and touchpoints with
plain sqlite3 (the standard library), and nothing else.

    python bench/process_bare.py                     # 30,000 events
    python bench/process_bare.py --events 100000

The events are `bench/ingest.py`'s (`event()`: 5,000 visitors, one event every 10 ms, so each visitor's next
event comes 50 s after its last and a batch of 100 touches 100 visitors whose open session grows by one). They
are inserted first, untimed, into a table of (id, anonymous id, timestamp, type, payload JSON). Timed is only
the processing, batch of 100 stored events after batch in arrival order as omnicx's `tracking.process_events`
jobs run, each batch in one transaction (WAL, synchronous=NORMAL, as omnicx's kernel/db.py sets):

1. identities: each new anonymous id gets a customer (one INSERT OR IGNORE ... SELECT into the identifiers
   table, value → customer id), and each event is stamped with its customer (one UPDATE ... RETURNING);
2. sessions: the touched customers' open sessions are read (one SELECT through the (customer, start) index);
   each event carries its customer's open session on, or opens a new one after 30 minutes without activity,
   in the simplest Python; the open sessions so replaced are deleted with their touchpoints (one DELETE each),
   and the recomputed ones inserted (one executemany: start, end, event and page-view counts, landing page,
   source and medium from the first event's page URL, channel) with one touchpoint each (one INSERT ...
   SELECT from the new sessions). omnicx's other cuts (a new campaign, 24 hours) never apply to these events
   (one campaign, a few minutes) and are left out.

Recomputing the sessions in SQL instead (LAG over each touched customer's events from its open session's
start to find the gaps, then one row per visit) ran at less than half this rate at 30,000 events, and slows
as visits grow: it reads every event of the open session again, where this reads its one row.

A new customer's id is the id of the event that first named it: unique, and in arrival order like omnicx's
UUIDv7 ids (random ids scatter every index write and halved the rate). Events are indexed by customer and
time, touchpoints by customer and time, as omnicx's are: stamps and touchpoints are written to be read that
way. Whatever omnicx does beyond this is overhead: `bench/ingest.py --process` runs this on as many events
after omnicx's job worker and prints omnicx's event processing as a share of it.
"""

from __future__ import annotations

import argparse
import itertools
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingest import BATCH, event

INACTIVITY = 30 * 60.0  # seconds
CHANNELS = {"email": "Email", "cpc": "Paid Search", "referral": "Referral", "(none)": "Direct"}
SCHEMA = """
CREATE TABLE event (
    id INTEGER PRIMARY KEY, anonymous_id TEXT NOT NULL, timestamp REAL NOT NULL, type TEXT NOT NULL,
    customer_id INTEGER, payload TEXT NOT NULL
);
CREATE INDEX event_customer_timestamp ON event (customer_id, timestamp);
CREATE TABLE identifier (value TEXT PRIMARY KEY, customer_id INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE session (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, started_at REAL NOT NULL, ended_at REAL NOT NULL,
    event_count INTEGER NOT NULL, page_views INTEGER NOT NULL, landing_page TEXT, source TEXT NOT NULL,
    medium TEXT NOT NULL, channel TEXT NOT NULL
);
CREATE INDEX session_customer_start ON session (customer_id, started_at);
CREATE TABLE touchpoint (
    id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, at REAL NOT NULL, channel TEXT NOT NULL,
    session_id INTEGER NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX touchpoint_customer_at ON touchpoint (customer_id, at);
CREATE INDEX touchpoint_session ON touchpoint (session_id);
"""
NEW_IDENTIFIERS = """
INSERT OR IGNORE INTO identifier (value, customer_id)
SELECT anonymous_id, id FROM event WHERE id BETWEEN ? AND ?
"""
STAMP = """
UPDATE event SET customer_id = (SELECT customer_id FROM identifier WHERE value = event.anonymous_id)
WHERE id BETWEEN ? AND ? RETURNING id, customer_id, timestamp, type, payload
"""
OPEN_SESSIONS = """
SELECT s.id, s.customer_id, s.started_at, s.ended_at, s.event_count, s.page_views, s.landing_page, s.source,
       s.medium, s.channel
FROM (SELECT DISTINCT customer_id FROM event WHERE id BETWEEN ? AND ?) AS touched
JOIN session AS s
  ON s.id = (SELECT id FROM session WHERE customer_id = touched.customer_id ORDER BY started_at DESC LIMIT 1)
"""
INSERT_SESSION = "INSERT INTO session VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
DELETE_TOUCHPOINTS = "DELETE FROM touchpoint WHERE session_id IN (SELECT value FROM json_each(?))"
DELETE_SESSIONS = "DELETE FROM session WHERE id IN (SELECT value FROM json_each(?))"
INSERT_TOUCHPOINTS = """
INSERT INTO touchpoint (customer_id, at, channel, session_id, detail)
SELECT customer_id, started_at, channel, id,
       json_object('source', source, 'medium', medium, 'landing_page', landing_page)
FROM session WHERE id >= ?
"""


@dataclass
class Visit:
    """A session as stored (`id` set when read back) or being built."""

    id: int | None
    customer_id: int
    started_at: float
    ended_at: float
    event_count: int
    page_views: int
    landing_page: str | None
    source: str
    medium: str
    channel: str


@dataclass
class BareProcessing:
    events: int
    seconds: float
    sessions: int
    touchpoints: int
    counted: int  # the sessions' events, summed

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def store_events(db: sqlite3.Connection, total: int) -> None:
    """`bench/ingest.py`'s events 0..total-1 as the ids 1..total (untimed)."""
    run = uuid.uuid4().hex[:8]
    db.executescript(SCHEMA)
    rows = []
    for i in range(total):
        message = event(i, run)
        at = datetime.fromisoformat(str(message["timestamp"])).timestamp()
        rows.append((i + 1, message["anonymousId"], at, message["type"], orjson.dumps(message).decode()))
    db.executemany(
        "INSERT INTO event (id, anonymous_id, timestamp, type, payload) VALUES (?, ?, ?, ?, ?)", rows
    )
    db.commit()


def traffic(page: dict[str, Any]) -> tuple[str, str]:
    """(source, medium) of a visit from its first page: utm parameters, else the referrer, else direct."""
    query = parse_qs(urlsplit(page.get("url") or "").query)
    if "utm_source" in query:
        return query["utm_source"][0], query.get("utm_medium", ["(not set)"])[0]
    if page.get("referrer"):
        return urlsplit(page["referrer"]).hostname or "(direct)", "referral"
    return "(direct)", "(none)"


def opened(customer_id: int, at: float, payload: str) -> Visit:
    """A new visit starting at `at` with the event `payload` (counted by the caller)."""
    page = orjson.loads(payload).get("context", {}).get("page", {})
    source, medium = traffic(page)
    landing = page.get("path")
    return Visit(None, customer_id, at, at, 0, 0, landing, source, medium, CHANNELS.get(medium, "Unassigned"))


def carry_on(visits: dict[int, Visit], stamped: list[Any]) -> list[Visit]:
    """Each stamped event, in time order, carries its customer's open visit on or opens one after 30 minutes
    without activity; returns the visits that changed (to write; those with an id replace their row)."""
    changed: dict[int, Visit] = {}
    for _, customer_id, at, kind, payload in sorted(stamped, key=itemgetter(2, 0)):
        visit = visits.get(customer_id)
        if visit is None or at - visit.ended_at > INACTIVITY:
            visit = visits[customer_id] = opened(customer_id, at, payload)
        visit.ended_at = at
        visit.event_count += 1
        visit.page_views += kind == "page"
        changed[id(visit)] = visit
    return list(changed.values())


def write(db: sqlite3.Connection, visits: list[Visit], ids: Iterator[int]) -> None:
    """Replace the changed open sessions and their touchpoints by the recomputed ones, under new ids."""
    replaced = orjson.dumps([v.id for v in visits if v.id is not None]).decode()
    db.execute(DELETE_TOUCHPOINTS, (replaced,))
    db.execute(DELETE_SESSIONS, (replaced,))
    for visit in visits:
        visit.id = next(ids)
    db.executemany(INSERT_SESSION, [tuple(vars(v).values()) for v in visits])
    db.execute(INSERT_TOUCHPOINTS, (visits[0].id,))


def process_batch(db: sqlite3.Connection, first: int, last: int, ids: Iterator[int]) -> None:
    """Process the stored events `first`..`last` in one transaction."""
    db.execute(NEW_IDENTIFIERS, (first, last))
    stamped = db.execute(STAMP, (first, last)).fetchall()
    visits = {row[1]: Visit(*row) for row in db.execute(OPEN_SESSIONS, (first, last))}
    write(db, carry_on(visits, stamped), ids)
    db.commit()


def run_bare(total: int, path: Path) -> BareProcessing:
    """Store `total` events in a new database at `path`, then time processing them batch by batch."""
    db = connect(path)
    store_events(db, total)
    ids = itertools.count(1)
    started = time.perf_counter()
    for first in range(1, total + 1, BATCH):
        process_batch(db, first, min(first + BATCH - 1, total), ids)
    seconds = time.perf_counter() - started
    sessions, counted = db.execute("SELECT count(*), sum(event_count) FROM session").fetchone()
    touchpoints = db.execute("SELECT count(*) FROM touchpoint").fetchone()[0]
    db.close()
    return BareProcessing(total, seconds, sessions, touchpoints, counted)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=30_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omnicx-bare-") as workdir:
        bare = run_bare(args.events, Path(workdir) / "process-bare.db")
    print(
        f"bare processing   {bare.events_per_second:,.0f} events/s ({bare.events:,} events in {bare.seconds:.2f} s)"
    )
    print(
        f"sessions          {bare.sessions:,} with {bare.touchpoints:,} touchpoints, {bare.counted:,} events"
    )
    return 0 if bare.counted == bare.events and bare.sessions == bare.touchpoints else 1


if __name__ == "__main__":
    sys.exit(main())
