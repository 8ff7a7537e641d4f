"""The outbox table: one row per unit of background work, written in the transaction of the data it is about.

A worker claims a row with a lease (`locked_by`, `locked_until`); a worker that dies lets the lease expire and
the row becomes due again. Idempotency keys are unique per `kind`: two modules may use the same key for
different work, but one module enqueueing the same key twice gets one job.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from omnicx.kernel.db import Base, IdMixin, JSONType, TimestampMixin


class JobStatus(StrEnum):
    """Life cycle: queued -> running -> succeeded, or queued again to retry, or dead when out of attempts."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


#: Jobs not finished yet: the predicate of the partial index `ix_jobs_job_waiting`, written as literal SQL so that
#: a query repeating it (`service.waiting`) is proven to match the index by SQLite and PostgreSQL alike, which a
#: bound parameter would not be.
WAITING = "status IN ('queued', 'running')"

JobStatusType = Enum(
    JobStatus, name="jobs_status", values_callable=lambda e: [m.value for m in e], native_enum=False
)


class Job(IdMixin, TimestampMixin, Base):
    __tablename__ = "jobs_job"
    __table_args__ = (
        UniqueConstraint("kind", "idempotency_key"),
        # The claim query: due queued jobs by run_at, and running jobs whose lease ran out.
        Index("ix_jobs_job_status_run_at", "status", "run_at"),
        Index("ix_jobs_job_status_locked_until", "status", "locked_until"),
        # The dead-letter page: one workspace's jobs by status, newest first.
        Index("ix_jobs_job_workspace_status_created", "workspace_id", "status", "created_at"),
        # Backlogs: the waiting jobs of one kind (of one workspace), oldest first. Partial, so it holds the
        # backlog only, not the history of finished jobs; counting 100k waiting jobs reads this index alone.
        Index(
            "ix_jobs_job_waiting",
            "kind",
            "workspace_id",
            "created_at",
            sqlite_where=text(WAITING),
            postgresql_where=text(WAITING),
        ),
    )

    workspace_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[JobStatus] = mapped_column(JobStatusType, default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=8)
    run_at: Mapped[datetime]
    locked_by: Mapped[str | None] = mapped_column(String(200))
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]
    idempotency_key: Mapped[str | None] = mapped_column(String(200))


class Change(IdMixin, Base):
    """Ids of one stream's rows a transaction wrote (`upserted`) or removed (`deleted`); consumed by the sync."""

    __tablename__ = "kernel_change"

    workspace_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_workspace.id", ondelete="CASCADE"), index=True
    )
    stream: Mapped[str] = mapped_column(String(64))
    upserted: Mapped[list[str]] = mapped_column(JSONType, default=list)
    deleted: Mapped[list[str]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime]
