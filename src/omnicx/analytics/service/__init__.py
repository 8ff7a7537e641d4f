"""Public face of the analytics engine: query the copy, keep it in step, rebuild it, tell how far behind it is."""

from omnicx.analytics.enums import Stream
from omnicx.analytics.feeders import register_feeder
from omnicx.analytics.schemas import AnalyticsStatus, Row, RowFeeder, SnapshotFeeder, SyncResult
from omnicx.analytics.service.running import (
    REBUILD_JOB,
    query,
    rebuild,
    request_rebuild,
    source_counts,
    status,
    sync,
    wake_if_never_built,
)

__all__ = [
    "REBUILD_JOB",
    "AnalyticsStatus",
    "Row",
    "RowFeeder",
    "SnapshotFeeder",
    "Stream",
    "SyncResult",
    "query",
    "rebuild",
    "register_feeder",
    "request_rebuild",
    "source_counts",
    "status",
    "sync",
    "wake_if_never_built",
]
