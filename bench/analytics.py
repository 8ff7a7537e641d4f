"""Analytics benchmark: omnicx's reports over its analytics engine, and the same queries on bare DuckDB, in one run.

    python bench/analytics.py                                  # 10,000,000 events, 20 runs of each query
    python bench/analytics.py --events 200000 --runs 5         # a quick look
    python bench/analytics.py --events 2000000 --data-dir /tmp/omx-2m --keep
    python bench/analytics.py --reuse /tmp/omx-2m              # the same store again, generation skipped
    python bench/analytics.py --reuse /tmp/omx-2m --skip-rebuild   # ... and its copy as the last run built it
    python bench/analytics.py --database-url postgresql://127.0.0.1:5432/test   # a scratch database there
    python bench/analytics.py --events 1000000 --engine chdb   # omnicx on ClickHouse's engine in the process

1. Generation (not timed; its duration is printed): a fresh, migrated store of record (SQLite in the data
   directory unless --database-url names a PostgreSQL server, where a scratch database is created), a
   workspace (Europe/Paris) with a source and an analyst API token, then synthetic history written straight
   into the tables as the processing jobs leave them: N/10 customers (3% merged into another, so the customer
   map is not empty), about N/5 sessions over 120 days with GA4 default channels (named by omnicx's own
   grouping), one "session" touchpoint each, N events (about 5 a session: pages, product views, identify
   calls with traits.email, "Checkout Started", "Order Completed" with properties.revenue, sign-ups) stamped
   with their customer. Rows go in through the sqlite3 module (secondary indexes dropped, then rebuilt) or
   PostgreSQL's COPY, in the formats the ORM stores (checked against rows the ORM wrote and read back).
2. Ingest reference: `bench/ingest.py` (POST /v1/batch on its own scratch database), run in this run.
3. Full sync: `analytics_service.rebuild` in a process of its own: events/s, and its peak memory.
4. Over HTTP (`omnicx serve --no-worker`, an analyst token), `--runs` timed requests after one warm-up:
   GET /api/v1/overview (30 days) and GET /api/v1/attribution/report?model=markov&order=1 (90 days). No route
   returns sessions per channel per day on its own (the Overview's sessions trend comes with the whole
   Overview), so that query (summary.SESSIONS_PER_DAY, 90 days) is timed through `analytics_service.query`
   in a process of its own.
5. Bare engine, in a process of its own: DuckDB over the same live Parquet files (listed in
   analytics_segment), running the SQL omnicx runs (attribution/service/inputs.py, overview/service/summary.py)
   once per distinct query a page needs, over read_parquet, with the customer map joined where a query reads
   person_id. Results are fetched as Arrow ("bare", the engine's own cost; the ratio is taken against it),
   and, for reference, as Python rows (fetchall, as omnicx's engine does; at most 5 runs).
6. Incremental sync: --incremental more events (with their sessions and touchpoints, the change rows the
   processing jobs record, one job per 100 events, and 100 customer merges), then `analytics_service.sync`.

With --engine chdb, omnicx's copy is ClickHouse's engine inside each process (chdb, through clickhouse-connect:
`OMNICX_ANALYTICS_URL=chdb:///<data dir>/analytics-chdb`): the full sync, the routes, the engine query and the
incremental sync run on it; the DuckDB copy is built first (its time printed, not judged) so the bare engine
keeps reading the same Parquet files, and the ratio compares omnicx on chdb with bare DuckDB. bench/ingest.py
runs on DuckDB either way. A ClickHouse server would be measured the same way with its address in
OMNICX_ANALYTICS_URL (not done here: no server on these machines).

Targets (this 2-core machine, DuckDB): p95 <= 1 s for each query; omnicx at most 1.5x the bare engine
(medians); sync, full and incremental, at least the ingest rate. When the Overview or the report misses a
target, one of each is run in-process under cProfile and the functions taking the most time are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import pstats
import re
import secrets
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
from rich.console import Console
from rich.table import Table

HERE = Path(__file__).resolve()
#: Where omnicx's analytics copy lives (unset: DuckDB over Parquet files in the data directory).
ENGINE_VARIABLE = "OMNICX_ANALYTICS_URL"
console = Console()
if not console.is_terminal:  # under nohup or a pipe: wide enough for the table
    console.width = 150

TARGET_P95 = 1.0
TARGET_RATIO = 1.5
DAYS = 120
OVERVIEW_DAYS = 30
REPORT_DAYS = 90
#: The journeys funnel timed (over the Overview's 30 days): the generated shop's product pages, checkouts and
#: orders, within a week of the product page.
FUNNEL: dict[str, Any] = {
    "step": ["page:/products/", "event:Checkout Started", "event:Order Completed"],
    "window_hours": 168,
}
#: The tables the journey map reads.
MAP_TABLES = ["events", "sessions", "orders", "conversations", "touchpoints"]
TIMEZONE = "Europe/Paris"
MERGED_SHARE = 0.03
INCREMENTAL_MERGES = 100
EVENTS_PER_JOB = 100
CHUNK = 100_000
WARMUPS = 1  # untimed runs first: DuckDB's Parquet metadata cache, the stages a first report creates
ROW_RUNS = 5
DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000
SHOP = "https://shop.example"

# (share of sessions, source, medium, campaign, referrer, conversion factor); the channel is what omnicx's
# GA4 grouping makes of source, medium and campaign.
TRAFFIC = (
    (0.30, "google", "organic", "", "https://www.google.com/", 1.0),
    (0.20, "(direct)", "(none)", "", "", 1.3),
    (0.13, "google", "cpc", "brand-search", "https://www.google.com/", 1.6),
    (0.08, "newsletter", "email", "weekly-digest", "", 2.0),
    (0.08, "instagram.com", "referral", "", "https://l.instagram.com/", 0.6),
    (0.06, "blog.example.org", "referral", "", "https://blog.example.org/", 0.9),
    (0.06, "facebook", "cpc", "spring-sale", "https://m.facebook.com/", 0.8),
    (0.04, "criteo", "display", "retargeting", "", 0.5),
    (0.02, "partner.example", "affiliate", "partners", "https://partner.example/", 1.2),
    (0.01, "youtube.com", "referral", "", "https://www.youtube.com/", 0.4),
    (0.01, "sms", "sms", "flash-sale", "", 1.5),
    (0.01, "bing", "organic", "", "https://www.bing.com/", 1.0),
)
DEVICES = (
    (
        "desktop",
        0.55,
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36",
    ),
    (
        "mobile",
        0.40,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    ),
    ("tablet", 0.05, "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"),
)
PAGE, VIEW, ADD, IDENTIFY, CHECKOUT, ORDER, SIGNUP, NEWSLETTER = range(8)
TRACK_NAMES = {
    VIEW: "Product Viewed",
    ADD: "Product Added",
    CHECKOUT: "Checkout Started",
    ORDER: "Order Completed",
    SIGNUP: "Signed Up",
    NEWSLETTER: "Newsletter Subscribed",
}
PRODUCTS = 500
CATEGORIES = ("shoes", "bags", "coats", "shirts", "dresses", "hats", "belts", "socks")
FIRST_NAMES = ("Camille", "Louis", "Léa", "Hugo", "Chloé", "Lucas", "Manon", "Jules", "Inès", "Adam")
LAST_NAMES = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
)
LIBRARY = {"name": "analytics.js", "version": "next-1.70.0"}


# ---- the world: what generation made, kept in the data directory for --reuse ------------------------------


@dataclass
class World:
    database_url: str
    workspace_id: str
    source_id: str
    token: str
    end: str  # ISO date, UTC midnight: history lies before it, incremental events a day after it
    events: int
    sessions: int
    customers: int
    merged: int
    seed: int
    generated_seconds: float
    scratch_database: str | None = None  # a PostgreSQL database this benchmark created
    incremental_merged: list[str] = field(default_factory=list)

    @staticmethod
    def path(data_dir: Path) -> Path:
        return data_dir / "bench.json"

    def save(self, data_dir: Path) -> None:
        self.path(data_dir).write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, data_dir: Path) -> World:
        return cls(**json.loads(cls.path(data_dir).read_text()))

    @property
    def end_us(self) -> int:
        return int(datetime.fromisoformat(self.end).replace(tzinfo=UTC).timestamp()) * 1_000_000

    @property
    def last_day(self) -> date:
        return date.fromisoformat(self.end) - timedelta(days=1)

    def window(self, days: int) -> tuple[date, date]:
        return self.last_day - timedelta(days=days - 1), self.last_day


# ---- synthetic history -------------------------------------------------------------------------------------


@dataclass
class Plan:
    """Sessions (by start time) and events (by time) as arrays; rows are formatted from them chunk by chunk."""

    s_customer: np.ndarray
    s_start: np.ndarray
    s_end: np.ndarray
    s_traffic: np.ndarray
    s_device: np.ndarray
    s_len: np.ndarray
    s_pages: np.ndarray
    s_landing: np.ndarray
    s_revenue: np.ndarray
    s_converted: np.ndarray
    e_ts: np.ndarray
    e_session: np.ndarray
    e_kind: np.ndarray
    e_product: np.ndarray
    e_landing: np.ndarray

    @cached_property
    def per_session(self) -> tuple[list[int], list[int], list[int], list[int], list[float]]:
        """Customer, traffic, device, landing product and revenue of every session, as Python lists (event rows
        look them up one by one: list indexing is several times cheaper than NumPy's)."""
        return (
            self.s_customer.tolist(),
            self.s_traffic.tolist(),
            self.s_device.tolist(),
            self.s_landing.tolist(),
            self.s_revenue.tolist(),
        )


def _fit(rng: np.random.Generator, lengths: np.ndarray, total: int) -> None:
    """Adjust session lengths (each at least 1) in place so they add up to `total` events."""
    while (missing := total - int(lengths.sum())) != 0:
        if missing > 0:
            np.add.at(lengths, rng.integers(0, len(lengths), missing), 1)
            continue
        longer = np.flatnonzero(lengths > 1)
        if not len(longer):
            raise ValueError("fewer events than sessions")
        lengths[rng.choice(longer, min(-missing, len(longer)), replace=False)] -= 1


def make_plan(
    rng: np.random.Generator, session_customer: np.ndarray, events: int, begin_us: int, span_us: int
) -> Plan:
    """Sessions of the given customers between begin and begin + span (spread over days with an afternoon peak
    when the span is days long), about 5 events each, exactly `events` in all."""
    sessions = len(session_customer)
    lengths = 1 + rng.poisson(4.0, sessions)
    _fit(rng, lengths, events)
    if span_us >= DAY_US:
        day = rng.integers(0, span_us // DAY_US, sessions)
        start = begin_us + day * DAY_US + (rng.beta(2.2, 1.8, sessions) * DAY_US).astype(np.int64)
        start = np.minimum(start, begin_us + span_us - 3 * HOUR_US)
    else:
        start = begin_us + (rng.random(sessions) * span_us).astype(np.int64)
    shares = np.array([t[0] for t in TRAFFIC])
    traffic = rng.choice(len(TRAFFIC), sessions, p=shares / shares.sum()).astype(np.int8)
    device = rng.choice(len(DEVICES), sessions, p=[d[1] for d in DEVICES]).astype(np.int8)
    order = np.argsort(start, kind="stable")
    session_customer, start, lengths = session_customer[order], start[order], lengths[order]
    traffic, device = traffic[order], device[order]

    first = np.cumsum(lengths) - lengths
    last = first + lengths - 1
    e_session = np.repeat(np.arange(sessions), lengths)
    gaps = rng.exponential(40e6, events).astype(np.int64)
    gaps[first] = 0
    running = np.cumsum(gaps)
    e_ts = start[e_session] + running - running[first][e_session]
    kind = rng.choice([PAGE, VIEW, ADD], events, p=[0.55, 0.35, 0.10]).astype(np.int8)
    kind[first] = PAGE
    factor = np.array([t[5] for t in TRAFFIC])[traffic]
    draw = rng.random((5, sessions))
    identify = (draw[0] < 0.08) & (lengths >= 2)
    kind[first[identify] + 1] = IDENTIFY
    signup = (draw[1] < 0.01 * factor) & (lengths >= 3)
    kind[first[signup] + 2] = SIGNUP
    newsletter = (draw[2] < 0.01 * factor) & (lengths >= 2)
    kind[last[newsletter]] = NEWSLETTER
    abandoned = (draw[3] < 0.02 * factor) & (lengths >= 2)
    kind[last[abandoned]] = CHECKOUT
    sale = (draw[4] < 0.025 * factor) & (lengths >= 2)
    kind[last[sale]] = ORDER
    kind[last[sale & (lengths >= 3)] - 1] = CHECKOUT
    revenue = np.where(sale, np.round(rng.gamma(2.0, 45.0, sessions) + 5, 2), 0.0)
    product = rng.integers(0, PRODUCTS, events).astype(np.int16)
    converted = np.zeros(sessions, dtype=bool)
    np.logical_or.at(converted, e_session, kind >= IDENTIFY)
    pages = np.bincount(e_session[kind == PAGE], minlength=sessions)
    landing = np.zeros(events, dtype=bool)
    landing[first] = True

    by_time = np.argsort(e_ts, kind="stable")
    return Plan(
        s_customer=session_customer,
        s_start=start,
        s_end=e_ts[last],
        s_traffic=traffic,
        s_device=device,
        s_len=lengths,
        s_pages=pages,
        s_landing=product[first],
        s_revenue=revenue,
        s_converted=converted,
        e_ts=e_ts[by_time],
        e_session=e_session[by_time],
        e_kind=kind[by_time],
        e_product=product[by_time],
        e_landing=landing[by_time],
    )


def uuid7_hex(rng: np.random.Generator, micros: np.ndarray) -> list[str]:
    """Time-ordered ids (UUIDv7 layout, as omnicx draws them) for these instants, as SQLite stores them."""
    count = len(micros)
    high = (
        ((micros // 1000).astype(np.uint64) << np.uint64(16))
        | np.uint64(0x7000)
        | rng.integers(0, 4096, count, dtype=np.uint64)
    )
    low = np.uint64(0x8000000000000000) | rng.integers(0, 2**62, count, dtype=np.uint64)
    return [f"{h:016x}{lo:016x}" for h, lo in zip(high.tolist(), low.tolist(), strict=True)]


def db_times(micros: np.ndarray) -> list[str]:
    """UTC instants as SQLAlchemy's DateTime stores them on SQLite: naive, space-separated, microseconds."""
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us").tolist()
    return [t.replace("T", " ") for t in text]


def iso_times(micros: np.ndarray) -> list[str]:
    """As a browser library sends them: ISO 8601, milliseconds, Z."""
    return [t + "Z" for t in np.datetime_as_string(micros.astype("datetime64[ms]"), unit="ms").tolist()]


def anon_of(customer: str) -> str:
    reversed_hex = customer[::-1]
    return f"{reversed_hex[:8]}-{reversed_hex[8:12]}-4{reversed_hex[13:16]}-a{reversed_hex[17:20]}-{reversed_hex[20:]}"


def person_of(customer: str) -> tuple[str, str, str]:
    number = int(customer[-6:], 16)
    first, last = FIRST_NAMES[number % 10], LAST_NAMES[number // 10 % 10]
    return first, last, f"{first.lower()}.{last.lower()}.{customer[-8:]}@example.net"


def _utm(source: str, medium: str, campaign: str) -> str:
    if not campaign:
        return ""
    return f"?utm_source={source}&utm_medium={medium}&utm_campaign={campaign}"


def _landing_path(product: int) -> str:
    return "/" if product % 4 == 0 else f"/products/{product}"


@dataclass
class Context:
    workspace: str
    source: str
    customers: Sequence[str]  # hex ids, indexed like the plan's customer numbers
    channels: list[str]  # omnicx's channel for each TRAFFIC entry
    order_prefix: str


def channels_of_traffic() -> list[str]:
    from omnicx.tracking.channel_grouping import Traffic, classify

    return [classify(Traffic(source=t[1], medium=t[2], campaign=t[3])) for t in TRAFFIC]


def session_rows(
    plan: Plan, ctx: Context, rng: np.random.Generator, lo: int, hi: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[str]]:
    """tracking_session and tracking_touchpoint rows of sessions lo..hi, and the sessions' ids."""
    ids = uuid7_hex(rng, plan.s_start[lo:hi])
    touch_ids = uuid7_hex(rng, plan.s_start[lo:hi] + 1000)
    starts, ends = db_times(plan.s_start[lo:hi]), db_times(plan.s_end[lo:hi])
    created = db_times(plan.s_end[lo:hi] + 60_000_000)
    duration = ((plan.s_end[lo:hi] - plan.s_start[lo:hi]) / 1e6).tolist()
    sessions, touches = [], []
    for i, (customer, traffic, device, length, pages, landing, converted) in enumerate(
        zip(
            plan.s_customer[lo:hi].tolist(),
            plan.s_traffic[lo:hi].tolist(),
            plan.s_device[lo:hi].tolist(),
            plan.s_len[lo:hi].tolist(),
            plan.s_pages[lo:hi].tolist(),
            plan.s_landing[lo:hi].tolist(),
            plan.s_converted[lo:hi].tolist(),
            strict=True,
        )
    ):
        _, source, medium, campaign, _, _ = TRAFFIC[traffic]
        channel = ctx.channels[traffic]
        page = SHOP + _landing_path(landing) + _utm(source, medium, campaign)
        engaged = duration[i] >= 10 or pages >= 2 or converted
        customer_id = ctx.customers[customer]
        sessions.append(
            (ids[i], ctx.workspace, customer_id, starts[i], ends[i], duration[i], DEVICES[device][0], page,
             source, medium, campaign or None, channel, pages, length, int(engaged), int(not engaged))
        )  # fmt: skip
        detail = {
            "source": source,
            "medium": medium,
            "campaign": campaign or None,
            "landing_page": page,
            "device_category": DEVICES[device][0],
        }
        touches.append(
            (touch_ids[i], ctx.workspace, customer_id, starts[i], channel, "session", "session", ids[i],
             orjson.dumps(detail).decode(), None, created[i])
        )  # fmt: skip
    return sessions, touches, ids


SESSION_COLUMNS = (
    "id", "workspace_id", "customer_id", "started_at", "ended_at", "duration_seconds", "device_category",
    "landing_page", "source", "medium", "campaign", "channel", "page_views", "event_count", "engaged", "bounced",
)  # fmt: skip
TOUCHPOINT_COLUMNS = (
    "id", "workspace_id", "customer_id", "at", "channel", "kind", "source", "session_id", "detail", "dedup_key",
    "created_at",
)  # fmt: skip
EVENT_COLUMNS = (
    "id", "workspace_id", "source_id", "message_id", "type", "event", "user_id", "anonymous_id", "timestamp",
    "original_timestamp", "sent_at", "received_at", "customer_id", "payload",
)  # fmt: skip
CUSTOMER_COLUMNS = (
    "id", "workspace_id", "display_name", "email", "phone", "traits", "first_seen_at", "last_seen_at",
    "merged_into_id", "created_at",
)  # fmt: skip


def event_rows(plan: Plan, ctx: Context, rng: np.random.Generator, lo: int, hi: int) -> list[tuple[Any, ...]]:
    """tracking_event rows lo..hi (by time): Segment messages as tracking stores them, with their customer."""
    micros = plan.e_ts[lo:hi]
    ids = uuid7_hex(rng, micros)
    stamps, iso = db_times(micros), iso_times(micros)
    received = db_times(micros + rng.integers(50_000, 1_500_000, hi - lo))
    session_customer, session_traffic, session_device, session_landing, session_revenue = plan.per_session
    rows = []
    for i, (session, kind, product, landing) in enumerate(
        zip(
            plan.e_session[lo:hi].tolist(),
            plan.e_kind[lo:hi].tolist(),
            plan.e_product[lo:hi].tolist(),
            plan.e_landing[lo:hi].tolist(),
            strict=True,
        )
    ):
        customer = ctx.customers[session_customer[session]]
        traffic = TRAFFIC[session_traffic[session]]
        device = DEVICES[session_device[session]]
        if landing:
            path = _landing_path(session_landing[session])
            url = SHOP + path + _utm(traffic[1], traffic[2], traffic[3])
            referrer = traffic[4]
        else:
            path = (
                f"/products/{product}"
                if kind <= ADD
                else ("/checkout" if kind in (CHECKOUT, ORDER) else "/account")
            )
            url, referrer = SHOP + path, SHOP + "/"
        title = "Home" if path == "/" else path.split("/")[1].capitalize()
        context: dict[str, Any] = {
            "ip": f"203.0.113.{int(customer[-2:], 16) % 250 + 1}",
            "userAgent": device[2],
            "locale": "fr-FR",
            "library": LIBRARY,
            "page": {"path": path, "referrer": referrer, "title": title, "url": url},
        }
        if landing and traffic[3]:
            context["campaign"] = {"source": traffic[1], "medium": traffic[2], "name": traffic[3]}
        message: dict[str, Any] = {
            "anonymousId": anon_of(customer),
            "context": context,
            "messageId": f"ajs-next-{ids[i]}",
            "timestamp": iso[i],
        }
        user_id = None
        name: str | None
        if kind == PAGE:
            kind_name, name = "page", title
            message["name"] = title
            message["properties"] = {"path": path, "referrer": referrer, "title": title, "url": url}
        elif kind == IDENTIFY:
            kind_name, name = "identify", None
            first, last, email = person_of(customer)
            user_id = f"u-{customer[-12:]}"
            message["userId"] = user_id
            message["traits"] = {"email": email, "first_name": first, "last_name": last}
        else:
            kind_name, name = "track", TRACK_NAMES[kind]
            message["event"] = name
            if kind <= ADD:
                properties: dict[str, Any] = {
                    "product_id": f"P{product:04d}",
                    "sku": f"SKU-{product:04d}",
                    "category": CATEGORIES[product % len(CATEGORIES)],
                    "price": round(9.9 + product % 90, 2),
                    "currency": "EUR",
                }
                if kind == ADD:
                    properties["quantity"] = 1 + product % 3
            elif kind in (CHECKOUT, ORDER):
                revenue = session_revenue[session] or round(20.0 + product % 150, 2)
                properties = {"order_id": f"{ctx.order_prefix}{session}", "currency": "EUR"}
                if kind == ORDER:
                    user_id = f"u-{customer[-12:]}"
                    message["userId"] = user_id
                    properties |= {
                        "revenue": revenue,
                        "total": revenue,
                        "products": [{"product_id": f"P{product:04d}", "price": revenue, "quantity": 1}],
                    }
                else:
                    properties["value"] = revenue
            else:
                properties = {"method": "email"} if kind == SIGNUP else {"list": "weekly"}
            message["properties"] = properties
        message["type"] = kind_name
        rows.append(
            (ids[i], ctx.workspace, ctx.source, message["messageId"], kind_name, name, user_id, message["anonymousId"],
             stamps[i], None, None, received[i], customer, orjson.dumps(message).decode())
        )  # fmt: skip
    return rows


# ---- writing rows straight into the store of record ---------------------------------------------------------


class Loader:
    """Bulk inserts: sqlite3 executemany (for a bulk load, secondary indexes dropped and rebuilt, no journal),
    or COPY on PostgreSQL. Values are text as SQLAlchemy stores them on SQLite, which PostgreSQL parses too."""

    BULK_TABLES = ("tracking_event", "tracking_session", "tracking_touchpoint", "identity_customer")

    def __init__(self, database_url: str, *, bulk: bool) -> None:
        self.bulk = bulk
        self.sqlite: sqlite3.Connection | None = None
        self.postgres: Any = None
        self.indexes: list[tuple[str, str]] = []
        if database_url.startswith("sqlite"):
            from sqlalchemy.engine import make_url

            self.sqlite = sqlite3.connect(str(make_url(database_url).database), isolation_level=None)
            self.sqlite.execute("PRAGMA busy_timeout=30000")
            if bulk:
                for pragma in (
                    "journal_mode=OFF",
                    "synchronous=OFF",
                    "cache_size=-2000000",
                    "temp_store=MEMORY",
                ):
                    self.sqlite.execute(f"PRAGMA {pragma}")
                marks = ", ".join("?" * len(self.BULK_TABLES))
                self.indexes = self.sqlite.execute(
                    f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                    f"AND tbl_name IN ({marks})",
                    self.BULK_TABLES,
                ).fetchall()
                for name, _ in self.indexes:
                    self.sqlite.execute(f'DROP INDEX "{name}"')
        else:
            import psycopg

            self.postgres = psycopg.connect(libpq_url(database_url))
            self.postgres.execute("SET TIME ZONE 'UTC'")

    def insert(self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self.sqlite is not None:
            marks = ", ".join("?" * len(columns))
            self.sqlite.execute("BEGIN")
            self.sqlite.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
            self.sqlite.execute("COMMIT")
            return
        with (
            self.postgres.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        self.postgres.commit()

    def finish(self) -> None:
        if self.sqlite is not None:
            for _, sql in self.indexes:
                self.sqlite.execute(sql)
            if self.bulk:
                self.sqlite.execute("PRAGMA journal_mode=WAL")
            self.sqlite.close()
        else:
            if self.bulk:
                self.postgres.execute("ANALYZE")
                self.postgres.commit()
            self.postgres.close()


def libpq_url(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


def check_formats(database_url: str, workspace: uuid.UUID) -> None:
    """Write a customer and a session through the ORM, read the raw values back, and check that the bulk
    path formats ids, times, JSON, numbers and booleans the same way (SQLite: everything is text there)."""
    from sqlalchemy import delete

    from omnicx.identity.models import Customer
    from omnicx.kernel.db import make_engine, make_session_factory
    from omnicx.tracking.models import TrackingSession

    micros = 1_767_225_600_123_456  # 2026-01-01 00:00:00.123456 UTC
    when = datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)
    traits = {"email": "léa@example.net", "first_name": "Léa", "score": 1.5}
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            customer = Customer(workspace_id=workspace, traits=traits, first_seen_at=when)
            session.add(customer)
            session.flush()
            visit = TrackingSession(
                workspace_id=workspace, customer_id=customer.id, started_at=when, ended_at=when,
                duration_seconds=12.5, device_category="desktop", landing_page="/", source="google",
                medium="organic", campaign=None, channel="Organic Search", page_views=2, event_count=3,
                engaged=True, bounced=False,
            )  # fmt: skip
            session.add(visit)
            session.commit()
            with engine.connect() as connection:
                stored = connection.exec_driver_sql(
                    "SELECT c.id, c.traits, c.first_seen_at, s.duration_seconds, s.engaged, s.bounced "
                    "FROM identity_customer c JOIN tracking_session s ON s.customer_id = c.id WHERE c.id = ?",
                    (customer.id.hex,),
                ).one()
            ours = (
                customer.id.hex,
                orjson.dumps(traits).decode(),
                db_times(np.array([micros]))[0],
                12.5,
                1,
                0,
            )
            if tuple(stored) != ours:
                raise SystemExit(f"bulk rows would not match the ORM's: stored {tuple(stored)}, ours {ours}")
            session.execute(delete(TrackingSession).where(TrackingSession.id == visit.id))
            session.execute(delete(Customer).where(Customer.id == customer.id))
            session.commit()
    finally:
        engine.dispose()


def read_back(database_url: str, event: tuple[Any, ...]) -> None:
    """One bulk-written event read through the ORM: its id, customer, time and payload come back as written."""
    from sqlalchemy import select

    from omnicx.kernel.db import make_engine, make_session_factory
    from omnicx.tracking.models import Event

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            row = session.scalars(select(Event).where(Event.id == uuid.UUID(event[0]))).one()
            assert row.customer_id == uuid.UUID(event[12]), "customer"
            assert row.timestamp.strftime("%Y-%m-%d %H:%M:%S.%f") == event[8], "timestamp"
            assert row.timestamp.tzinfo is not None, "time zone"
            assert row.payload == orjson.loads(event[13]), "payload"
    finally:
        engine.dispose()


def create_store(database_url: str) -> tuple[str, str, str]:
    """Migrate; a workspace, a source and an analyst token. Returns (workspace id, source id, token)."""
    from omnicx.app.migrations import upgrade_to_head
    from omnicx.auth import service as auth_service
    from omnicx.auth.schemas import WorkspaceCreate
    from omnicx.kernel.access.permissions import Role
    from omnicx.kernel.db import make_engine, make_session_factory
    from omnicx.tracking import service as tracking_service
    from omnicx.tracking.schemas import SourceCreate

    upgrade_to_head(database_url)
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            workspace = auth_service.create_workspace(
                session,
                data=WorkspaceCreate(slug="bench-analytics", name="Analytics bench", timezone=TIMEZONE),
            )
            source = tracking_service.create_source(
                session, workspace_id=workspace.id, data=SourceCreate(name="web")
            )
            token = auth_service.create_token(
                session, workspace_id=workspace.id, name="bench analyst", role=Role.ANALYST
            )
    finally:
        engine.dispose()
    return workspace.id.hex, source.source.id.hex, token.secret


def scratch_postgres(server_url: str) -> tuple[str, str]:
    """A new database on the given PostgreSQL server: (its URL, its name)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from omnicx.kernel.settings import _normalise_db_url

    base = make_url(_normalise_db_url(server_url))
    name = f"omnicx_bench_analytics_{int(time.time())}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False), name


def drop_postgres(database_url: str, name: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(make_url(database_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def generate(data_dir: Path, server_url: str | None, events: int, seed: int) -> World:
    from omnicx.kernel.settings import _normalise_db_url

    started = time.perf_counter()
    scratch = None
    if server_url:
        database_url, scratch = scratch_postgres(server_url)
    else:
        database_url = _normalise_db_url(f"sqlite:///{data_dir / 'omnicx.db'}")
    workspace, source, token = create_store(database_url)
    if database_url.startswith("sqlite"):
        check_formats(database_url, uuid.UUID(workspace))
    rng = np.random.default_rng(seed)
    end = datetime.now(UTC).date()
    end_us = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) * 1_000_000
    customers = max(100, events // 10)
    per_customer = rng.geometric(0.5, customers)
    plan = make_plan(
        rng, np.repeat(np.arange(customers), per_customer), events, end_us - DAYS * DAY_US, DAYS * DAY_US
    )
    sessions = len(plan.s_start)
    console.print(
        f"planned {events:,} events, {sessions:,} sessions, {customers:,} customers", highlight=False
    )

    first_seen = np.full(customers, np.iinfo(np.int64).max)
    last_seen = np.zeros(customers, dtype=np.int64)
    np.minimum.at(first_seen, plan.s_customer, plan.s_start)
    np.maximum.at(last_seen, plan.s_customer, plan.s_end)
    by_time = np.argsort(first_seen, kind="stable")
    customer_ids = np.empty(customers, dtype=object)
    customer_ids[by_time] = uuid7_hex(rng, first_seen[by_time])
    identified = np.zeros(customers, dtype=bool)
    identified[plan.s_customer[plan.e_session[plan.e_kind == IDENTIFY]]] = True
    merged = rng.random(customers) < MERGED_SHARE
    survivors = np.flatnonzero(~merged)
    merged_into = np.full(customers, -1)
    merged_into[merged] = rng.choice(survivors, int(merged.sum()))
    # Survivors first, each group by first visit: a merged customer's row never precedes its survivor's (PostgreSQL
    # checks the foreign key as each COPY ends).
    order = np.lexsort((first_seen, merged))
    ctx = Context(workspace, source, customer_ids.tolist(), channels_of_traffic(), "O-")

    loader = Loader(database_url, bulk=True)
    first_event: tuple[Any, ...] | None = None
    try:
        seen_db, last_db = db_times(first_seen[order]), db_times(last_seen[order])
        rows = []
        for i, number in enumerate(order.tolist()):
            hex_id = ctx.customers[number]
            name, email, traits = "", None, "{}"
            if identified[number]:
                first, last, email = person_of(hex_id)
                name = f"{first} {last}"
                traits = orjson.dumps({"email": email, "first_name": first, "last_name": last}).decode()
            target = int(merged_into[number])
            rows.append(
                (hex_id, workspace, name, email, None, traits, seen_db[i], last_db[i],
                 ctx.customers[target] if target >= 0 else None, seen_db[i])
            )  # fmt: skip
            if len(rows) == CHUNK:
                loader.insert("identity_customer", CUSTOMER_COLUMNS, rows)
                rows = []
        loader.insert("identity_customer", CUSTOMER_COLUMNS, rows)
        console.print(f"  customers written ({time.perf_counter() - started:.0f} s)", highlight=False)
        for lo in range(0, sessions, CHUNK):
            visits, touches, _ = session_rows(plan, ctx, rng, lo, min(lo + CHUNK, sessions))
            loader.insert("tracking_session", SESSION_COLUMNS, visits)
            loader.insert("tracking_touchpoint", TOUCHPOINT_COLUMNS, touches)
        console.print(
            f"  sessions, touchpoints written ({time.perf_counter() - started:.0f} s)", highlight=False
        )
        for lo in range(0, events, CHUNK):
            chunk = event_rows(plan, ctx, rng, lo, min(lo + CHUNK, events))
            first_event = first_event or chunk[0]
            loader.insert("tracking_event", EVENT_COLUMNS, chunk)
            if lo // CHUNK % 10 == 9:
                done = lo + len(chunk)
                console.print(
                    f"  {done:,} events written ({time.perf_counter() - started:.0f} s)", highlight=False
                )
        indexing = time.perf_counter()
    finally:
        loader.finish()
    console.print(f"  indexes rebuilt ({time.perf_counter() - indexing:.0f} s)", highlight=False)
    assert first_event is not None
    read_back(database_url, first_event)
    return World(
        database_url=database_url,
        workspace_id=workspace,
        source_id=source,
        token=token,
        end=end.isoformat(),
        events=events,
        sessions=sessions,
        customers=customers,
        merged=int(merged.sum()),
        seed=seed,
        generated_seconds=time.perf_counter() - started,
        scratch_database=scratch,
    )


def forget_incremental(world: World) -> None:
    """Remove what an earlier run's incremental phase added (everything from `end` on), undo its merges."""
    from sqlalchemy import delete, update

    from omnicx.identity.models import Customer
    from omnicx.kernel.db import make_engine, make_session_factory
    from omnicx.kernel.jobs.models import Change
    from omnicx.tracking.models import Event, Touchpoint, TrackingSession

    end = datetime.fromisoformat(world.end).replace(tzinfo=UTC)
    workspace = uuid.UUID(world.workspace_id)
    engine = make_engine(world.database_url)
    try:
        with make_session_factory(engine)() as session:
            session.execute(delete(Event).where(Event.workspace_id == workspace, Event.received_at >= end))
            session.execute(
                delete(Touchpoint).where(Touchpoint.workspace_id == workspace, Touchpoint.at >= end)
            )
            session.execute(
                delete(TrackingSession).where(
                    TrackingSession.workspace_id == workspace, TrackingSession.started_at >= end
                )
            )
            if world.incremental_merged:
                ids = [uuid.UUID(i) for i in world.incremental_merged]
                session.execute(update(Customer).where(Customer.id.in_(ids)).values(merged_into_id=None))
            session.execute(delete(Change).where(Change.workspace_id == workspace))
            session.commit()
    finally:
        engine.dispose()
    world.incremental_merged = []


# ---- phases, each in a process of its own ------------------------------------------------------------------


def runtime_for(data_dir: Path, world: World) -> Any:
    from omnicx.app.wiring import wire
    from omnicx.kernel.runtime import build_runtime
    from omnicx.kernel.settings import Settings

    settings = Settings(
        database_url=world.database_url,
        data_dir=data_dir,
        secret_key=secrets.token_urlsafe(32),
        environment="test",
        run_worker_in_process=False,
    )
    wire()
    return build_runtime(settings)


def peak_mib() -> float:
    """This process's resident high-water mark (VmHWM: unlike ru_maxrss, not inherited from the parent)."""
    return high_water_mib("self")


def resident_mib(pid: int | str = "self") -> float:
    return _status_field(pid, "VmRSS")


def high_water_mib(pid: int | str) -> float:
    return _status_field(pid, "VmHWM")


def _status_field(pid: int | str, name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def phase_rebuild(data_dir: Path, world: World, _args: argparse.Namespace) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from omnicx.analytics import service as analytics_service

    runtime = runtime_for(data_dir, world)
    baseline = resident_mib()
    totals = {"events": world.events, "sessions": world.sessions, "touchpoints": world.sessions}
    begun: dict[str, float] = {}
    _mark_feeders(begun)
    with Progress(
        TextColumn("{task.description:<12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        tasks = {name: progress.add_task(name, total=total) for name, total in totals.items()}

        def tick(table: str, rows: int) -> None:
            progress.advance(tasks[table], rows)

        started = time.perf_counter()
        rows = analytics_service.rebuild(runtime, progress=tick)
        elapsed = time.perf_counter() - started
    runtime.close()
    marks = [*sorted(begun.items(), key=lambda item: item[1]), ("", started + elapsed)]
    return {
        "seconds": elapsed,
        "rows": rows,
        "tables": {name: marks[i + 1][1] - at for i, (name, at) in enumerate(marks[:-1])},
        "peak_mib": peak_mib(),
        "baseline_mib": baseline,
    }


def _mark_feeders(begun: dict[str, float]) -> None:
    """Register the wired feeders again, each noting when the rebuild first calls it: where each table's
    share of the rebuild starts (the copy's catalog order: events, sessions, touchpoints, customer map)."""
    from omnicx.analytics import service as analytics_service
    from omnicx.analytics.feeders import row_feeder, snapshot_feeder

    def noted(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            begun.setdefault(name, time.perf_counter())
            return function(*args)

        return call

    for name in ("events", "sessions", "touchpoints"):
        rows = row_feeder(name)
        analytics_service.register_feeder(
            analytics_service.RowFeeder(
                table=name, load=rows.load, scan=noted(name, rows.scan), count=rows.count
            )
        )
    snapshot = snapshot_feeder("customer_map")
    analytics_service.register_feeder(
        analytics_service.SnapshotFeeder(
            table="customer_map",
            snapshot=snapshot.snapshot,
            owners=noted("customer map, publishing, sync", snapshot.owners),
        )
    )


def phase_incremental(data_dir: Path, world: World, args: argparse.Namespace) -> dict[str, Any]:
    """Events after the history (a day after `end`), as processing jobs leave them, then one timed sync."""
    from sqlalchemy import select, update

    from omnicx.analytics import service as analytics_service
    from omnicx.analytics.enums import Stream
    from omnicx.identity.models import Customer
    from omnicx.kernel.db import transaction
    from omnicx.kernel.jobs.feed import record_changes

    runtime = runtime_for(data_dir, world)
    workspace = uuid.UUID(world.workspace_id)
    rng = np.random.default_rng(world.seed + 1)
    with runtime.sessions() as session:
        live = [
            i.hex
            for i in session.scalars(
                select(Customer.id).where(
                    Customer.workspace_id == workspace, Customer.merged_into_id.is_(None)
                )
            )
        ]
    events = args.incremental
    plan = make_plan(
        rng, rng.integers(0, len(live), max(1, events // 5)), events, world.end_us + DAY_US, 2 * HOUR_US
    )
    ctx = Context(world.workspace_id, world.source_id, live, channels_of_traffic(), "I-")
    loader = Loader(world.database_url, bulk=False)
    try:
        visits, touches, session_ids = session_rows(plan, ctx, rng, 0, len(plan.s_start))
        loader.insert("tracking_session", SESSION_COLUMNS, visits)
        loader.insert("tracking_touchpoint", TOUCHPOINT_COLUMNS, touches)
        rows = event_rows(plan, ctx, rng, 0, events)
        loader.insert("tracking_event", EVENT_COLUMNS, rows)
    finally:
        loader.finish()
    touch_of = {visit[0]: touch[0] for visit, touch in zip(visits, touches, strict=True)}
    sessions_of_events = plan.e_session.tolist()
    for lo in range(0, events, EVENTS_PER_JOB):
        job_sessions = sorted({session_ids[s] for s in sessions_of_events[lo : lo + EVENTS_PER_JOB]})
        with transaction(runtime.sessions) as session:
            for stream, ids in (
                (Stream.EVENTS, [r[0] for r in rows[lo : lo + EVENTS_PER_JOB]]),
                (Stream.SESSIONS, job_sessions),
                (Stream.TOUCHPOINTS, [touch_of[s] for s in job_sessions]),
            ):
                record_changes(
                    session, workspace_id=workspace, stream=stream.value, upserted=[uuid.UUID(i) for i in ids]
                )
    pairs = rng.choice(len(live), (INCREMENTAL_MERGES, 2), replace=False)
    with transaction(runtime.sessions) as session:
        for source, target in pairs.tolist():
            session.execute(
                update(Customer)
                .where(Customer.id == uuid.UUID(live[source]))
                .values(merged_into_id=uuid.UUID(live[target]))
            )
        record_changes(
            session, workspace_id=workspace, stream=Stream.CUSTOMER_MAP.value, upserted=[workspace]
        )
    started = time.perf_counter()
    result = analytics_service.sync(runtime)
    elapsed = time.perf_counter() - started
    runtime.close()
    return {
        "seconds": elapsed,
        "events": events,
        "sessions": len(visits),
        "result": result.model_dump(),
        "merged": [live[source] for source, _ in pairs.tolist()],
    }


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def phase_engine(data_dir: Path, world: World, args: argparse.Namespace) -> dict[str, Any]:
    """Through omnicx's engine (`analytics_service.query`), what no route serves alone: sessions per channel per
    day, and the switching matrix (the overlap page's route computes it with the rest of the page)."""
    from omnicx.analytics import service as analytics_service
    from omnicx.journeys import service as journeys_service
    from omnicx.journeys.schemas import OverlapQuery
    from omnicx.kernel.dates import day_bounds
    from omnicx.overview.service.summary import SESSIONS_PER_DAY

    runtime = runtime_for(data_dir, world)
    since, until = day_bounds(*world.window(REPORT_DAYS), TIMEZONE)
    overlap = OverlapQuery(date_from=world.window(REPORT_DAYS)[0], date_to=world.window(REPORT_DAYS)[1])
    statements = {
        "sessions_per_day": (SESSIONS_PER_DAY, {"since": since, "until": until, "tz": TIMEZONE}),
        "switching": journeys_service.overlap_statements(overlap, since, until)["switching"],
    }
    workspace = uuid.UUID(world.workspace_id)
    found: dict[str, Any] = {"peak_mib": 0.0}
    for name, (sql, params) in statements.items():
        times, rows = [], 0
        for run in range(WARMUPS + args.runs):
            started = time.perf_counter()
            with runtime.sessions() as session:
                rows = len(analytics_service.query(session, workspace_id=workspace, sql=sql, params=params))
            if run >= WARMUPS:
                times.append(time.perf_counter() - started)
        found[name] = times
        found[f"{name}_rows"] = rows
    runtime.close()
    found["peak_mib"] = peak_mib()
    return found


def live_files(data_dir: Path, world: World) -> dict[str, list[str]]:
    """The workspace's live segments per table, as the manifest lists them."""
    from sqlalchemy import select

    from omnicx.analytics.models import Segment
    from omnicx.kernel.db import make_engine, make_session_factory

    engine = make_engine(world.database_url)
    found: dict[str, list[str]] = {
        "events": [],
        "sessions": [],
        "touchpoints": [],
        "customer_map": [],
        "orders": [],
        "conversations": [],
    }
    try:
        with make_session_factory(engine)() as session:
            segments = session.scalars(
                select(Segment)
                .where(Segment.workspace_id == uuid.UUID(world.workspace_id), Segment.retired_at.is_(None))
                .order_by(Segment.seq, Segment.id)
            ).all()
    finally:
        engine.dispose()
    for segment in segments:
        if segment.kind != "rows":
            raise SystemExit(
                f"the copy holds tombstones ({segment.path}): rebuild it before the bare engine runs"
            )
        found.setdefault(segment.table_name, []).append(str(data_dir / "analytics" / segment.path))
    return found


Query = tuple[str, dict[str, Any]]


def bare_queries(world: World, files: dict[str, list[str]]) -> dict[str, list[Query]]:
    """Each page's distinct queries, in the SQL omnicx runs (its stage paths and daily conversions with the
    conversion view, session counts), over read_parquet of the same live files, with the customer map joined."""
    from omnicx.analytics.catalog import TABLES
    from omnicx.attribution.paths import MAX_TOUCHES, UNATTRIBUTED
    from omnicx.attribution.service.inputs import (
        CONVERSION,
        FIRST_OCCURRENCE_HORIZON,
        PATHS,
        SESSIONS_BY_CHANNEL,
    )
    from omnicx.attribution.service.stages import DEFAULT_STAGES
    from omnicx.journeys import service as journeys_service
    from omnicx.journeys.schemas import FunnelQuery, OverlapQuery, PathQuery
    from omnicx.kernel.dates import day_bounds
    from omnicx.overview.service.summary import SESSIONS_PER_DAY

    lookback = timedelta(days=30)  # the default stages' window

    def pointer(key: object) -> str | None:
        return None if not key else "/" + str(key).replace("~", "~0").replace("/", "~1")

    def table(name: str, bound: dict[str, Any], people: bool) -> str:
        """The CTE of a table over its files; with `people`, its rows' current customer as `person_id`."""
        if not files[name]:  # nothing copied (the generated world has no commerce orders): an empty table
            columns = ", ".join(f"CAST(NULL AS {c.sql}) AS {c.name}" for c in TABLES[name].columns)
            return f"{name} AS (SELECT *, customer_id AS person_id FROM (SELECT {columns}) WHERE false)"
        bound[f"{name}_files"] = files[name]
        if not people:
            return f"{name} AS (SELECT * FROM read_parquet(${name}_files))"
        if not files["customer_map"]:
            return f"{name} AS (SELECT *, customer_id AS person_id FROM read_parquet(${name}_files))"
        bound["customer_map"] = files["customer_map"]
        return (
            f"{name} AS (SELECT r.*, coalesce(m.current_id, r.customer_id) AS person_id "
            f"FROM read_parquet(${name}_files) r "
            "LEFT JOIN read_parquet($customer_map) m ON m.customer_id = r.customer_id)"
        )

    def over(
        tables: list[str],
        sql: str,
        params: dict[str, Any],
        views: dict[str, str] | None = None,
        *,
        session_people: bool = False,
    ) -> Query:
        """`sql` over the tables' CTEs; sessions carry `person_id` only with `session_people` (the session
        counts the Overview and the report read do not need it)."""
        bound = dict(params)
        ctes = [table(name, bound, name != "sessions" or session_people) for name in tables] + [
            f"{n} AS ({body})" for n, body in (views or {}).items()
        ]
        stripped = sql.lstrip()
        rest = f", {stripped[4:]}" if stripped[:4].upper() == "WITH" else f" {stripped}"
        return f"WITH {', '.join(ctes)}{rest}", bound

    def stage_params(key: Any, stage: dict[str, object], start: datetime, end: datetime) -> dict[str, Any]:
        once = key.value != "sale"
        return {
            "since": start - FIRST_OCCURRENCE_HORIZON if once else start,
            "until": end,
            "range_start": start,
            "names": sorted(stage["event_names"]),  # type: ignore[call-overload]
            "trait": pointer(stage["identify_trait"]),
            "property": pointer(stage["value_property"]),
            "once": once,
        }

    def stage_queries(start: datetime, end: datetime) -> list[Query]:
        """Every stage's paths and daily conversions in one statement, as `attribution.service.inputs.paths`
        builds it: one block of the conversion view per stage, its parameters prefixed by its number."""
        blocks, params = [], {}
        for number, (key, stage) in enumerate(DEFAULT_STAGES.items()):
            prefix = f"s{number}_"
            blocks.append(
                f"SELECT {number} AS stage, * FROM ({CONVERSION.replace('$', '$' + prefix)}) c{number}"
            )
            params |= {prefix + k: v for k, v in stage_params(key, stage, start, end).items()}
        params |= {
            "range_start": start,
            "until": end,
            "idle_since": max(start, end - lookback),
            "lookback": lookback,
            "longest": MAX_TOUCHES,
            "unattributed": UNATTRIBUTED,
            "timed": False,
            "tz": TIMEZONE,
            "stages": list(range(len(blocks))),
        }
        return [over(["events", "touchpoints"], PATHS, params, {"conversion": " UNION ALL ".join(blocks)})]

    o_start, o_end = day_bounds(*world.window(OVERVIEW_DAYS), TIMEZONE)
    r_start, r_end = day_bounds(*world.window(REPORT_DAYS), TIMEZONE)
    overlap = journeys_service.overlap_statements(
        OverlapQuery(date_from=world.window(REPORT_DAYS)[0], date_to=world.window(REPORT_DAYS)[1]),
        r_start,
        r_end,
    )
    return {
        "overview": [
            *stage_queries(o_start, o_end),
            over(["sessions"], SESSIONS_BY_CHANNEL, {"since": o_start, "until": o_end}),
            over(["sessions"], SESSIONS_PER_DAY, {"since": o_start, "until": o_end, "tz": TIMEZONE}),
        ],
        "report": [
            *stage_queries(r_start, r_end),
            over(["sessions"], SESSIONS_BY_CHANNEL, {"since": r_start, "until": r_end}),
        ],
        "sessions_per_day": [
            over(["sessions"], SESSIONS_PER_DAY, {"since": r_start, "until": r_end, "tz": TIMEZONE}),
        ],
        "funnel": [
            over(
                ["events", "touchpoints"],
                *journeys_service.funnel_statement(
                    FunnelQuery.parse(
                        FUNNEL["step"],
                        date_from=world.window(OVERVIEW_DAYS)[0],
                        date_to=world.window(OVERVIEW_DAYS)[1],
                        window_hours=FUNNEL["window_hours"],
                    ),
                    o_start,
                    o_end,
                    TIMEZONE,
                ),
            )
        ],
        "overlap": [
            over(["touchpoints", "orders", "sessions"], sql, params, session_people=True)
            for sql, params in overlap.values()
        ],
        "switching": [over(["touchpoints"], *overlap["switching"])],
        "paths": [
            over(
                ["events"],
                *journeys_service.path_statement(
                    PathQuery(
                        date_from=world.window(OVERVIEW_DAYS)[0], date_to=world.window(OVERVIEW_DAYS)[1]
                    ),
                    o_start,
                    o_end,
                ),
            )
        ],
        "map": [
            over(
                MAP_TABLES,
                *journeys_service.journey_statement(journeys_service.default_map(), o_start, o_end),
                session_people=True,
            )
        ],
    }


def phase_bare(data_dir: Path, world: World, args: argparse.Namespace) -> dict[str, Any]:
    import duckdb

    pages = bare_queries(world, live_files(data_dir, world))
    database = duckdb.connect(":memory:")
    database.execute("SET TimeZone = 'UTC'")  # as omnicx's engine
    database.execute("SET parquet_metadata_cache = true")
    results: dict[str, Any] = {}
    for page, queries in pages.items():
        arrow: list[float] = []
        rows: list[float] = []
        counts: list[int] = []
        for run in range(WARMUPS + args.runs):
            # Python rows are a reference only: at most ROW_RUNS timed runs of them.
            for fetch, times in (("arrow", arrow), ("rows", rows))[: 2 if run < WARMUPS + ROW_RUNS else 1]:
                started = time.perf_counter()
                counts = []
                for sql, params in queries:
                    cursor = database.cursor()
                    if fetch == "arrow":
                        counts.append(cursor.sql(sql, params=params).to_arrow_table().num_rows)
                    else:
                        counts.append(len(cursor.execute(sql, params).fetchall()))
                    cursor.close()
                if run >= WARMUPS:
                    times.append(time.perf_counter() - started)
        results[page] = {"arrow": arrow, "rows": rows, "counts": counts}
    by_channel = database.execute(*pages["report"][-1]).fetchall()
    results["report_sessions"] = sum(int(count) for _, count in by_channel)
    results["peak_mib"] = peak_mib()
    return results


def phase_profile(data_dir: Path, world: World, _args: argparse.Namespace) -> dict[str, Any]:
    """The Overview and the report in-process: wall time once plain, then once under cProfile."""
    from omnicx.attribution import service as attribution_service
    from omnicx.attribution.schemas import Model, ReportQuery
    from omnicx.kernel.access.permissions import Role
    from omnicx.overview import service as overview_service
    from omnicx.overview.schemas import OverviewQuery

    runtime = runtime_for(data_dir, world)
    workspace = uuid.UUID(world.workspace_id)
    (o_from, o_to), (r_from, r_to) = world.window(OVERVIEW_DAYS), world.window(REPORT_DAYS)
    jobs: dict[str, Callable[[Any], object]] = {
        "overview": lambda session: overview_service.overview(
            session,
            workspace_id=workspace,
            query=OverviewQuery(date_from=o_from, date_to=o_to),
            sections=overview_service.sections_for(Role.ANALYST),
        ),
        "report": lambda session: attribution_service.report(
            session,
            workspace_id=workspace,
            query=ReportQuery(date_from=r_from, date_to=r_to, model=Model.MARKOV, order=1),
        ),
    }
    found: dict[str, Any] = {}
    for name, job in jobs.items():
        with runtime.sessions() as session:
            job(session)  # warm
        started = time.perf_counter()
        with runtime.sessions() as session:
            job(session)
        plain = time.perf_counter() - started
        profiler = cProfile.Profile()
        with runtime.sessions() as session:
            profiler.runcall(job, session)
        found[name] = {"seconds": plain, "text": _profile_text(profiler)}
    runtime.close()
    return found


def _profile_text(profiler: cProfile.Profile) -> str:
    """omnicx's functions by cumulative time, then any function by its own time."""
    stats: dict[tuple[str, int, str], tuple[int, int, float, float, Any]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]

    def label(func: tuple[str, int, str]) -> str:
        path, line, name = func
        short = path.split("/site-packages/")[-1].split("/src/")[-1]
        return name if path == "~" else f"{short}:{line} {name}"

    def lines(
        title: str, chosen: list[tuple[tuple[str, int, str], tuple[int, int, float, float, Any]]]
    ) -> list[str]:
        found = [f"  {'cumulative':>10} {'own':>8} {'calls':>9}  {title}"]
        for func, (_, calls, own, cumulative, _) in chosen:
            found.append(f"  {cumulative:>9.3f}s {own:>7.3f}s {calls:>9,}  {label(func)}")
        return found

    ours = sorted(((f, v) for f, v in stats.items() if "/omnicx/" in f[0]), key=lambda item: -item[1][3])
    anything = sorted(stats.items(), key=lambda item: -item[1][2])
    return "\n".join(
        lines("omnicx's functions, by cumulative time", ours[:22])
        + lines("any function, by own time", anything[:14])
    )


PHASES: dict[str, Callable[[Path, World, argparse.Namespace], dict[str, Any]]] = {
    "rebuild": phase_rebuild,
    "incremental": phase_incremental,
    "engine": phase_engine,
    "bare": phase_bare,
    "profile": phase_profile,
}


def run_phase(name: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    out = data_dir / f"phase-{name}.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable, str(HERE), "--phase", name, "--reuse", str(data_dir), "--runs", str(args.runs),
        "--incremental", str(args.incremental), "--out", str(out),
    ]  # fmt: skip
    subprocess.run(command, check=True)
    result: dict[str, Any] = json.loads(out.read_text())
    return result


# ---- the server and its routes -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`omnicx serve --no-worker` on a loopback port against the benchmark's data directory and database."""

    def __init__(self, data_dir: Path, world: World) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "OMNICX_DATABASE_URL": world.database_url,
            "OMNICX_DATA_DIR": str(data_dir),
            "OMNICX_SECRET_KEY": secrets.token_urlsafe(32),
            "OMNICX_ENVIRONMENT": "production",
            "OMNICX_RATE_LIMITS_ENABLED": "false",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [sys.executable, "-m", "omnicx", "serve", "--port", str(self.port), "--no-worker"]
        log = (self.data_dir / "server.log").open("ab")
        self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"omnicx serve did not start (see {self.data_dir / 'server.log'})")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


def time_routes(data_dir: Path, world: World, runs: int) -> dict[str, Any]:
    o_from, o_to = world.window(OVERVIEW_DAYS)
    r_from, r_to = world.window(REPORT_DAYS)
    routes = {
        "overview": ("/api/v1/overview", {"date_from": o_from, "date_to": o_to}),
        "report": (
            "/api/v1/attribution/report",
            {"date_from": r_from, "date_to": r_to, "model": "markov", "order": 1},
        ),
        "funnel": ("/api/v1/journeys/funnel", {**FUNNEL, "date_from": o_from, "date_to": o_to}),
        "overlap": ("/api/v1/journeys/overlap", {"date_from": r_from, "date_to": r_to}),
        "paths": ("/api/v1/journeys/paths", {"date_from": o_from, "date_to": o_to}),
        "map": ("/api/v1/journeys/map", {"date_from": o_from, "date_to": o_to}),
    }
    found: dict[str, Any] = {}
    with (
        Server(data_dir, world) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {world.token}"}, timeout=900
        ) as client,
    ):
        assert server.process is not None
        for name, (path, params) in routes.items():
            times = []
            body: dict[str, Any] = {}
            for run in range(WARMUPS + runs):
                started = time.perf_counter()
                response = client.get(path, params={k: _text(v) for k, v in params.items()})
                elapsed = time.perf_counter() - started
                response.raise_for_status()
                if run >= WARMUPS:
                    times.append(elapsed)
                body = response.json()
            found[name] = {"times": times, "body": body}
            console.print(f"  {name}: p50 {statistics.median(times):.3f} s", highlight=False)
        found["server_peak_mib"] = high_water_mib(server.process.pid)
    return found


def _text(value: Any) -> Any:
    """A query parameter as httpx sends it: lists (repeated parameters) item by item."""
    return [str(item) for item in value] if isinstance(value, list) else str(value)


def ingest_rate(events: int) -> float | None:
    """bench/ingest.py in this run: events/s through POST /v1/batch (its own server and scratch database, on
    DuckDB: a chdb path admits one process, and this run's is the benchmark's)."""
    command = [sys.executable, str(HERE.parent / "ingest.py"), "--events", str(events)]
    env = {name: value for name, value in os.environ.items() if name != ENGINE_VARIABLE}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    found = re.search(r"throughput\s+([\d,]+) events/s", done.stdout)
    if done.returncode != 0 or not found:
        console.print(f"[red]bench/ingest.py failed[/]\n{done.stdout[-1500:]}{done.stderr[-1500:]}")
        return None
    return float(found.group(1).replace(",", ""))


# ---- the report --------------------------------------------------------------------------------------------


def _seconds(value: float) -> str:
    return f"{value:.3f} s"


def report(
    world: World,
    rebuild: dict[str, Any],
    incremental: dict[str, Any] | None,
    http: dict[str, Any],
    engine: dict[str, Any],
    bare: dict[str, Any],
    ingest: float | None,
    runs: int,
    engine_name: str = "duckdb",
) -> list[str]:
    """Print the table; returns the names of the queries that missed a target."""
    table = Table(
        title=f"omnicx analytics on {engine_name}, {world.events:,} events, p50/p95 over {runs} runs "
        "(ratio: p50 / bare DuckDB p50)"
    )
    for column in ("metric", "p50", "p95", "target", "met?", "ratio to bare engine"):
        table.add_column(column, justify="left" if column in ("metric", "target") else "right")
    missed = []
    measured = {
        "overview": ("Overview, 30 days (HTTP)", http["overview"]["times"]),
        "report": ("Attribution report, Markov order 1, 90 days (HTTP)", http["report"]["times"]),
        "sessions_per_day": (
            "Sessions per channel per day, 90 days (engine, no route)",
            engine["sessions_per_day"],
        ),
        "funnel": ("Funnel, 3 steps, 30 days (HTTP)", http["funnel"]["times"]),
        "overlap": ("Channel overlap and switching matrix, 90 days (HTTP)", http["overlap"]["times"]),
        "switching": ("Switching matrix alone, 90 days (engine)", engine["switching"]),
        "paths": ("Paths, 5 steps from entry, 30 days (HTTP)", http["paths"]["times"]),
        "map": ("Journey map, default stages, 30 days (HTTP)", http["map"]["times"]),
    }
    for key, (label, times) in measured.items():
        p50, p95 = statistics.median(times), percentile(times, 0.95)
        bare_p50 = statistics.median(bare[key]["arrow"])
        ratio = p50 / bare_p50
        met = p95 <= TARGET_P95 and ratio <= TARGET_RATIO
        if not met:
            missed.append(key)
        table.add_row(
            label,
            _seconds(p50),
            _seconds(p95),
            f"p95 <= {TARGET_P95:.0f} s, <= {TARGET_RATIO}x",
            "[green]yes[/]" if met else "[red]no[/]",
            f"{ratio:.1f}x",
        )
        queries = len(bare[key]["counts"])
        for fetch, name in (("arrow", "Arrow"), ("rows", "Python rows")):
            values = bare[key][fetch]
            table.add_row(
                f"  bare DuckDB, {queries} quer{'y' if queries == 1 else 'ies'}, {name}",
                _seconds(statistics.median(values)),
                _seconds(percentile(values, 0.95)),
                "",
                "",
                "1.0x" if fetch == "arrow" else f"{statistics.median(values) / bare_p50:.1f}x",
            )
    table.add_section()
    rates = [("Full sync (rebuild), events/s", world.events / rebuild["seconds"])]
    if incremental:
        rates.append(("Incremental sync, events/s", incremental["events"] / incremental["seconds"]))
    target = f">= ingest {ingest:,.0f}/s" if ingest else "ingest rate (not measured)"
    for label, rate in rates:
        met = ingest is not None and rate >= ingest
        table.add_row(label, f"{rate:,.0f}", "", target, "[green]yes[/]" if met else "[red]no[/]", "")
    if ingest:
        table.add_row("Ingest, POST /v1/batch (bench/ingest.py), events/s", f"{ingest:,.0f}", "", "", "", "")
    table.add_section()
    table.add_row("Peak memory, server (VmHWM)", f"{http['server_peak_mib']:,.0f} MiB", "", "", "", "")
    table.add_row(
        "Peak memory, rebuild process",
        f"{rebuild['peak_mib']:,.0f} MiB",
        "",
        f"(from {rebuild['baseline_mib']:,.0f} MiB)",
        "",
        "",
    )
    table.add_row("Peak memory, bare DuckDB process", f"{bare['peak_mib']:,.0f} MiB", "", "", "", "")
    console.print(table)
    console.print(
        f"store of record: {world.events:,} events, {world.sessions:,} sessions and touchpoints, "
        f"{world.customers:,} customers ({world.merged:,} merged), generated in {world.generated_seconds:.0f} s "
        f"(not timed) on {'SQLite' if world.database_url.startswith('sqlite') else 'PostgreSQL'}",
        highlight=False,
    )
    parts = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in rebuild["tables"].items())
    console.print(
        f"full sync: {rebuild['rows']:,} rows in {rebuild['seconds']:.1f} s ({parts})",
        highlight=False,
    )
    if incremental:
        result = incremental["result"]
        console.print(
            f"incremental sync: {incremental['events']:,} events, {incremental['sessions']:,} sessions and as "
            f"many touchpoints, {INCREMENTAL_MERGES} merges: {result['changes']:,} changes, {result['rows']:,} "
            f"rows, {result['tombstones']:,} tombstones, {result['compactions']} compactions in "
            f"{incremental['seconds']:.1f} s",
            highlight=False,
        )
    overview, attribution = http["overview"]["body"], http["report"]["body"]
    sales = attribution["totals"]["sale"]
    console.print(
        f"answers: Overview {overview['sessions']:,} sessions, {overview['totals']['sales']:,.0f} sales; report "
        f"{attribution['sessions']:,} sessions (bare engine: {bare['report_sessions']:,}), "
        f"{len(attribution['channels'])} channels, {sales['conversions']:,.0f} sales worth {sales['value']:,.0f} EUR",
        highlight=False,
    )
    if attribution["sessions"] != bare["report_sessions"]:
        console.print("[red]the report's session count differs from the bare engine's[/]")
    console.print(
        f"machine load {os.getloadavg()[0]:.2f} (1 min; other processes skew timings)", highlight=False
    )
    return missed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, help="where to generate (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the data directory (and scratch database)")
    parser.add_argument("--reuse", type=Path, help="a data directory kept by an earlier run: skip generation")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch database on")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--incremental", type=int, default=100_000, help="events for the incremental sync")
    parser.add_argument(
        "--ingest-events", type=int, default=20_000, help="events bench/ingest.py sends (0: skip)"
    )
    parser.add_argument("--profile", action="store_true", help="profile even when every target is met")
    parser.add_argument(
        "--skip-rebuild",
        action="store_true",
        help="with --reuse: keep the copy an earlier run built, and report that run's full-sync figures",
    )
    parser.add_argument(
        "--engine", choices=("duckdb", "chdb"), default="duckdb", help="omnicx's analytics engine (see above)"
    )
    parser.add_argument("--phase", choices=sorted(PHASES), help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        world = World.load(args.reuse)
        args.out.write_text(json.dumps(PHASES[args.phase](args.reuse, world, args)))
        return

    if args.reuse:
        data_dir, keep = args.reuse, True
        world = World.load(data_dir)
        console.print(
            f"reusing {data_dir}: {world.events:,} events (generated in {world.generated_seconds:.0f} s)"
        )
        forget_incremental(world)
        world.save(data_dir)
    else:
        data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="omnicx-bench-analytics-"))
        data_dir.mkdir(parents=True, exist_ok=True)
        if World.path(data_dir).exists():
            raise SystemExit(f"{data_dir} already holds a benchmark world: pass --reuse {data_dir}")
        keep = args.keep
        console.print(f"generating {args.events:,} events in {data_dir} (not timed)...")
        world = generate(data_dir, args.database_url, args.events, args.seed)
        world.save(data_dir)
        console.print(f"generated in {world.generated_seconds:.0f} s")
    try:
        os.environ.pop(ENGINE_VARIABLE, None)
        console.print(
            "full sync (rebuild)"
            + (", DuckDB first for the bare engine" if args.engine == "chdb" else "")
            + "..."
        )
        earlier = data_dir / "phase-rebuild.json"
        if args.skip_rebuild and args.reuse and earlier.exists():
            console.print("  (the copy and its full-sync figures from the run that built it: --skip-rebuild)")
            rebuild = json.loads(earlier.read_text())
        else:
            rebuild = run_phase("rebuild", data_dir, args)
        size = sum(p.stat().st_size for p in (data_dir / "analytics").rglob("*.parquet")) / 2**20
        console.print(f"  {rebuild['seconds']:.1f} s; Parquet on disk {size:,.0f} MiB", highlight=False)
        if args.engine == "chdb":
            os.environ[ENGINE_VARIABLE] = f"chdb://{data_dir / 'analytics-chdb'}?database=omnicx"
            console.print("full sync (rebuild) on chdb...")
            rebuild = run_phase("rebuild", data_dir, args)
            size = (
                sum(p.stat().st_size for p in (data_dir / "analytics-chdb").rglob("*") if p.is_file()) / 2**20
            )
            console.print(f"  {rebuild['seconds']:.1f} s; chdb on disk {size:,.0f} MiB", highlight=False)
        ingest = None
        if args.ingest_events:
            console.print(f"ingest reference: bench/ingest.py --events {args.ingest_events}...")
            ingest = ingest_rate(args.ingest_events)
        console.print("omnicx over HTTP...")
        http = time_routes(data_dir, world, args.runs)
        console.print("omnicx engine, sessions per channel per day...")
        engine = run_phase("engine", data_dir, args)
        console.print("bare DuckDB...")
        bare = run_phase("bare", data_dir, args)
        incremental = None
        if args.incremental:  # 0: the copy stays as the full sync built it (and --skip-rebuild can reuse it)
            console.print(f"incremental sync ({args.incremental:,} events)...")
            incremental = run_phase("incremental", data_dir, args)
            world.incremental_merged = incremental["merged"]
            world.save(data_dir)
        missed = report(world, rebuild, incremental, http, engine, bare, ingest, args.runs, args.engine)
        if args.profile or {"overview", "report"} & set(missed):
            console.print("profiling the Overview and the report in-process (cProfile)...")
            profile = run_phase("profile", data_dir, args)
            for name, found in profile.items():
                console.print(f"\n[bold]{name}[/] in-process: {found['seconds']:.3f} s", highlight=False)
                console.print(found["text"], highlight=False, markup=False)
    finally:
        if not keep:
            if world.scratch_database:
                drop_postgres(world.database_url, world.scratch_database)
            shutil.rmtree(data_dir, ignore_errors=True)
        else:
            console.print(f"kept {data_dir}: run again with --reuse {data_dir}")


if __name__ == "__main__":
    main()
