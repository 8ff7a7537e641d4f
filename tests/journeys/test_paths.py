"""Paths on hand-computed toy visits: visits cut after 30 quiet minutes, repeats counted once, pages named by
their path; from the first item, from a start, up to an end, pages or events only; where visits end. The same on
DuckDB and on ClickHouse's engine (chdb); API, exports, page and CLI."""

from __future__ import annotations

import importlib
import json
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.journeys import service
from omnicx.journeys.schemas import PathItems, PathQuery, PathReport
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.helpers import follow_export_links, sign_in
from tests.journeys.conftest import on_clickhouse
from tests.journeys.test_funnels import DAY, at
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import drain, send

LAMP, KETTLE, ADDED, ORDERED = "/products/lamp", "/products/kettle", "Product Added", "Order Completed"

# Visits, by hand:
#   p: / , lamp, lamp again (one item), Product Added, /cart, Order Completed
#   q: / , kettle; 40 quiet minutes, so a second visit: lamp, Product Added
#   r: lamp (from an email: the query is not part of the path), Product Added, /cart
#   t: the same as r, later
#   s: / only
#   u: / the day before the range (not counted)
VISITS = [
    at("p", 0, "/"), at("p", 1, LAMP), at("p", 2, LAMP), at("p", 3, ADDED), at("p", 4, "/cart"),
    at("p", 5, ORDERED),
    at("q", 0, "/"), at("q", 2, KETTLE), at("q", 42, LAMP), at("q", 43, ADDED),
    at("r", 0, f"{LAMP}?utm_source=news&utm_medium=email"), at("r", 1, ADDED), at("r", 2, "/cart"),
    at("t", 10, LAMP), at("t", 11, ADDED), at("t", 12, "/cart"),
    at("s", 3, "/"),
    at("u", -24 * 60, "/"),
]  # fmt: skip


def _seeded(client: TestClient, runtime: Runtime, source: KeyedSource) -> None:
    send(client, source, *VISITS)
    drain(runtime)
    analytics_service.sync(runtime)


def _paths(runtime: Runtime, workspace_id: uuid.UUID, **fields: object) -> PathReport:
    query = PathQuery.model_validate({"date_from": DAY, "date_to": DAY, **fields})
    with runtime.sessions() as session:
        return service.paths(session, workspace_id=workspace_id, query=query)


def _nodes(report: PathReport) -> list[tuple[int, str, int, int]]:
    return [(n.step, n.label, n.visits, n.left) for n in report.nodes]


def _links(report: PathReport) -> set[tuple[int, str, str, int]]:
    return {(link.step, link.source, link.target, link.visits) for link in report.links}


def test_paths_from_each_visits_first_item(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    report = _paths(runtime, world.workspace.id)
    assert (report.visits, report.customers) == (6, 5)  # p, q twice, r, t, s
    assert _nodes(report) == [
        (1, "/", 3, 1), (1, LAMP, 3, 0),  # p, q's first, s (which ended there); q's second, r, t
        (2, ADDED, 3, 1), (2, KETTLE, 1, 1), (2, LAMP, 1, 0),  # q's second visit ended with its add
        (3, "/cart", 2, 2), (3, ADDED, 1, 0),  # r and t left at the cart
        (4, "/cart", 1, 0),
        (5, ORDERED, 1, 1),
    ]  # fmt: skip
    assert _links(report) == {
        (1, LAMP, ADDED, 3), (1, "/", LAMP, 1), (1, "/", KETTLE, 1),
        (2, ADDED, "/cart", 2), (2, LAMP, ADDED, 1),
        (3, ADDED, "/cart", 1),
        (4, "/cart", ORDERED, 1),
    }  # fmt: skip
    assert [(p.items, p.visits, p.customers) for p in report.top_paths] == [
        ([LAMP, ADDED, "/cart"], 2, 2),
        (["/"], 1, 1),
        (["/", KETTLE], 1, 1),
        (["/", LAMP, ADDED, "/cart", ORDERED], 1, 1),
        ([LAMP, ADDED], 1, 1),
    ]


def test_a_path_cut_at_its_last_step_did_not_end_there(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    report = _paths(runtime, world.workspace.id, steps=2)
    # p goes on after its lamp page: cut, not left; q's first visit ended at the kettle.
    assert [(n.label, n.visits, n.left) for n in report.nodes if n.step == 2] == [
        (ADDED, 3, 1),
        (KETTLE, 1, 1),
        (LAMP, 1, 0),
    ]


def test_paths_from_a_start_and_up_to_an_end(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    started = _paths(runtime, world.workspace.id, start=ADDED, steps=3)
    assert (started.visits, started.customers) == (4, 4)  # p, q's second, r, t
    assert _nodes(started) == [(1, ADDED, 4, 1), (2, "/cart", 3, 2), (3, ORDERED, 1, 1)]
    ended = _paths(runtime, world.workspace.id, end="/cart", steps=3)
    # Aligned on the cart: p's lamp, add, cart (its home page is a fourth step back); r and t whole.
    assert (ended.visits, ended.customers) == (3, 3)
    # Up to an end, no visit counts as ended: the path stops there by design (r and t did end at the cart).
    assert _nodes(ended) == [(1, LAMP, 3, 0), (2, ADDED, 3, 0), (3, "/cart", 3, 0)]
    assert [(p.items, p.visits) for p in ended.top_paths] == [([LAMP, ADDED, "/cart"], 3)]
    nowhere = _paths(runtime, world.workspace.id, start="/nowhere")
    assert (nowhere.visits, nowhere.nodes, nowhere.top_paths) == (0, [], [])


def test_paths_of_pages_only_or_events_only(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    pages = _paths(runtime, world.workspace.id, items=PathItems.PAGES)
    # p's two lamp views, apart once its add is left out, are still one after the other: one item.
    assert [(p.items, p.visits) for p in pages.top_paths] == [
        ([LAMP, "/cart"], 2),
        (["/"], 1),
        (["/", KETTLE], 1),
        (["/", LAMP, "/cart"], 1),
        ([LAMP], 1),
    ]
    events = _paths(runtime, world.workspace.id, items=PathItems.EVENTS)
    assert [(p.items, p.visits) for p in events.top_paths] == [([ADDED], 3), ([ADDED, ORDERED], 1)]


def test_the_other_items_of_a_step_are_one_node(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seeded(client, runtime, source)
    monkeypatch.setattr(importlib.import_module("omnicx.journeys.service.paths"), "NODES_PER_STEP", 1)
    report = _paths(runtime, world.workspace.id)
    # Step 2 keeps the add (3 visits); the kettle and the lamp together are "" (2 visits, one ended). Step 1's
    # home page and lamp tie at 3: the first by name stays.
    assert [(n.label, n.visits, n.left) for n in report.nodes if n.step == 2] == [(ADDED, 3, 1), ("", 2, 1)]
    # Step 3 keeps the cart: p's add there is among the others.
    assert (1, "/", "", 2) in _links(report) and (2, "", "", 1) in _links(report)


def test_both_anchors_or_a_backwards_range_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        PathQuery(date_from=DAY, date_to=DAY, start="/", end="/cart")
    with pytest.raises(ValueError, match="ends before"):
        PathQuery(date_from=DAY, date_to=DAY - timedelta(days=1))


def test_the_same_paths_on_clickhouse(
    client: TestClient, runtime: Runtime, settings: Settings, world: World, source: KeyedSource, chdb_url: str
) -> None:
    _seeded(client, runtime, source)
    shapes: list[dict[str, object]] = [{}, {"start": ADDED, "steps": 3}, {"end": "/cart", "steps": 3}]
    on_duckdb = [_paths(runtime, world.workspace.id, **shape) for shape in shapes]
    on_chdb = on_clickhouse(
        settings, chdb_url, lambda rt: [_paths(rt, world.workspace.id, **shape) for shape in shapes]
    )
    assert on_chdb == on_duckdb


RANGE = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


def test_paths_through_the_api_the_page_and_the_cli(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, cli_env: dict[str, str]
) -> None:
    _seeded(client, runtime, source)
    headers = world.token(Role.ANALYST)
    body = client.get("/api/v1/journeys/paths", params={**RANGE, "start": ADDED}, headers=headers).json()
    assert body["visits"] == 4 and body["top_paths"][0]["items"] == [ADDED, "/cart"]
    both = client.get(
        "/api/v1/journeys/paths", params={**RANGE, "start": "/", "end": "/cart"}, headers=headers
    )
    assert both.status_code == 422 and set(both.json()) >= {"code", "message"}
    agent = client.get("/api/v1/journeys/paths", params=RANGE, headers=world.token(Role.AGENT))
    assert agent.status_code == 403
    csv = client.get("/api/v1/journeys/paths.csv", params=RANGE, headers=headers)
    assert csv.headers["content-type"].startswith("text/csv") and f"path,2,{LAMP} > {ADDED}" in csv.text
    png = client.get("/api/v1/journeys/paths/chart.png", params=RANGE, headers=headers)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")

    sign_in(client, world.members[Role.ANALYST].email, world.members[Role.ANALYST].password)
    page = client.get("/journeys/paths", params={**RANGE, "end": "/cart", "steps": "3"})
    assert page.status_code == 200 and 'id="paths-sankey"' in page.text and "data-vega-spec" in page.text
    assert f"{LAMP} → {ADDED} → /cart" in page.text
    follow_export_links(client, page.text)
    refused = client.get("/journeys/paths", params={**RANGE, "steps": "99"})
    assert refused.status_code == 200 and 'role="alert"' in refused.text

    args = [
        "journeys",
        "paths",
        "-w",
        world.workspace.slug,
        "--from",
        RANGE["date_from"],
        "--to",
        DAY.isoformat(),
    ]
    result = CliRunner().invoke(cli_app, [*args, "--start", ADDED, "--format", "json"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["visits"] == 4
    table = CliRunner().invoke(cli_app, args, env=cli_env)
    assert table.exit_code == 0 and f"{LAMP} → {ADDED} → /cart" in table.stdout
