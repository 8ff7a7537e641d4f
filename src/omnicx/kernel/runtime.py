"""The process-wide runtime: settings, database engine and session factory, realtime bus, group-commit queue,
DNS resolver.

Built once per process (web server, worker, CLI command) by `build_runtime(settings)` and passed explicitly;
tests build as many as they need, each against its own database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from omnicx.kernel.access.security import use_cheap_password_hashing
from omnicx.kernel.db import WriterLock, make_engine, make_session_factory
from omnicx.kernel.dns import DnsResolver, Resolver
from omnicx.kernel.realtime.bus import Bus, make_bus
from omnicx.kernel.realtime.service import install_publish_after_commit
from omnicx.kernel.settings import Settings
from omnicx.kernel.writes import GroupCommit

# Group-commit threads per database (see `writes.GroupCommit`): SQLite takes one writer at a time.
WRITE_LANES = {"postgresql": 2, "sqlite": 1}


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    bus: Bus
    writes: GroupCommit
    # Every DNS question (mail authentication, ownership proofs) goes through this one resolver.
    resolver: Resolver
    closed: bool = field(default=False)

    def close(self) -> None:
        if not self.closed:
            self.writes.close()
            self.bus.close()
            self.engine.dispose()
            self.closed = True


def build_runtime(
    settings: Settings, *, writer_lock: WriterLock | None = None, resolver: Resolver | None = None
) -> Runtime:
    """`writer_lock`: shared with other processes writing the same SQLite file (see `db.make_engine`);
    `resolver`: the DNS answers to use (default the system's name servers; tests give their own records)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.environment == "test":
        use_cheap_password_hashing()
    engine = make_engine(settings.resolved_database_url, writer_lock=writer_lock)
    sessions = make_session_factory(engine)
    bus = make_bus(settings.redis_url)
    install_publish_after_commit(sessions, bus)
    writes = GroupCommit(sessions, lanes=WRITE_LANES.get(engine.dialect.name, 1))
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        bus=bus,
        writes=writes,
        resolver=resolver or DnsResolver(timeout=settings.dns_timeout_seconds),
    )
