"""The paths' Sankey diagram, in Vega-Lite like every other chart (so the page draws it with the served Vega
bundle and the server renders it to PNG/SVG): the layout is computed here, Vega-Lite draws it.

Each step is a column of nodes, one per item, as tall as its visits; the part of a node whose visits ended
there is drawn apart, in red. A link is a ribbon from its source's outgoing stack to its target's incoming
stack, as thick as its visits, eased between the two columns.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import altair as alt

from omnicx.journeys.schemas import PathLink, PathNode, PathReport
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.i18n import gettext

#: A node's width and the space between two nodes of a column, as shares of a column's width and tallest
#: column; the points along each ribbon; labels longer than this are shortened (the tooltip has them whole).
NODE_WIDTH = 0.08
NODE_GAP = 0.06
RIBBON_POINTS = 16
LABEL_CHARACTERS = 28
CONTINUED, ENDED, RIBBON = "#4c78a8", "#e45756", "#9ecae1"


@dataclass
class _Box:
    node: PathNode
    top: float
    out_at: float = 0.0  # where the next outgoing ribbon leaves
    in_at: float = 0.0  # where the next incoming ribbon arrives


def _boxes(nodes: list[PathNode]) -> tuple[dict[tuple[int, str], _Box], float]:
    """Each node's place in its column, columns stacked from the top in the report's order; the height of the
    tallest column."""
    columns: dict[int, list[PathNode]] = defaultdict(list)
    for node in nodes:
        columns[node.step].append(node)
    gap = NODE_GAP * max(sum(n.visits for n in column) for column in columns.values())
    boxes: dict[tuple[int, str], _Box] = {}
    tallest = 0.0
    for column in columns.values():
        y = 0.0
        for node in sorted(column, key=lambda n: n.label == ""):  # the other items at the bottom
            boxes[(node.step, node.label)] = _Box(node, y, out_at=y, in_at=y)
            y += node.visits + gap
        tallest = max(tallest, y - gap)
    return boxes, tallest


def _ends(links: list[PathLink], boxes: dict[tuple[int, str], _Box]) -> list[tuple[float, float]]:
    """Where each link leaves its source and reaches its target: a node's outgoing ribbons stacked in the order
    of their targets, its incoming ones in the order of their sources, so ribbons cross as little as they can."""

    def source(link: PathLink) -> _Box:
        return boxes[(link.step, link.source)]

    def target(link: PathLink) -> _Box:
        return boxes[(link.step + 1, link.target)]

    leaves: dict[int, float] = {}
    for index in sorted(range(len(links)), key=lambda i: target(links[i]).top):
        box = source(links[index])
        leaves[index], box.out_at = box.out_at, box.out_at + links[index].visits
    arrives: dict[int, float] = {}
    for index in sorted(range(len(links)), key=lambda i: source(links[i]).top):
        box = target(links[index])
        arrives[index], box.in_at = box.in_at, box.in_at + links[index].visits
    return [(leaves[i], arrives[i]) for i in range(len(links))]


def _ribbon(index: int, link: PathLink, y0: float, y1: float) -> list[dict[str, Any]]:
    """The points along one link's ribbon: its top and bottom eased from the source column to the target's."""
    x0, x1 = link.step + NODE_WIDTH, float(link.step + 1)
    points = []
    for k in range(RIBBON_POINTS):
        t = k / (RIBBON_POINTS - 1)
        top = y0 + (y1 - y0) * t * t * (3 - 2 * t)
        points.append(
            {
                "link": index,
                "x": x0 + (x1 - x0) * t,
                "top": top,
                "bottom": top + link.visits,
                "from": _name(link.source),
                "to": _name(link.target),
                "visits": link.visits,
            }
        )
    return points


def _nothing(report: PathReport) -> str:
    anchor = report.start or report.end
    if anchor:
        return gettext("No visit in this range reached “%(item)s”.") % {"item": anchor}
    return gettext("No visit in this range has a path.")


def _name(label: str) -> str:
    return label or gettext("Other")


def _short(label: str) -> str:
    name = _name(label)
    return name if len(name) <= LABEL_CHARACTERS else name[: LABEL_CHARACTERS - 1] + "…"


def _node_rows(boxes: dict[tuple[int, str], _Box]) -> list[dict[str, Any]]:
    """Two bars per node: the visits that went on (or were cut at the last step), then those that ended."""
    rows = []
    for box in boxes.values():
        node, went_on = box.node, box.node.visits - box.node.left
        common = {
            "x": node.step,
            "x2": node.step + NODE_WIDTH,
            "item": _name(node.label),
            "visits": node.visits,
        }
        common |= {"left": node.left, "label": f"{_short(node.label)} ({node.visits})"}
        rows.append({**common, "part": "on", "y": box.top, "y2": box.top + went_on})
        if node.left:
            rows.append({**common, "part": "ended", "y": box.top + went_on, "y2": box.top + node.visits})
    return rows


def paths_spec(report: PathReport) -> dict[str, Any]:
    """The Sankey diagram of the report's nodes and links; red where visits ended."""
    if not report.nodes:
        return empty_chart(_nothing(report))
    boxes, tallest = _boxes(report.nodes)
    ends = _ends(report.links, boxes)
    ribbons = [
        point
        for index, (link, (y0, y1)) in enumerate(zip(report.links, ends, strict=True))
        for point in _ribbon(index, link, y0, y1)
    ]
    steps = sorted({node.step for node in report.nodes})
    x_scale = alt.Scale(domain=[steps[0], steps[-1] + 0.9], nice=False)
    x = alt.X(
        "x:Q",
        scale=x_scale,
        axis=alt.Axis(
            values=steps,
            format="d",
            grid=False,
            domain=False,
            ticks=False,
            title=gettext("Step"),
            orient="top",
        ),
    )
    y_scale = alt.Scale(domain=[0, tallest], reverse=True, nice=False)
    y = alt.Y("y:Q", scale=y_scale, axis=None)
    visits, ended = gettext("Visits"), gettext("Ended here")
    links = (
        alt.Chart(alt.InlineData(values=ribbons))
        .mark_area(color=RIBBON, opacity=0.55)
        .encode(
            x=x,
            y=alt.Y("top:Q", scale=y_scale, axis=None),
            y2="bottom:Q",
            detail="link:N",
            tooltip=[
                alt.Tooltip("from:N", title=gettext("From")),
                alt.Tooltip("to:N", title=gettext("To")),
                alt.Tooltip("visits:Q", title=visits),
            ],
        )
    )
    node_data = alt.InlineData(values=_node_rows(boxes))
    bars = (
        alt.Chart(node_data)
        .mark_rect()
        .encode(
            x=x,
            x2="x2:Q",
            y=y,
            y2="y2:Q",
            color=alt.Color(
                "part:N", scale=alt.Scale(domain=["on", "ended"], range=[CONTINUED, ENDED]), legend=None
            ),
            tooltip=[
                alt.Tooltip("item:N", title=gettext("Item")),
                alt.Tooltip("visits:Q", title=visits),
                alt.Tooltip("left:Q", title=ended),
            ],
        )
    )
    labels = (
        alt.Chart(node_data)
        .transform_filter("datum.part == 'on'")
        .transform_calculate(middle="datum.y + datum.visits / 2", right=f"datum.x + {NODE_WIDTH + 0.015}")
        .mark_text(align="left", baseline="middle", fontSize=11, color="#1f2937")
        .encode(
            x=alt.X("right:Q", scale=x_scale), y=alt.Y("middle:Q", scale=y_scale, axis=None), text="label:N"
        )
    )
    tallest_column = max(sum(1 for n in report.nodes if n.step == step) for step in steps)
    chart = alt.layer(links, bars, labels).properties(width="container", height=max(200, 44 * tallest_column))
    spec: dict[str, Any] = chart.to_dict()
    return spec
