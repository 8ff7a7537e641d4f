"""Test-only job kinds, imported by the tests and by the worker subprocesses they start.

Effects go to `jobs_test_effect`, a table the tests create themselves (it is not part of omnicx's schema). A
row there is written in the job's own transaction, so it exists exactly when the job's completion committed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, text, update

from omnicx.auth.models import Workspace
from omnicx.kernel.db import transaction
from omnicx.kernel.jobs.models import Job
from omnicx.kernel.jobs.registry import Coalesced, Handler, JobContext, register

EFFECTS_DDL = (
    "CREATE TABLE IF NOT EXISTS jobs_test_effect "
    "(job_id VARCHAR(36) NOT NULL, attempt INTEGER NOT NULL, pid INTEGER NOT NULL)"
)


def create_effects_table(connection: Connection) -> None:
    connection.execute(text(EFFECTS_DDL))


def drop_effects_table(connection: Connection) -> None:
    connection.execute(text("DROP TABLE IF EXISTS jobs_test_effect"))


def record_effect(ctx: JobContext) -> None:
    ctx.session.execute(
        text("INSERT INTO jobs_test_effect (job_id, attempt, pid) VALUES (:job_id, :attempt, :pid)"),
        {"job_id": str(ctx.job_id), "attempt": ctx.attempt, "pid": os.getpid()},
    )


def _count_run(counter: Path) -> int:
    """Count runs in a file: unlike a database row, the count survives the rollback of a failed attempt."""
    runs = int(counter.read_text()) + 1 if counter.exists() else 1
    counter.write_text(str(runs))
    return runs


def flaky(ctx: JobContext) -> None:
    """Fails its first `failures` runs, then records its effect."""
    record_effect(ctx)
    if _count_run(Path(ctx.payload["counter"])) <= ctx.payload["failures"]:
        raise RuntimeError("the provider is having a bad day")


def always_fails(ctx: JobContext) -> None:
    record_effect(ctx)
    raise RuntimeError("the provider said no")


def duplicate_workspace(ctx: JobContext) -> None:
    """Leaves a write pending that can only fail when flushed (the slug is taken)."""
    ctx.session.add(Workspace(slug=ctx.payload["slug"], name="Duplicate"))


def slow_first(ctx: JobContext) -> None:
    """Writes its effect; on its first run, announces itself with a marker file and sleeps (to be killed)."""
    record_effect(ctx)
    marker = Path(ctx.payload["marker"])
    if not marker.exists():
        marker.touch()
        time.sleep(30)


def stolen(ctx: JobContext) -> None:
    """Simulates a lease that expired mid-run and was re-claimed by another worker, then writes its effect."""
    with transaction(ctx.runtime.sessions) as other:
        reclaim = update(Job).where(Job.id == ctx.job_id)
        other.execute(reclaim.values(locked_by="another-worker", attempts=Job.attempts + 1))
    record_effect(ctx)


def record_items(ctx: JobContext) -> None:
    """Records one effect per item of its payload (under the item's name), in one run; fails on "boom"."""
    for item in ctx.payload["items"]:
        ctx.session.execute(
            text("INSERT INTO jobs_test_effect (job_id, attempt, pid) VALUES (:item, :attempt, :pid)"),
            {"item": item, "attempt": ctx.attempt, "pid": os.getpid()},
        )
    if "boom" in ctx.payload["items"]:
        raise RuntimeError("one item is bad")


def merge_items(payloads: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"items": [item for payload in payloads for item in payload["items"]]}


HANDLERS: dict[str, Handler | Coalesced] = {
    "test.items": Coalesced(record_items, merge=merge_items, max_jobs={"sqlite": 3, "postgresql": 3}),
    "test.effect": record_effect,
    "test.flaky": flaky,
    "test.always_fails": always_fails,
    "test.duplicate_workspace": duplicate_workspace,
    "test.slow_first": slow_first,
    "test.stolen": stolen,
}


def register_handlers() -> None:
    """Register the test job kinds (the tests and the worker subprocesses call it, as the app wires its own)."""
    for kind, handler in HANDLERS.items():
        register(kind, handler)
