"""Channel overlap and switching: how many channels each customer uses, which combinations, how they move from
one channel to the next, whether they change devices, and what customers on several channels spend.

Computed in the analytics engine over its copies of touchpoints (every contact: web and app sessions by their
marketing channel, store visits and purchases, calls, conversations), sessions and orders, for what happened
in an inclusive range of days in the workspace's time zone. Rows count for the customer they belong to now
(`person_id`). A journey is a customer's touches in time order; it goes on while the next touch comes within
the gap of the previous one, and each such pair is a move (from the same channel to itself too).
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.journeys.schemas import (
    ChannelCombination,
    OverlapQuery,
    OverlapReport,
    SpendRow,
    SwitchCell,
)
from omnicx.journeys.service._common import NOT_SALES, Statement, workspace_range

#: Per customer, the channels of their touches in the range (alphabetical); how many customers used each set.
COMBINATIONS = """
WITH used AS (
    SELECT DISTINCT person_id, channel FROM touchpoints
    WHERE touched_at >= $since AND touched_at < $until AND person_id IS NOT NULL
),
sets AS (SELECT person_id, list(channel ORDER BY channel) AS channels FROM used GROUP BY person_id)
SELECT channels, count(*) FROM sets GROUP BY channels
"""

#: Per customer with a sale in the range, the time of their first one.
_FIRST_PURCHASES = """
WITH firsts AS (
    SELECT person_id, min(created_at) AS bought_at FROM orders
    WHERE created_at >= $since AND created_at < $until AND person_id IS NOT NULL
        AND NOT list_contains($not_sales, status)
    GROUP BY person_id
)"""

PURCHASERS = _FIRST_PURCHASES + "\nSELECT count(*) FROM firsts"

#: The channels of each purchaser's touches up to their first purchase (and no further back than the gap): how
#: many purchasers per set (purchasers with no touch before have no set here).
BEFORE_PURCHASE = (
    _FIRST_PURCHASES  # noqa: S608  (two constant texts; every value is a parameter)
    + """,
used AS (
    SELECT DISTINCT f.person_id, t.channel FROM firsts f JOIN touchpoints t ON t.person_id = f.person_id
    WHERE t.touched_at <= f.bought_at AND t.touched_at >= f.bought_at - $gap
),
sets AS (SELECT person_id, list(channel ORDER BY channel) AS channels FROM used GROUP BY person_id)
SELECT channels, count(*) FROM sets GROUP BY channels
"""
)

#: Each customer's touches in time order with the next one: moves per (from, to) pair, and (grouping flag 1)
#: every move together, the customers with one and those whose next touch was on another channel. A customer's
#: last touch has no next one: `lead` gives null there on both engines (the copy's ClickHouse columns are
#: nullable), which fails the gap test. A row number and a partition count used to find it; that second window
#: cost 10-15% of the query at 10M events. The ClickHouse parity test fails if `lead` ever gives a default.
SWITCHING = """
WITH ordered AS (
    SELECT person_id, channel, touched_at,
        lead(channel) OVER (PARTITION BY person_id ORDER BY touched_at, id) AS next_channel,
        lead(touched_at) OVER (PARTITION BY person_id ORDER BY touched_at, id) AS next_at
    FROM touchpoints WHERE touched_at >= $since AND touched_at < $until AND person_id IS NOT NULL
),
moves AS (
    SELECT person_id, channel, next_channel FROM ordered WHERE next_at <= touched_at + $gap
)
SELECT grouping(channel, next_channel) > 0 AS total, channel, next_channel, count(*),
    count(DISTINCT person_id), count(DISTINCT CASE WHEN next_channel <> channel THEN person_id END)
FROM moves
GROUP BY GROUPING SETS ((channel, next_channel), ())
"""

#: Customers with sessions in the range, and those whose sessions came from two device categories or more.
DEVICES = """
SELECT count(*), count(*) FILTER (WHERE devices > 1) FROM (
    SELECT person_id, count(DISTINCT device_category) AS devices FROM sessions
    WHERE started_at >= $since AND started_at < $until AND person_id IS NOT NULL
    GROUP BY person_id
)
"""

#: Per customer with a touch in the range, the channels used (three and more together).
_REACH = """
WITH reach AS (
    SELECT person_id, least(count(DISTINCT channel), 3) AS channels FROM touchpoints
    WHERE touched_at >= $since AND touched_at < $until AND person_id IS NOT NULL
    GROUP BY person_id
)"""


#: Per number of channels used and currency: buyers and sales online and in the store.
SPEND = (
    _REACH  # noqa: S608  (two constant texts; every value is a parameter)
    + """,
spent AS (
    SELECT person_id, currency,
        coalesce(sum(total_minor) FILTER (WHERE channel <> 'store'), 0) AS online,
        coalesce(sum(total_minor) FILTER (WHERE channel = 'store'), 0) AS store
    FROM orders
    WHERE created_at >= $since AND created_at < $until AND person_id IS NOT NULL
        AND NOT list_contains($not_sales, status)
    GROUP BY person_id, currency
)
SELECT r.channels, s.currency, count(*) FILTER (WHERE s.online > 0), sum(s.online),
    count(*) FILTER (WHERE s.store > 0), sum(s.store)
FROM reach r JOIN spent s ON s.person_id = r.person_id
GROUP BY r.channels, s.currency
"""
)


def overlap_statements(query: OverlapQuery, since: datetime, until: datetime) -> dict[str, Statement]:
    """What `overlap` asks the engine, by name (`bench/analytics.py` runs the same on the bare engine)."""
    params: dict[str, Any] = {"since": since, "until": until}
    gap, not_sales = timedelta(days=query.gap_days), list(NOT_SALES)
    return {
        "purchasers": (PURCHASERS, {**params, "not_sales": not_sales}),
        "before_purchase": (BEFORE_PURCHASE, {**params, "gap": gap, "not_sales": not_sales}),
        "switching": (SWITCHING, {**params, "gap": gap}),
        "devices": (DEVICES, params),
        "combinations": (COMBINATIONS, params),
        "spend": (SPEND, {**params, "not_sales": not_sales}),
    }


def overlap(session: Session, *, workspace_id: uuid.UUID, query: OverlapQuery) -> OverlapReport:
    """Channel overlap, switching, cross-device use and spend by channels used, for the range."""
    timezone, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    found = {
        name: analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
        for name, (sql, params) in overlap_statements(query, since, until).items()
    }
    [(purchasers,)] = found["purchasers"]
    switching, moving, switched = _switching(found["switching"])
    [(with_sessions, cross_device)] = found["devices"]
    return OverlapReport(
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=timezone,
        gap_days=query.gap_days,
        customers_by_channels=_by_channels(found["combinations"]),
        combinations=_combinations(
            found["combinations"], _before_purchase(found["before_purchase"], purchasers)
        ),
        purchasers=int(purchasers),
        switching=switching,
        moving_customers=moving,
        switching_customers=switched,
        customers_with_sessions=int(with_sessions),
        cross_device_customers=int(cross_device or 0),
        spend=_spend(found["spend"]),
    )


def _channels(value: Any) -> tuple[str, ...]:
    return tuple(str(channel) for channel in value or ())


def _by_channels(rows: list[tuple[Any, ...]]) -> dict[int, int]:
    """Customers by the number of channels they used (three and more together), from the combinations."""
    counts: Counter[int] = Counter()
    for channels, customers in rows:
        counts[min(len(_channels(channels)), 3)] += int(customers)
    return dict(sorted(counts.items()))


def _before_purchase(rows: list[tuple[Any, ...]], purchasers: Any) -> Counter[tuple[str, ...]]:
    """Purchasers per set of channels used before their purchase (the empty set: no touch before)."""
    purchasers = int(purchasers)
    sets: Counter[tuple[str, ...]] = Counter({_channels(channels): int(n) for channels, n in rows})
    if purchasers > sum(sets.values()):
        sets[()] = purchasers - sum(sets.values())
    return sets


def _combinations(rows: list[tuple[Any, ...]], before: Counter[tuple[str, ...]]) -> list[ChannelCombination]:
    customers = {_channels(channels): int(n) for channels, n in rows}
    found = [
        ChannelCombination(channels=list(key), customers=customers.get(key, 0), purchasers=before.get(key, 0))
        for key in customers.keys() | before.keys()
    ]
    return sorted(found, key=lambda c: (-c.customers, -c.purchasers, c.channels))


def _switching(rows: list[tuple[Any, ...]]) -> tuple[list[SwitchCell], int, int]:
    """The matrix's cells (most moves first), the customers with a move, and those who changed channel."""
    moving = switched = 0
    pairs: dict[tuple[str, str], int] = {}
    for total, channel, next_channel, moves, customers, changed in rows:
        if total:
            moving, switched = int(customers), int(changed or 0)
        else:
            pairs[(str(channel), str(next_channel))] = int(moves)
    out_of: Counter[str] = Counter()
    for (channel, _), moves in pairs.items():
        out_of[channel] += moves
    cells = [
        SwitchCell(from_channel=a, to_channel=b, moves=n, share_of_from=n / out_of[a])
        for (a, b), n in pairs.items()
    ]
    return sorted(cells, key=lambda c: (-c.moves, c.from_channel, c.to_channel)), moving, switched


def _spend(rows: list[tuple[Any, ...]]) -> list[SpendRow]:
    """The spend rows, with their lift over single-channel buyers of the same currency."""
    spend = [
        SpendRow(
            channels=int(channels),
            currency=str(currency),
            online_buyers=int(online_buyers),
            online_minor=int(online or 0),
            store_buyers=int(store_buyers),
            store_minor=int(store or 0),
        )
        for channels, currency, online_buyers, online, store_buyers, store in rows
    ]
    single = {row.currency: row for row in spend if row.channels == 1}
    for row in spend:
        base = single.get(row.currency)
        if row.channels > 1 and base is not None:
            row.online_lift = _lift(row.online_per_buyer, base.online_per_buyer)
            row.store_lift = _lift(row.store_per_buyer, base.store_per_buyer)
    return sorted(spend, key=lambda r: (r.currency, r.channels))


def _lift(value: float | None, base: float | None) -> float | None:
    return value / base - 1 if value is not None and base else None


def overlap_csv(report: OverlapReport) -> str:
    """The switching matrix as CSV, one row per (from, to) pair, then the channel combinations."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["from_channel", "to_channel", "moves", "share_of_from"])
    for cell in report.switching:
        writer.writerow([cell.from_channel, cell.to_channel, cell.moves, f"{cell.share_of_from:.4f}"])
    writer.writerow([])
    writer.writerow(["channels", "customers", "purchasers"])
    for combination in report.combinations:
        writer.writerow(
            [" + ".join(combination.channels) or "(none)", combination.customers, combination.purchasers]
        )
    return out.getvalue()
