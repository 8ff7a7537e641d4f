"""Funnels, computed in the analytics engine over its copy of events (DuckDB or ClickHouse).

Ordered (the default): a customer enters the funnel with their first event of step 1 in the range (inclusive
days in the workspace's time zone); step k+1 counts when the customer did it after their step k (strictly
later, so one event never fills two steps) and no later than the window after their step 1. Each step keeps
the first time it was reached, and the time from the previous step is measured between those. Strict order:
step k+1 must also be the customer's very next event after step k. Any order: a customer enters with their
first event of any step, and step k counts the customers who did k of the steps within the window from there
(the time between steps is then the time between the k-1th and the kth step done). Events count for the customer they
belong to now (`person_id`: merged customers are one journey); events of no customer (not processed yet, or
of a suppressed identifier) count for nobody.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.identity.schemas import CustomerPublic
from omnicx.journeys.errors import InvalidFunnel
from omnicx.journeys.schemas import (
    FunnelBreakdown,
    FunnelDay,
    FunnelMode,
    FunnelQuery,
    FunnelResult,
    FunnelSegment,
    FunnelStep,
    FunnelStepResult,
    StepKind,
)
from omnicx.journeys.service._common import Statement, customers_behind, number_or_none, workspace_range
from omnicx.kernel.dates import days
from omnicx.kernel.text import json_pointer
from omnicx.kernel.web.schemas import Page

#: The event names offered as steps: the workspace's most frequent in the range.
SUGGESTED_EVENTS = 30


def _matches(step: FunnelStep, position: int) -> str:
    """The SQL test of one step on an event row; its value is the parameter `$m{position}`."""
    if step.kind is StepKind.EVENT:
        return f"(type = 'track' AND event = $m{position})"
    return f"(type = 'page' AND strpos(coalesce(url, ''), $m{position}) > 0)"


def _ctes(steps: list[FunnelStep], mode: FunnelMode = FunnelMode.ORDERED) -> str:
    """The customers at each step, as one CTE per step (`step0` … `stepN`): each row a customer who reached it,
    with the time they reached it and every step before (`at0` … `atK`), whatever the mode.

    Built from the step count, kinds and mode alone: only positions and fixed SQL reach the text, every value
    the caller gave is a parameter, so the text repeats for the same shape (and the engines' caches hit). The
    matching events (`hits`, or `numbered` in strict order) are materialised: every step reads them, and DuckDB
    would otherwise scan the events again for each (a quarter of a 3-step funnel's time at 10M events)."""
    flags = ",\n        ".join(f"{_matches(step, i)} AS m{i}" for i, step in enumerate(steps))
    if mode is FunnelMode.STRICT:
        return _strict_ctes(flags, len(steps))
    any_step = " OR ".join(f"m{i}" for i in range(len(steps)))
    hits = f"""hits AS MATERIALIZED (
    SELECT * FROM (
        SELECT person_id, timestamp,
        {flags}
        FROM events
        WHERE timestamp >= $since AND timestamp < $horizon AND person_id IS NOT NULL
    ) WHERE {any_step}
)"""  # noqa: S608
    if mode is FunnelMode.ANY:
        return _any_order_ctes(hits, len(steps))
    ctes = [
        hits,
        """step0 AS (
    SELECT person_id, min(timestamp) AS at0 FROM hits WHERE m0 AND timestamp < $until GROUP BY person_id
)""",
    ]
    for k in range(1, len(steps)):
        carried = ", ".join(f"s.at{j}" for j in range(k))
        ctes.append(
            f"""step{k} AS (
    SELECT s.person_id, {carried}, min(h.timestamp) AS at{k}
    FROM step{k - 1} s JOIN hits h ON h.person_id = s.person_id
    WHERE h.m{k} AND h.timestamp > s.at{k - 1} AND h.timestamp <= s.at0 + $window
    GROUP BY s.person_id, {carried}
)"""  # noqa: S608
        )
    return "WITH " + ",\n".join(ctes) + "\n"


def _strict_ctes(flags: str, steps: int) -> str:
    """Strict order: every event of the customer numbered in time order (`r`); step k+1 is the event right
    after their step k (strictly later, within the window from step 1)."""
    ctes = [
        f"""numbered AS MATERIALIZED (
    SELECT person_id, timestamp,
        {flags},
        row_number() OVER (PARTITION BY person_id ORDER BY timestamp, id) AS r
    FROM events
    WHERE timestamp >= $since AND timestamp < $horizon AND person_id IS NOT NULL
)""",  # noqa: S608
        """step0 AS (
    SELECT person_id, min(timestamp) AS at0, min(r) AS r0 FROM numbered
    WHERE m0 AND timestamp < $until GROUP BY person_id
)""",
    ]
    for k in range(1, steps):
        carried = ", ".join(f"s.at{j}" for j in range(k))
        ctes.append(
            f"""step{k} AS (
    SELECT s.person_id, {carried}, h.timestamp AS at{k}, h.r AS r{k}
    FROM step{k - 1} s JOIN numbered h ON h.person_id = s.person_id AND h.r = s.r{k - 1} + 1
    WHERE h.m{k} AND h.timestamp > s.at{k - 1} AND h.timestamp <= s.at0 + $window
)"""  # noqa: S608
        )
    return "WITH " + ",\n".join(ctes) + "\n"


def _any_order_ctes(hits: str, steps: int) -> str:
    """Any order: a customer enters with their first event of any step in the range; within the window from
    there, each step's first time, ranked; `atK` is when they had done K+1 of the steps."""
    firsts = "\nUNION ALL\n".join(
        f"""SELECT e.person_id, {k} AS step, min(h.timestamp) AS t
    FROM entered e JOIN hits h ON h.person_id = e.person_id
    WHERE h.m{k} AND h.timestamp >= e.at0 AND h.timestamp <= e.at0 + $window
    GROUP BY e.person_id"""  # noqa: S608
        for k in range(steps)
    )
    picked = ", ".join(f"max(t) FILTER (WHERE k = {j + 1}) AS at{j}" for j in range(steps))
    ctes = [
        hits,
        """entered AS (
    SELECT person_id, min(timestamp) AS at0 FROM hits WHERE timestamp < $until GROUP BY person_id
)""",
        f"reached AS (\n{firsts}\n)",
        """ranked AS (
    SELECT person_id, t, row_number() OVER (PARTITION BY person_id ORDER BY t, step) AS k FROM reached
)""",
        f"""done AS (SELECT person_id, count(*) AS n, {picked} FROM ranked GROUP BY person_id)""",  # noqa: S608
    ]
    for k in range(steps):
        carried = ", ".join(f"at{j}" for j in range(k + 1))
        ctes.append(f"step{k} AS (SELECT person_id, {carried} FROM done WHERE n > {k})")  # noqa: S608
    return "WITH " + ",\n".join(ctes) + "\n"


#: The parts of the one statement a funnel report runs, each a row kind (its first column).
STEPS, SEGMENTS, TREND = 0, 1, 2


def _report_sql(query: FunnelQuery) -> str:
    """One statement for the whole report, so the events are read once: rows of kind STEPS (each step's
    customers and median time from the previous step), SEGMENTS (each step's customers per value of the
    breakdown, `(none)` for customers without one) and TREND (per day of entry, in the workspace's zone, the
    customers entered and, as position 1, those who completed the funnel). Columns: kind, position, segment,
    day (text), customers, median seconds. Only positions and fixed SQL reach the text."""
    median = "quantile_cont(date_diff('microsecond', at{prev}, at{k}) / 1000000.0, 0.5)"
    none, no_day, no_median = "CAST(NULL AS VARCHAR)", "CAST(NULL AS VARCHAR)", "CAST(NULL AS DOUBLE)"
    segment = "coalesce(CAST(f.key AS VARCHAR), '(none)')"
    day = "CAST(CAST(timezone($tz, s.at0) AS DATE) AS VARCHAR)"
    last = len(query.steps) - 1
    parts = [
        _part(STEPS, k, none, no_day, median.format(prev=k - 1, k=k) if k else no_median, f"FROM step{k}")
        for k in range(len(query.steps))
    ]
    joined = "s LEFT JOIN keys f ON f.person_id = s.person_id"
    parts += [
        _part(SEGMENTS, k, segment, no_day, no_median, f"FROM step{k} {joined} GROUP BY {segment}")
        for k in range(len(query.steps))
    ]
    parts += [
        _part(TREND, position, none, day, no_median, f"FROM step{k} s GROUP BY {day}")
        for position, k in ((0, 0), (1, last))
    ]
    ctes = _ctes(query.steps, query.mode).rstrip("\n") + _keys_sql(query)
    return ctes + "\nUNION ALL\n".join(parts)


def _part(kind: int, position: int, segment: str, day: str, median: str, source: str) -> str:
    """One SELECT of the report's union: fixed SQL and positions only."""
    columns = f"{kind} AS kind, {position} AS position, {segment} AS segment, {day} AS day"
    return f"SELECT {columns}, count(*) AS customers, {median} AS median_seconds {source}"


#: Per customer who entered the funnel, the channel of their first touchpoint ever (ties: the smallest channel
#: name). Aggregating only the entrants' touchpoints, not every customer's, was most of a funnel's time.
FIRST_TOUCH = """,
keys AS (
    SELECT person_id, arg_min(channel, touched_at) AS key FROM touchpoints
    WHERE person_id IN (SELECT person_id FROM step0) GROUP BY person_id
)
"""

#: Per customer, a column of the visit they entered the funnel in (the latest session started by then that
#: lasts until then); `{column}` is one of `SESSION_COLUMNS`.
ENTRY_SESSION = """,
keys AS (
    SELECT s.person_id, arg_max(v.{column}, v.started_at) AS key
    FROM step0 s JOIN sessions v ON v.person_id = s.person_id AND v.started_at <= s.at0 AND v.ended_at >= s.at0
    GROUP BY s.person_id
)
"""
SESSION_COLUMNS = {FunnelBreakdown.CHANNEL: "channel", FunnelBreakdown.DEVICE: "device_category"}

#: Per customer, a property (`$property`, a JSON pointer) of the events they entered with (the smallest value
#: when several events share the entry's instant).
ENTRY_PROPERTY = """,
keys AS (
    SELECT s.person_id, min(json_extract_string(e.properties, CAST($property AS VARCHAR))) AS key
    FROM step0 s JOIN events e ON e.person_id = s.person_id AND e.timestamp = s.at0
    WHERE {entered}
    GROUP BY s.person_id
)
"""


def _keys_sql(query: FunnelQuery) -> str:
    """The `keys` CTE of the funnel's breakdown: one row per customer who has a value."""
    if query.breakdown in SESSION_COLUMNS:
        return ENTRY_SESSION.format(column=SESSION_COLUMNS[query.breakdown])
    if query.breakdown is FunnelBreakdown.PROPERTY:
        count = len(query.steps) if query.mode is FunnelMode.ANY else 1
        entered = " OR ".join(_matches(step, i) for i, step in enumerate(query.steps[:count]))
        return ENTRY_PROPERTY.format(entered=entered)
    return FIRST_TOUCH


def _keys_params(query: FunnelQuery) -> dict[str, Any]:
    """What the breakdown's `keys` CTE binds beyond the funnel's own parameters."""
    if query.breakdown is FunnelBreakdown.PROPERTY and query.breakdown_property:
        return {"property": json_pointer(query.breakdown_property.strip())}
    return {}


def _dropped_sql(steps: list[FunnelStep], mode: FunnelMode, index: int) -> str:
    """The customers who reached step `index - 1` (0-based) but not step `index`."""
    tail = "SELECT person_id FROM step{prev} WHERE person_id NOT IN (SELECT person_id FROM step{index})"
    return _ctes(steps, mode) + tail.format(prev=index - 1, index=index)


def funnel_statement(query: FunnelQuery, since: datetime, until: datetime, timezone: str) -> Statement:
    """What `funnel` asks the engine (`bench/analytics.py` runs the same on the bare engine)."""
    return _report_sql(query), {**_params(query, since, until), **_keys_params(query), "tz": timezone}


def funnel(session: Session, *, workspace_id: uuid.UUID, query: FunnelQuery) -> FunnelResult:
    """Customers reaching each step in order, the share kept from step to step, and the median time taken."""
    timezone, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    sql, params = funnel_statement(query, since, until, timezone)
    rows = analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
    parts: dict[int, list[tuple[Any, ...]]] = {STEPS: [], SEGMENTS: [], TREND: []}
    for kind, *row in rows:
        parts[int(kind)].append(tuple(row))
    found = {int(k): (int(n), number_or_none(median)) for k, _, _, n, median in parts[STEPS]}
    return FunnelResult(
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=timezone,
        window_hours=query.window_hours,
        mode=query.mode,
        steps=_step_results(query.steps, found),
        breakdown_by=query.breakdown,
        breakdown_property=query.breakdown_property,
        breakdown=_segments(len(query.steps), [(k, key, n) for k, key, _, n, _ in parts[SEGMENTS]]),
        trend=_trend(query, [(day, completed, n) for completed, _, day, n, _ in parts[TREND]]),
    )


def _trend(query: FunnelQuery, rows: list[tuple[Any, ...]]) -> list[FunnelDay]:
    """Every day of the range (quiet days as zero), from the engine's per-day counts."""
    counts: dict[tuple[date, int], int] = {}
    for day, completed, customers in rows:
        counts[(day if isinstance(day, date) else date.fromisoformat(str(day)), int(completed))] = int(
            customers
        )
    return [
        FunnelDay(day=day, entered=counts.get((day, 0), 0), completed=counts.get((day, 1), 0))
        for day in days(query.date_from, query.date_to)
    ]


def _segments(steps: int, rows: list[tuple[Any, ...]]) -> list[FunnelSegment]:
    counts: dict[str, list[int]] = {}
    for position, channel, customers in rows:
        counts.setdefault(str(channel), [0] * steps)[int(position)] = int(customers)
    ordered = sorted(counts.items(), key=lambda item: (-item[1][0], item[0]))
    return [FunnelSegment(key=key, customers=values) for key, values in ordered]


def _params(query: FunnelQuery, since: datetime, until: datetime) -> dict[str, Any]:
    window = timedelta(hours=query.window_hours)
    params: dict[str, Any] = {"since": since, "until": until, "horizon": until + window, "window": window}
    params.update({f"m{i}": step.match for i, step in enumerate(query.steps)})
    return params


def dropped_customers(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    query: FunnelQuery,
    position: int,
    offset: int = 0,
    limit: int = 50,
) -> Page[CustomerPublic]:
    """The customers who reached step `position - 1` but not step `position` (1-based, from 2), most recently
    seen first, as the customer list shows them (a customer merged since counts as its survivor)."""
    if not 2 <= position <= len(query.steps):
        raise InvalidFunnel(f"a funnel of {len(query.steps)} steps has no drop-off at step {position}")
    _, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    statement = (_dropped_sql(query.steps, query.mode, position - 1), _params(query, since, until))
    return customers_behind(session, workspace_id, statement, offset=offset, limit=limit)


def _step_results(
    steps: list[FunnelStep], found: dict[int, tuple[int, float | None]]
) -> list[FunnelStepResult]:
    first = found.get(0, (0, None))[0]
    results: list[FunnelStepResult] = []
    previous = first
    for position, step in enumerate(steps):
        customers, median = found.get(position, (0, None))
        results.append(
            FunnelStepResult(
                position=position + 1,
                label=step.label,
                customers=customers,
                share_of_first=customers / first if first else None,
                share_of_previous=(customers / previous if previous else None) if position else None,
                dropped=previous - customers if position else 0,
                median_seconds_from_previous=median if position else None,
            )
        )
        previous = customers
    return results


TOP_EVENTS = """
SELECT event, count(*) AS n FROM events
WHERE type = 'track' AND event IS NOT NULL AND timestamp >= $since AND timestamp < $until
GROUP BY event ORDER BY n DESC, event LIMIT $limit
"""


def suggested_events(
    session: Session, *, workspace_id: uuid.UUID, date_from: date, date_to: date
) -> list[str]:
    """The workspace's most frequent event names in the range: what a funnel's steps are usually made of."""
    _, since, until = workspace_range(session, workspace_id, date_from, date_to)
    params = {"since": since, "until": until, "limit": SUGGESTED_EVENTS}
    return [
        str(row[0])
        for row in analytics_service.query(session, workspace_id=workspace_id, sql=TOP_EVENTS, params=params)
    ]


def funnel_csv(result: FunnelResult) -> str:
    """The funnel's table as CSV: one row per step."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["position", "step", "customers", "share_of_first", "share_of_previous", "dropped", "median_seconds"]
    )
    for step in result.steps:
        writer.writerow(
            [
                step.position,
                step.label,
                step.customers,
                "" if step.share_of_first is None else f"{step.share_of_first:.4f}",
                "" if step.share_of_previous is None else f"{step.share_of_previous:.4f}",
                step.dropped,
                ""
                if step.median_seconds_from_previous is None
                else f"{step.median_seconds_from_previous:.1f}",
            ]
        )
    return out.getvalue()


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today included."""
    end = today or date.today()
    return end - timedelta(days=29), end
