"""The process-wide runtime: settings, database engine and session factory, realtime bus, group-commit queue,
rate limiter, DNS resolver.

Built once per process (web server, worker, CLI command) by `build_runtime(settings)` and passed explicitly;
tests build as many as they need, each against its own database.
"""

from __future__ import annotations

import gc
import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from omnicx.kernel.access.security import use_cheap_password_hashing
from omnicx.kernel.db import WriterLock, make_engine, make_session_factory
from omnicx.kernel.dns import DnsResolver, Resolver
from omnicx.kernel.limits import Limiter, make_limiter
from omnicx.kernel.realtime.bus import Bus, make_bus
from omnicx.kernel.realtime.service import install_publish_after_commit
from omnicx.kernel.settings import Settings
from omnicx.kernel.writes import GroupCommit

# Group-commit threads per database (see `writes.GroupCommit`): SQLite takes one writer at a time.
WRITE_LANES = {"postgresql": 2, "sqlite": 1}
# Units per transaction of the bulk queue: eight requests of 100 events commit in one go, short enough that the
# chat's queue is never kept from the write lock for long.
BULK_BATCH = 8


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bus: Bus
    writes: GroupCommit
    # Large units (a request's batch of events) queue apart from `writes`, in smaller batches: a chat message
    # never waits behind a run of them.
    bulk_writes: GroupCommit
    limiter: Limiter
    # Every DNS question (mail authentication, ownership proofs) goes through this one resolver.
    resolver: Resolver
    closed: bool = field(default=False)

    def close(self) -> None:
        if not self.closed:
            self.writes.close()
            self.bulk_writes.close()
            self.bus.close()
            self.limiter.close()
            self.engine.dispose()
            self.closed = True


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory, and the embedded database file, readable by the running account only.

    They hold the secret key, the customers' data and the providers' credentials. SQLite gives its -wal and -shm
    files the database file's permissions, so creating the file first (0600) keeps all three private.
    """
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    url = make_url(settings.resolved_database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        path = Path(url.database)
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def build_runtime(
    settings: Settings, *, writer_lock: WriterLock | None = None, resolver: Resolver | None = None
) -> Runtime:
    """`writer_lock`: shared with other processes writing the same SQLite file (see `db.make_engine`);
    `resolver`: the DNS answers to use (default the system's name servers; tests give their own records)."""
    prepare_data_dir(settings)
    if settings.environment == "test":
        use_cheap_password_hashing()
    engine = make_engine(settings.resolved_database_url, writer_lock=writer_lock)
    sessions = make_session_factory(engine, info={"settings": settings})
    bus = make_bus(settings.redis_url)
    install_publish_after_commit(sessions, bus)
    writes = GroupCommit(sessions, lanes=WRITE_LANES.get(engine.dialect.name, 1))
    bulk_writes = GroupCommit(sessions, lanes=WRITE_LANES.get(engine.dialect.name, 1), max_batch=BULK_BATCH)
    limiter = make_limiter(settings.redis_url)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        bus=bus,
        writes=writes,
        bulk_writes=bulk_writes,
        limiter=limiter,
        resolver=resolver or DnsResolver(timeout=settings.dns_timeout_seconds),
    )


def settle_heap() -> None:
    """Move everything a long-running process built at start-up (modules, models, the app and its schemas) out
    of the cyclic collector's sight, and let the youngest generation grow before it is collected. Call once,
    when start-up is done, in every process that serves or works.

    The start-up heap lives as long as the process, and each full collection would otherwise walk all of it:
    30,000 events' processing jobs took 7.2-8.4 s before it was frozen, 5.2-6.0 s after; the server paused
    requests for 100-300 ms at each full collection. Jobs build tens of thousands of short-lived rows (the
    analytics sync, a segment's rows): with the default threshold (700 allocations) they are collected again
    and again on their way to the oldest generation; at 50,000 they mostly die young (the sync of 30,000
    events: 3.2-3.5 → 2.5-2.7 s of CPU; 10,000 made no difference)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNGEST_GENERATION, *gc.get_threshold()[1:])


#: Allocations (less deallocations) of container objects before the youngest generation is collected.
YOUNGEST_GENERATION = 50_000
