"""Channel usage: when customers visit (hour x weekday in the workspace's zone), how engaged each device
category and channel's visits are, how long visits last and how often customers come back. Computed in the
analytics engine over its copy of sessions, for sessions started in an inclusive range of days."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.journeys.schemas import (
    DURATION_BUCKETS,
    RETURN_BUCKETS,
    DurationBucket,
    EntryPage,
    ExitPage,
    ReturnBucket,
    UsageCell,
    UsageQuery,
    UsageReport,
    UsageRow,
)
from omnicx.journeys.service._common import PAGE_PATH, number_or_none, workspace_range
from omnicx.tracking import service as tracking_service

#: Sessions per local day and hour, per channel and device category (weekdays are read from the days in Python:
#: the engines number weekdays differently).
HOURS = """
SELECT CAST(timezone($tz, started_at) AS DATE) AS day, hour(timezone($tz, started_at)) AS hour, channel,
    device_category, count(*) AS sessions
FROM sessions
WHERE started_at >= $since AND started_at < $until
GROUP BY day, hour, channel, device_category
"""

#: Per device category, then per channel: sessions, customers, bounced, engaged, median and mean duration.
ENGAGEMENT = """
SELECT grouping(device_category) AS by_channel, coalesce(device_category, '') AS device,
    coalesce(channel, '') AS channel_key, count(*), count(DISTINCT person_id),
    count(*) FILTER (WHERE bounced), count(*) FILTER (WHERE engaged),
    quantile_cont(duration_seconds, 0.5), avg(duration_seconds)
FROM sessions
WHERE started_at >= $since AND started_at < $until
GROUP BY GROUPING SETS ((device_category), (channel))
"""

#: How many customers had 1, 2, 3... sessions in the range (10 and more together).
FREQUENCY = """
SELECT least(n, 10) AS visits, count(*) FROM (
    SELECT person_id, count(*) AS n FROM sessions
    WHERE started_at >= $since AND started_at < $until AND person_id IS NOT NULL
    GROUP BY person_id
) GROUP BY least(n, 10)
"""


#: The landing pages of the most sessions, with how many bounced.
ENTRY_PAGES = """
SELECT landing_page, count(*) AS n, count(*) FILTER (WHERE bounced) FROM sessions
WHERE started_at >= $since AND started_at < $until AND landing_page IS NOT NULL
GROUP BY landing_page ORDER BY n DESC, landing_page LIMIT $limit
"""

#: Sessions per duration bucket, numbered from 1 (bounds from `DURATION_BUCKETS`: constants in the text).
_BUCKET = " ".join(
    f"WHEN duration_seconds < {high} THEN {k}" for k, high in enumerate(DURATION_BUCKETS[1:], 1)
)
DURATIONS = f"""
SELECT bucket, count(*) FROM (
    SELECT CASE {_BUCKET} ELSE {len(DURATION_BUCKETS)} END AS bucket FROM sessions
    WHERE started_at >= $since AND started_at < $until
) GROUP BY bucket
"""  # noqa: S608
ENTRY_PAGES_SHOWN = 20

#: Per page (its path), its views and how many were the last of a visit: no next page view of the customer
#: within the inactivity timeout.
EXIT_PAGES = f"""
WITH viewed AS (
    SELECT {PAGE_PATH} AS page, timestamp,
        lead(timestamp) OVER (PARTITION BY person_id ORDER BY timestamp, id) AS next_at,
        row_number() OVER (PARTITION BY person_id ORDER BY timestamp, id) AS k,
        count(*) OVER (PARTITION BY person_id) AS n
    FROM events
    WHERE type = 'page' AND timestamp >= $since AND timestamp < $until AND person_id IS NOT NULL
)
SELECT page, count(*) AS views, count(*) FILTER (WHERE k = n OR next_at > timestamp + $gap) AS exits
FROM viewed GROUP BY page ORDER BY exits DESC, page LIMIT $limit
"""  # noqa: S608

#: A customer's sessions after their first in the range, per bucket of time since the previous one (numbered
#: from 1; bounds from `RETURN_BUCKETS`, as parameters `$r1`...).
_RETURN = " ".join(f"WHEN started_at < previous_at + $r{k} THEN {k}" for k in range(1, len(RETURN_BUCKETS)))
RETURNS = f"""
SELECT bucket, count(*) FROM (
    SELECT CASE {_RETURN} ELSE {len(RETURN_BUCKETS)} END AS bucket FROM (
        SELECT started_at,
            lag(started_at) OVER (PARTITION BY person_id ORDER BY started_at, id) AS previous_at,
            row_number() OVER (PARTITION BY person_id ORDER BY started_at, id) AS k
        FROM sessions
        WHERE started_at >= $since AND started_at < $until AND person_id IS NOT NULL
    ) WHERE k > 1
) GROUP BY bucket
"""  # noqa: S608


def usage(session: Session, *, workspace_id: uuid.UUID, query: UsageQuery) -> UsageReport:
    """When, on what and how engaged: the range's sessions by hour and weekday, device and channel."""
    timezone, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    params: dict[str, Any] = {"since": since, "until": until}

    def ask(sql: str, extra: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        return analytics_service.query(
            session, workspace_id=workspace_id, sql=sql, params={**params, **(extra or {})}
        )

    devices, channels = _engagement(ask(ENGAGEMENT))
    return UsageReport(
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=timezone,
        heatmap=_heatmap(ask(HOURS, {"tz": timezone})),
        by_device=devices,
        by_channel=channels,
        visits_per_customer={int(n): int(c) for n, c in sorted(ask(FREQUENCY))},
        entry_pages=[
            EntryPage(page=str(page), sessions=int(n), bounce_rate=int(bounced) / int(n))
            for page, n, bounced in ask(ENTRY_PAGES, {"limit": ENTRY_PAGES_SHOWN})
        ],
        durations=[
            DurationBucket(from_seconds=low, to_seconds=high, sessions=n)
            for low, high, n in _buckets(ask(DURATIONS), DURATION_BUCKETS)
        ],
        exit_pages=[
            ExitPage(page=str(page), views=int(views), exits=int(exits))
            for page, views, exits in ask(
                EXIT_PAGES, {"gap": tracking_service.INACTIVITY, "limit": ENTRY_PAGES_SHOWN}
            )
        ],
        days_between_visits=[
            ReturnBucket(from_days=low, to_days=high, returns=n)
            for low, high, n in _buckets(ask(RETURNS, _return_bounds()), RETURN_BUCKETS)
        ],
    )


def _return_bounds() -> dict[str, timedelta]:
    return {f"r{k}": timedelta(days=days) for k, days in enumerate(RETURN_BUCKETS) if k}


def _buckets(rows: list[tuple[Any, ...]], bounds: tuple[int, ...]) -> list[tuple[int, int | None, int]]:
    """Every bucket as (from, to, count), quiet ones as zero: bucket k (from 1) counts from the k-th bound to
    the next (the last has none)."""
    counts = {int(bucket): int(n) for bucket, n in rows}
    uppers: list[int | None] = [*bounds[1:], None]
    return [
        (low, high, counts.get(k, 0))
        for k, (low, high) in enumerate(zip(bounds, uppers, strict=True), start=1)
    ]


def _heatmap(rows: list[tuple[Any, ...]]) -> list[UsageCell]:
    """Sessions per (channel, device category, ISO weekday 1-7, hour 0-23): per channel of every device (`*`),
    per device category of every channel, and everything together (`*`, `*`)."""
    cells: dict[tuple[str, str, int, int], int] = {}
    for day, hour, channel, device, sessions in rows:
        weekday = (day if isinstance(day, date) else date.fromisoformat(str(day))).isoweekday()
        for key in ((str(channel or ""), "*"), ("*", str(device or "")), ("*", "*")):
            cell = (*key, weekday, int(hour))
            cells[cell] = cells.get(cell, 0) + int(sessions)
    return [
        UsageCell(channel=channel, device=device, weekday=weekday, hour=hour, sessions=n)
        for (channel, device, weekday, hour), n in sorted(cells.items())
    ]


def _engagement(rows: list[tuple[Any, ...]]) -> tuple[list[UsageRow], list[UsageRow]]:
    devices: list[UsageRow] = []
    channels: list[UsageRow] = []
    for by_channel, device, channel, sessions, customers, bounced, engaged, median, mean in rows:
        row = UsageRow(
            key=str(channel if by_channel else device) or "(none)",
            sessions=int(sessions),
            customers=int(customers),
            bounce_rate=int(bounced) / int(sessions) if sessions else None,
            engagement_rate=int(engaged) / int(sessions) if sessions else None,
            median_duration_seconds=number_or_none(median),
            mean_duration_seconds=number_or_none(mean),
        )
        (channels if by_channel else devices).append(row)
    return sorted(devices, key=_busiest), sorted(channels, key=_busiest)


def _busiest(row: UsageRow) -> tuple[int, str]:
    return -row.sessions, row.key


def usage_csv(report: UsageReport) -> str:
    """The engagement tables as CSV: one row per device category, then one per channel, then one per entry page
    (its sessions and bounce rate) and one per exit page (its views and exit rate)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "by",
            "key",
            "sessions",
            "customers",
            "bounce_rate",
            "engagement_rate",
            "median_seconds",
            "mean_seconds",
        ]
    )
    for by, rows in (("device", report.by_device), ("channel", report.by_channel)):
        for row in rows:
            writer.writerow(
                [
                    by,
                    row.key,
                    row.sessions,
                    row.customers,
                    _fixed(row.bounce_rate, 4),
                    _fixed(row.engagement_rate, 4),
                    _fixed(row.median_duration_seconds, 1),
                    _fixed(row.mean_duration_seconds, 1),
                ]
            )
    for page in report.entry_pages:
        writer.writerow(["entry_page", page.page, page.sessions, "", _fixed(page.bounce_rate, 4), "", "", ""])
    for exit_page in report.exit_pages:
        writer.writerow(
            ["exit_page", exit_page.page, exit_page.views, "", _fixed(exit_page.exit_rate, 4), "", "", ""]
        )
    return out.getvalue()


def _fixed(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"
