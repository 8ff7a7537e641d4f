"""Paths: what customers do one after another within a visit, from a start, up to an end, or from the visit's
first item; computed in the analytics engine over its copy of events.

A visit is a customer's run of items with no pause longer than the sessions' inactivity timeout (30 minutes,
as tracking cuts sessions); an item is a page view, named by its path (`/cart`: no host, no query), or a track
call, by its event name. A page reloaded or an event repeated one after another counts once. A path is at most
`steps` items: from the visit's first item (no anchor), from its first `start`, or the items up to its first
`end` (aligned on it: the end is the last step, and no visit counts as ended there). Events count for the
customer they belong to now.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.journeys.schemas import PathItems, PathLink, PathNode, PathQuery, PathReport, PathRow
from omnicx.journeys.service._common import PAGE_PATH, Statement, workspace_range
from omnicx.tracking import service as tracking_service

#: The items shown per step (the rest together as one node); the whole paths listed.
NODES_PER_STEP = 8
TOP_PATHS = 20

_ITEMS = f"""
labelled AS (
    SELECT person_id, id, timestamp,
        CASE WHEN type = 'page' THEN {PAGE_PATH} ELSE event END AS label
    FROM events
    WHERE timestamp >= $since AND timestamp < $until AND person_id IS NOT NULL
        AND ((type = 'page' AND $pages) OR (type = 'track' AND event IS NOT NULL AND $tracks))
),
ordered AS (
    SELECT person_id, id, timestamp, label,
        lag(timestamp) OVER (PARTITION BY person_id ORDER BY timestamp, id) AS previous_at,
        lag(label) OVER (PARTITION BY person_id ORDER BY timestamp, id) AS previous_label,
        row_number() OVER (PARTITION BY person_id ORDER BY timestamp, id) AS k
    FROM labelled
),
opened AS (
    SELECT person_id, id, timestamp, label, previous_label,
        CASE WHEN k = 1 OR timestamp > previous_at + $gap THEN 1 ELSE 0 END AS opens
    FROM ordered
),
visits AS (
    SELECT person_id, id, timestamp, label, previous_label, opens,
        sum(opens) OVER (PARTITION BY person_id ORDER BY timestamp, id ROWS UNBOUNDED PRECEDING) AS visit
    FROM opened
),
items AS (
    SELECT person_id, visit, label,
        CAST(row_number() OVER (PARTITION BY person_id, visit ORDER BY timestamp, id) AS BIGINT) AS n,
        count(*) OVER (PARTITION BY person_id, visit) AS visit_items
    FROM visits WHERE opens = 1 OR label <> previous_label
)"""  # noqa: S608

#: Per anchor: the item number the path is aligned on in each visit (none or 0: the visit has no path), each
#: item's step from it, and whether the visit ended with the item (up to an end, the path stops there by design:
#: never counted as ended).
_FIRST_ANCHOR = "min(CASE WHEN label = $anchor THEN n END) OVER (PARTITION BY person_id, visit)"
_ANCHORS = {
    "first": ("CAST(1 AS BIGINT)", "n", "n = visit_items"),
    "start": (_FIRST_ANCHOR, "n - a + 1", "n = visit_items"),
    "end": (_FIRST_ANCHOR, "$steps - (a - n)", "false"),
}


def _placed(anchor: str) -> str:
    """The CTEs down to `placed`: each kept item of a visit with a path, its step (1 to `steps`) and whether
    the visit ended with it."""
    aligned, step, ended = _ANCHORS[anchor]
    return f"""WITH {_ITEMS},
anchored AS (SELECT *, {aligned} AS a FROM items),
placed AS (
    SELECT person_id, visit, label, {step} AS pos, {ended} AS ended FROM anchored
    WHERE a > 0 AND {step} BETWEEN 1 AND $steps
)
"""  # noqa: S608


#: The report's rows after `placed`. Kind 0: visits per (step, node, next node or none, ended here), a node
#: being one of the step's `$nodes` most frequent items or '' for the others together, and (`total`) every
#: customer with a path. Kind 1: the `$limit` most frequent whole paths, their items joined by `SEPARATOR`.
SEPARATOR = "\x1f"
_REPORT = """,
counts AS (SELECT pos, label, count(*) AS n FROM placed GROUP BY pos, label),
shown AS (
    SELECT pos, label FROM (
        SELECT pos, label, row_number() OVER (PARTITION BY pos ORDER BY n DESC, label) AS r FROM counts
    ) WHERE r <= $nodes
),
named AS (
    SELECT p.person_id, p.visit, p.pos, p.ended, CASE WHEN s.label IS NULL THEN '' ELSE p.label END AS node
    FROM placed p LEFT JOIN shown s ON s.pos = p.pos AND s.label = p.label
),
linked AS (
    SELECT person_id, pos, node, ended, pos < $steps AND NOT ended AS onward,
        lead(node) OVER (PARTITION BY person_id, visit ORDER BY pos) AS following
    FROM named
),
whole AS (
    SELECT person_id, array_to_string(list(label ORDER BY pos), chr(31)) AS path FROM placed
    GROUP BY person_id, visit
)
SELECT 0 AS kind, grouping(pos, node, next_node, ended) > 0 AS total, pos, node, next_node, ended,
    count(*) AS visits, count(DISTINCT person_id) AS customers
FROM (SELECT person_id, pos, node, ended, CASE WHEN onward THEN following END AS next_node FROM linked)
GROUP BY GROUPING SETS ((pos, node, next_node, ended), ())
UNION ALL
SELECT * FROM (
    SELECT 1, false, CAST(NULL AS BIGINT), path, CAST(NULL AS VARCHAR), CAST(NULL AS BOOLEAN), count(*) AS n,
        count(DISTINCT person_id)
    FROM whole GROUP BY path ORDER BY n DESC, path LIMIT $limit
)
"""


def _anchor(query: PathQuery) -> str:
    return "start" if query.start else "end" if query.end else "first"


def path_statement(query: PathQuery, since: datetime, until: datetime) -> Statement:
    """The report's one question to the engine (`bench/analytics.py` runs the same on the bare engine)."""
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "gap": tracking_service.INACTIVITY,
        "steps": query.steps,
        "pages": query.items is not PathItems.EVENTS,
        "tracks": query.items is not PathItems.PAGES,
        "nodes": NODES_PER_STEP,
        "limit": TOP_PATHS,
    }
    if query.anchor:
        params["anchor"] = query.anchor
    return _placed(_anchor(query)).rstrip("\n") + _REPORT, params


def paths(session: Session, *, workspace_id: uuid.UUID, query: PathQuery) -> PathReport:
    """The range's paths: the items at each step and the moves between them (a Sankey diagram's nodes and
    links), where visits ended, and the most frequent whole paths."""
    timezone, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    sql, params = path_statement(query, since, until)
    rows = analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
    counted = [row[2:] for row in rows if int(row[0]) == 0 and not row[1]]
    totals = [row for row in rows if int(row[0]) == 0 and row[1]]
    nodes, links = _graph(counted)
    aligned = query.steps if query.end else 1
    return PathReport(
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=timezone,
        start=query.start,
        end=query.end,
        steps=query.steps,
        items=query.items,
        visits=sum(node.visits for node in nodes if node.step == aligned),
        customers=int(totals[0][7]) if totals else 0,
        nodes=nodes,
        links=links,
        top_paths=sorted(
            (
                PathRow(items=str(row[3]).split(SEPARATOR), visits=int(row[6]), customers=int(row[7]))
                for row in rows
                if int(row[0]) == 1
            ),
            key=lambda row: (-row.visits, row.items),
        ),
    )


def _graph(rows: list[tuple[Any, ...]]) -> tuple[list[PathNode], list[PathLink]]:
    """Nodes (each step's shown items, the others as '') and the links between them, from the engine's rows
    (step, node, next node, ended, visits, customers)."""
    merged: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    moves: dict[tuple[int, str, str], int] = defaultdict(int)
    for pos, node, next_node, ended, n, _ in rows:
        at = merged[(int(pos), str(node))]
        at[0] += int(n)
        at[1] += int(n) if ended else 0
        if next_node is not None:
            moves[(int(pos), str(node), str(next_node))] += int(n)
    nodes = [
        PathNode(step=step, label=label, visits=n, left=left)
        for (step, label), (n, left) in sorted(merged.items(), key=lambda kv: (kv[0][0], -kv[1][0], kv[0][1]))
    ]
    links = [
        PathLink(step=step, source=source, target=target, visits=n)
        for (step, source, target), n in sorted(moves.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return nodes, links


def paths_csv(report: PathReport) -> str:
    """The nodes (step, item, visits, ended there), then the links, then the top paths."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["kind", "step", "item", "next_item", "visits", "left", "customers"])
    for node in report.nodes:
        writer.writerow(["node", node.step, node.label, "", node.visits, node.left, ""])
    for link in report.links:
        writer.writerow(["link", link.step, link.source, link.target, link.visits, "", ""])
    for row in report.top_paths:
        writer.writerow(["path", len(row.items), " > ".join(row.items), "", row.visits, "", row.customers])
    return out.getvalue()
