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
        CAST(row_number() OVER (PARTITION BY person_id, visit ORDER BY timestamp, id) AS BIGINT) AS n
    FROM visits WHERE opens = 1 OR label <> previous_label
)"""  # noqa: S608

#: Per anchor: the item number the path is aligned on in each visit (none or 0: the visit has no path), each
#: item's step from it, and whether the visit ended with the item (up to an end, the path stops there by design:
#: never counted as ended).
_ANCHORS = {
    "first": ("CAST(1 AS BIGINT)", "i.n", "i.n = a.last"),
    "start": ("min(n) FILTER (WHERE label = $anchor)", "i.n - a.a + 1", "i.n = a.last"),
    "end": ("min(n) FILTER (WHERE label = $anchor)", "$steps - (a.a - i.n)", "false"),
}


def _placed(anchor: str) -> str:
    """The CTEs down to `placed`: each kept item of a visit with a path, its step (1 to `steps`) and whether
    the visit ended with it."""
    aligned, step, ended = _ANCHORS[anchor]
    return f"""WITH {_ITEMS},
anchored AS (
    SELECT person_id, visit, max(n) AS last, {aligned} AS a FROM items GROUP BY person_id, visit
),
placed AS (
    SELECT i.person_id, i.visit, i.label, {step} AS pos, {ended} AS ended
    FROM items i JOIN anchored a ON a.person_id = i.person_id AND a.visit = i.visit
    WHERE a.a > 0 AND {step} BETWEEN 1 AND $steps
)
"""  # noqa: S608


#: Visits per (step, item, next item or none, ended here), and every customer with a path.
_LINKS = """, linked AS (
    SELECT person_id, pos, label, ended, pos < $steps AND NOT ended AS onward,
        lead(label) OVER (PARTITION BY person_id, visit ORDER BY pos) AS following
    FROM placed
)
SELECT grouping(pos, label, next_label, ended) > 0 AS total, pos, label, next_label, ended, count(*),
    count(DISTINCT person_id)
FROM (SELECT person_id, pos, label, ended, CASE WHEN onward THEN following END AS next_label FROM linked)
GROUP BY GROUPING SETS ((pos, label, next_label, ended), ())
"""

#: The most frequent whole paths, with their visits and customers.
_TOP = """SELECT path, count(*) AS n, count(DISTINCT person_id) FROM (
    SELECT person_id, visit, list(label ORDER BY pos) AS path FROM placed GROUP BY person_id, visit
) GROUP BY path ORDER BY n DESC, path LIMIT $limit
"""


def _anchor(query: PathQuery) -> str:
    return "start" if query.start else "end" if query.end else "first"


def path_statements(query: PathQuery, since: datetime, until: datetime) -> dict[str, Statement]:
    """The report's two questions to the engine, by name: `links` and `paths`."""
    anchor = _anchor(query)
    params: dict[str, Any] = {
        "since": since,
        "until": until,
        "gap": tracking_service.INACTIVITY,
        "steps": query.steps,
        "pages": query.items is not PathItems.EVENTS,
        "tracks": query.items is not PathItems.PAGES,
    }
    if query.anchor:
        params["anchor"] = query.anchor
    return {
        "links": (_placed(anchor) + _LINKS, params),
        "paths": (_placed(anchor) + _TOP, {**params, "limit": TOP_PATHS}),
    }


def paths(session: Session, *, workspace_id: uuid.UUID, query: PathQuery) -> PathReport:
    """The range's paths: the items at each step and the moves between them (a Sankey diagram's nodes and
    links), where visits ended, and the most frequent whole paths."""
    timezone, since, until = workspace_range(session, workspace_id, query.date_from, query.date_to)
    found = {
        name: analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
        for name, (sql, params) in path_statements(query, since, until).items()
    }
    counted = [row for row in found["links"] if not row[0]]
    totals = [row for row in found["links"] if row[0]]
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
        customers=int(totals[0][6]) if totals else 0,
        nodes=nodes,
        links=links,
        top_paths=[
            PathRow(items=[str(item) for item in path], visits=int(n), customers=int(c))
            for path, n, c in sorted(found["paths"], key=lambda row: (-int(row[1]), list(row[0])))
        ],
    )


def _graph(rows: list[tuple[Any, ...]]) -> tuple[list[PathNode], list[PathLink]]:
    """Nodes (each step's most frequent items, the others as one) and the links between them."""
    visits: dict[tuple[int, str], int] = defaultdict(int)
    for _, pos, label, _next, _ended, n, _ in rows:
        visits[(int(pos), str(label))] += int(n)
    shown = _shown(visits)

    def node(step: int, label: str) -> str:
        return label if label in shown[step] else ""

    merged: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    moves: dict[tuple[int, str, str], int] = defaultdict(int)
    for _, pos, label, next_label, ended, n, _ in rows:
        step, count = int(pos), int(n)
        at = merged[(step, node(step, str(label)))]
        at[0] += count
        at[1] += count if ended else 0
        if next_label is not None:
            moves[(step, node(step, str(label)), node(step + 1, str(next_label)))] += count
    nodes = [
        PathNode(step=step, label=label, visits=n, left=left)
        for (step, label), (n, left) in sorted(merged.items(), key=lambda kv: (kv[0][0], -kv[1][0], kv[0][1]))
    ]
    links = [
        PathLink(step=step, source=source, target=target, visits=n)
        for (step, source, target), n in sorted(moves.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return nodes, links


def _shown(visits: dict[tuple[int, str], int]) -> dict[int, set[str]]:
    """Per step, the labels of its `NODES_PER_STEP` most visited items (ties by label)."""
    by_step: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for (step, label), n in visits.items():
        by_step[step].append((-n, label))
    return defaultdict(
        set, {step: {label for _, label in sorted(items)[:NODES_PER_STEP]} for step, items in by_step.items()}
    )


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
