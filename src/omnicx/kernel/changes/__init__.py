"""The change feed: what the store of record changed that a derived copy (the analytics engine) must follow.

A domain that writes rows reports read (events stamped with their customer, sessions rebuilt, touchpoints
recorded, customers merged or erased) records which ids it inserted, replaced or deleted, in the same transaction
as the write. The consumer (`omnicx.analytics`, whose job handler the wiring registers under `SYNC_JOB`) applies
the recorded changes and deletes the rows it applied in the transaction that publishes its copy, so a change is
applied exactly once whatever crashes in between. Rows are consumed rather than read past a watermark: on
PostgreSQL, ids do not commit in the order they are drawn, and a watermark would step over a late commit.
"""

from omnicx.kernel.changes.feed import (
    SYNC_JOB,
    ChangeRow,
    consume,
    feed_lag,
    pending_changes,
    record_changes,
)

__all__ = ["SYNC_JOB", "ChangeRow", "consume", "feed_lag", "pending_changes", "record_changes"]
