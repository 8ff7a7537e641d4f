"""Ordered funnels on hand-computed toy data: each step strictly after the previous one, within the window
from step 1, the first entry in the range; the same answers on DuckDB and on ClickHouse's engine (chdb)."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.journeys import service
from omnicx.journeys.errors import InvalidFunnel
from omnicx.journeys.schemas import FunnelBreakdown, FunnelMode, FunnelQuery, FunnelResult, FunnelStep
from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.helpers import follow_export_links, sign_in
from tests.journeys.conftest import on_clickhouse
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import T0, customer_of, drain, send

DAY = T0.date()
STEPS = [
    FunnelStep.parse("page:/products/"),
    FunnelStep.parse("event:Product Added"),
    FunnelStep.parse("event:Order Completed"),
]


def at(anonymous_id: str, minutes: float, call: str, **properties: str) -> dict[str, Any]:
    """A page view (`/path`) or a track call (`Event Name`) by one visitor, `minutes` after T0."""
    when = (T0 + timedelta(minutes=minutes)).isoformat()
    common = {
        "anonymousId": anonymous_id,
        "timestamp": when,
        "messageId": f"{anonymous_id}-{minutes}-{call}",
        "properties": properties,
    }
    if call.startswith("/"):
        return {**common, "type": "page", "context": {"page": {"url": f"https://shop.example{call}"}}}
    return {**common, "type": "track", "event": call}


# Expected, by hand (window 60 minutes):
#   a: product page, add, order             -> steps 1, 2, 3 (2 min then 8 min); came from an email
#      (the others came straight to the shop)
#   b: product page, add                    -> steps 1, 2 (4 min)
#   c: product page, add 61 min later       -> step 1 only (outside the window)
#   d: add, then product page, then order   -> step 1 only (the add came before the product page)
#   e: product page, add, order all at the same instant -> step 1 only (each step strictly after the last)
#   f: the home page and an order           -> nowhere (never did step 1)
#   g: product page the day before the range, add and order in it -> nowhere (entered before the range)
FROM_EMAIL = "?utm_source=news&utm_medium=email"
EVENTS = [
    at("a", 0, f"/products/lamp{FROM_EMAIL}", variant="A"), at("a", 2, "Product Added"),
    at("a", 10, "Order Completed"),
    at("b", 5, "/products/kettle", variant="B"), at("b", 9, "Product Added"),
    at("c", 1, "/products/lamp"), at("c", 62, "Product Added"),
    at("d", 0, "Product Added"), at("d", 1, "/products/lamp"), at("d", 3, "Order Completed"),
    at("e", 7, "/products/lamp"), at("e", 7, "Product Added"), at("e", 7, "Order Completed"),
    at("f", 3, "/"), at("f", 4, "Order Completed"),
    at("g", -24 * 60, "/products/lamp"), at("g", 30, "Product Added"), at("g", 31, "Order Completed"),
]  # fmt: skip


def _funnel(runtime: Runtime, workspace_id: uuid.UUID, window_hours: int = 1) -> FunnelResult:
    query = FunnelQuery(steps=STEPS, date_from=DAY, date_to=DAY, window_hours=window_hours)
    with runtime.sessions() as session:
        return service.funnel(session, workspace_id=workspace_id, query=query)


def _seeded(client: TestClient, runtime: Runtime, source: KeyedSource) -> None:
    send(client, source, *EVENTS)
    drain(runtime)
    analytics_service.sync(runtime)


def test_an_ordered_funnel_counts_each_step_after_the_previous_within_the_window(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    result = _funnel(runtime, world.workspace.id)
    assert [s.customers for s in result.steps] == [5, 2, 1]  # a b c d e; a b; a
    assert [s.dropped for s in result.steps] == [0, 3, 1]
    assert result.steps[1].share_of_previous == pytest.approx(2 / 5)
    assert result.steps[2].share_of_first == pytest.approx(1 / 5)
    assert result.steps[1].median_seconds_from_previous == pytest.approx(180.0)  # 2 and 4 minutes
    assert result.steps[2].median_seconds_from_previous == pytest.approx(480.0)  # a: 8 minutes
    assert result.steps[0].median_seconds_from_previous is None
    assert [(seg.key, seg.customers) for seg in result.breakdown] == [
        ("Direct", [4, 1, 0]),
        ("Email", [1, 1, 1]),
    ]
    assert [(d.day, d.entered, d.completed) for d in result.trend] == [(DAY, 5, 1)]
    # From the day before, g enters then (its add comes 24.5 hours later, past the window): two days of trend.
    two_days = FunnelQuery(steps=STEPS, date_from=DAY - timedelta(days=1), date_to=DAY, window_hours=1)
    with runtime.sessions() as session:
        longer = service.funnel(session, workspace_id=world.workspace.id, query=two_days)
    assert [(d.entered, d.completed) for d in longer.trend] == [(1, 0), (5, 1)]
    # A two-hour window lets c's late add count.
    assert [s.customers for s in _funnel(runtime, world.workspace.id, window_hours=2).steps] == [5, 3, 1]


def test_the_same_funnel_on_clickhouse(
    client: TestClient, runtime: Runtime, settings: Settings, world: World, source: KeyedSource, chdb_url: str
) -> None:
    _seeded(client, runtime, source)
    on_duckdb = _funnel(runtime, world.workspace.id)
    assert on_clickhouse(settings, chdb_url, lambda rt: _funnel(rt, world.workspace.id)) == on_duckdb


@pytest.mark.parametrize("text", ["event", "event:", "click:Buy", ":Buy"])
def test_a_step_written_wrongly_is_refused(text: str) -> None:
    with pytest.raises(InvalidFunnel):
        FunnelStep.parse(text)


PARAMS = {
    "step": [f"{s.kind.value}:{s.match}" for s in STEPS],
    "date_from": DAY.isoformat(),
    "date_to": DAY.isoformat(),
    "window_hours": "1",
}


def test_the_api_page_and_exports_give_the_funnel(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    headers = world.token(Role.ANALYST)
    body = client.get("/api/v1/journeys/funnel", params=PARAMS, headers=headers).json()
    assert [s["customers"] for s in body["steps"]] == [5, 2, 1]
    csv = client.get("/api/v1/journeys/funnel.csv", params=PARAMS, headers=headers)
    assert csv.headers["content-type"].startswith("text/csv") and csv.text.count("\n") == 4
    png = client.get("/api/v1/journeys/funnel/chart.png", params=PARAMS, headers=headers)
    assert png.headers["content-type"] == "image/png" and png.content.startswith(b"\x89PNG")
    events = client.get(
        "/api/v1/journeys/events",
        params={"date_from": PARAMS["date_from"], "date_to": PARAMS["date_to"]},
        headers=headers,
    )
    assert events.json() == ["Product Added", "Order Completed"]  # 6 adds, 5 orders

    sign_in(client, world.members[Role.ANALYST].email, world.members[Role.ANALYST].password)
    page = client.get("/journeys/funnels", params=PARAMS)
    assert page.status_code == 200
    table = page.text.split('id="funnel-table"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>\s*<td class=\"label\">(.*?)</td>\s*<td>(.*?)</td>", table)
    assert [(label, int(count)) for label, count in rows] == [
        ("1. page: /products/", 5),
        ("2. event: Product Added", 2),
        ("3. event: Order Completed", 1),
    ]
    assert "data-vega-spec" in page.text
    segments = page.text.split('id="funnel-segments"', 1)[1].split("</table>", 1)[0]
    assert re.findall(r'<td class="label">(\w+)</td>', segments) == ["Direct", "Email"]
    follow_export_links(client, page.text)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({**PARAMS, "step": ["event:Order Completed"]}, None),  # one step: FastAPI's own validation
        ({**PARAMS, "step": ["click:Buy", "event:Order Completed"]}, "a step is"),
        ({**PARAMS, "date_from": "2026-05-05", "date_to": "2026-05-01"}, "ends before it starts"),
        ({**PARAMS, "window_hours": "0"}, "greater than or equal to 1"),
    ],
)
def test_a_funnel_that_cannot_be_computed_is_refused_with_its_reason(
    client: TestClient, world: World, params: dict[str, Any], message: str | None
) -> None:
    response = client.get("/api/v1/journeys/funnel", params=params, headers=world.token(Role.ANALYST))
    assert response.status_code == 422
    body = response.json()
    assert set(body) >= {"code", "message"}
    if message is not None:
        assert body["code"] == "invalid_funnel" and message in body["message"]


def test_the_cli_prints_the_funnel(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, cli_env: dict[str, str]
) -> None:
    _seeded(client, runtime, source)
    steps = [arg for s in PARAMS["step"] for arg in ("--step", s)]
    args = ["journeys", "funnel", "-w", world.workspace.slug, *steps, "--from", PARAMS["date_from"]]
    args += ["--to", PARAMS["date_to"], "--window-hours", "1"]
    result = CliRunner().invoke(cli_app, [*args, "--format", "json"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert [s["customers"] for s in json.loads(result.stdout)["steps"]] == [5, 2, 1]
    table = CliRunner().invoke(cli_app, args, env=cli_env)
    assert table.exit_code == 0 and "Product Added" in table.stdout and "40.0%" in table.stdout
    bad = CliRunner().invoke(cli_app, [*args[:4], "--step", "nope", "--step", "x:y", *args[-6:]], env=cli_env)
    assert bad.exit_code == 1 and "invalid_funnel" in bad.stderr


def test_the_customers_who_dropped_at_a_step_are_listed_with_links(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, cli_env: dict[str, str]
) -> None:
    _seeded(client, runtime, source)
    customers = {name: customer_of(runtime, name) for name in "abcde"}
    headers = world.token(Role.ANALYST)
    at_2 = client.get("/api/v1/journeys/funnel/dropped", params={**PARAMS, "position": 2}, headers=headers)
    assert at_2.json()["total"] == 3
    assert {item["id"] for item in at_2.json()["items"]} == {str(customers[n]) for n in "cde"}
    at_3 = client.get("/api/v1/journeys/funnel/dropped", params={**PARAMS, "position": 3}, headers=headers)
    assert [item["id"] for item in at_3.json()["items"]] == [str(customers["b"])]
    beyond = client.get("/api/v1/journeys/funnel/dropped", params={**PARAMS, "position": 4}, headers=headers)
    assert beyond.status_code == 422

    sign_in(client, world.members[Role.ANALYST].email, world.members[Role.ANALYST].password)
    funnel_page = client.get("/journeys/funnels", params=PARAMS).text
    link = re.search(r'href="(/journeys/funnels/dropped\?[^"]*position=2)"', funnel_page)
    assert link is not None
    page = client.get(link.group(1).replace("&amp;", "&"))
    assert page.status_code == 200
    assert set(re.findall(r'href="/customers/([0-9a-f-]+)"', page.text)) == {str(customers[n]) for n in "cde"}

    steps = [arg for s in PARAMS["step"] for arg in ("--step", s)]
    args = ["journeys", "dropped", "-w", world.workspace.slug, *steps, "--position", "3"]
    args += ["--from", PARAMS["date_from"], "--to", PARAMS["date_to"], "--window-hours", "1"]
    result = CliRunner().invoke(cli_app, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert str(customers["b"]) in result.stdout and "1 customers" in result.stdout


def test_every_role_that_reads_journeys_reads_customers() -> None:
    """The drop-off lists show customers: they are gated by the journeys permission alone, which is right only
    while no role reads journeys without reading customers."""
    for role in Role:
        assert not allows(role, Action.JOURNEYS_READ) or allows(role, Action.CUSTOMERS_READ), role


# h did every step in order, but with a page of the home page between the product page and the add.
AND_H = [
    at("h", 0, "/products/vase"),
    at("h", 1, "/"),
    at("h", 2, "Product Added"),
    at("h", 3, "Order Completed"),
]


def _in_mode(runtime: Runtime, workspace_id: uuid.UUID, mode: FunnelMode) -> FunnelResult:
    query = FunnelQuery(steps=STEPS, date_from=DAY, date_to=DAY, window_hours=1, mode=mode)
    with runtime.sessions() as session:
        return service.funnel(session, workspace_id=workspace_id, query=query)


def _seeded_with_h(client: TestClient, runtime: Runtime, source: KeyedSource) -> None:
    send(client, source, *EVENTS, *AND_H)
    drain(runtime)
    analytics_service.sync(runtime)


def test_strict_order_wants_each_step_as_the_next_event_and_any_order_counts_steps_done(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded_with_h(client, runtime, source)
    ordered = _in_mode(runtime, world.workspace.id, FunnelMode.ORDERED)
    assert [s.customers for s in ordered.steps] == [6, 3, 2]  # a b c d e h; a b h; a h
    strict = _in_mode(runtime, world.workspace.id, FunnelMode.STRICT)
    assert [s.customers for s in strict.steps] == [6, 2, 1]  # h's home page comes between its steps 1 and 2
    # Any order, from each customer's first event of any step (window 60 minutes):
    #   a 3 steps; b 2; c 1 (its add is past the window); d 3 (add, product page, order); e 3 (one instant);
    #   f 1 (an order, no product page); g 2 (its product page was the day before); h 3.
    unordered = _in_mode(runtime, world.workspace.id, FunnelMode.ANY)
    assert [s.customers for s in unordered.steps] == [8, 6, 4]
    # From the first step done to the second: a 2 min, b 4, d 1, e 0, g 1, h 2; the second to the third:
    # a 8, d 2, e 0, h 1.
    assert unordered.steps[1].median_seconds_from_previous == pytest.approx(90.0)
    assert unordered.steps[2].median_seconds_from_previous == pytest.approx(90.0)
    assert unordered.mode is FunnelMode.ANY


def test_the_same_modes_on_clickhouse(
    client: TestClient, runtime: Runtime, settings: Settings, world: World, source: KeyedSource, chdb_url: str
) -> None:
    _seeded_with_h(client, runtime, source)
    modes = (FunnelMode.STRICT, FunnelMode.ANY)
    on_duckdb = [_in_mode(runtime, world.workspace.id, mode) for mode in modes]
    on_chdb = on_clickhouse(
        settings, chdb_url, lambda rt: [_in_mode(rt, world.workspace.id, mode) for mode in modes]
    )
    assert on_chdb == on_duckdb


def test_the_mode_reaches_the_api_the_page_and_the_drop_offs(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded_with_h(client, runtime, source)
    headers = world.token(Role.ANALYST)
    strict = {**PARAMS, "mode": "strict"}
    body = client.get("/api/v1/journeys/funnel", params=strict, headers=headers).json()
    assert [s["customers"] for s in body["steps"]] == [6, 2, 1] and body["mode"] == "strict"
    dropped = client.get("/api/v1/journeys/funnel/dropped", params={**strict, "position": 2}, headers=headers)
    assert {item["id"] for item in dropped.json()["items"]} == {str(customer_of(runtime, n)) for n in "cdeh"}
    wrong = client.get("/api/v1/journeys/funnel", params={**PARAMS, "mode": "backwards"}, headers=headers)
    assert wrong.status_code == 422 and set(wrong.json()) >= {"code", "message"}
    sign_in(client, world.members[Role.ANALYST].email, world.members[Role.ANALYST].password)
    page = client.get("/journeys/funnels", params=strict).text
    assert '<option value="strict" selected>' in page
    assert re.search(r'href="/journeys/funnels/dropped\?[^"]*mode=strict', page)


@pytest.mark.parametrize(
    ("breakdown", "prop", "expected"),
    [
        (
            "channel",
            None,
            [("Direct", [4, 1, 0]), ("Email", [1, 1, 1])],
        ),  # a's entry visit came from an email
        ("device", None, [("other", [5, 2, 1])]),  # no event says its device
        ("property", "variant", [("(none)", [3, 0, 0]), ("A", [1, 1, 1]), ("B", [1, 1, 0])]),
    ],
)
def test_a_funnel_breaks_down_by_the_entry_visit_or_a_property_of_the_entry_event(
    client: TestClient,
    runtime: Runtime,
    world: World,
    source: KeyedSource,
    breakdown: str,
    prop: str | None,
    expected: list[tuple[str, list[int]]],
) -> None:
    _seeded(client, runtime, source)
    params = {**PARAMS, "breakdown": breakdown, **({"breakdown_property": prop} if prop else {})}
    body = client.get("/api/v1/journeys/funnel", params=params, headers=world.token(Role.ANALYST)).json()
    assert [(seg["key"], seg["customers"]) for seg in body["breakdown"]] == expected
    assert [s["customers"] for s in body["steps"]] == [5, 2, 1]


def test_the_same_breakdowns_on_clickhouse(
    client: TestClient, runtime: Runtime, settings: Settings, world: World, source: KeyedSource, chdb_url: str
) -> None:
    _seeded(client, runtime, source)

    def breakdowns(rt: Runtime) -> list[FunnelResult]:
        queries = [
            FunnelQuery(
                steps=STEPS, date_from=DAY, date_to=DAY, window_hours=1, breakdown=by, breakdown_property=p
            )
            for by, p in ((FunnelBreakdown.CHANNEL, None), (FunnelBreakdown.PROPERTY, "variant"))
        ]
        with rt.sessions() as session:
            return [service.funnel(session, workspace_id=world.workspace.id, query=q) for q in queries]

    assert on_clickhouse(settings, chdb_url, breakdowns) == breakdowns(runtime)


def test_a_breakdown_by_property_needs_the_property(client: TestClient, world: World) -> None:
    response = client.get(
        "/api/v1/journeys/funnel",
        params={**PARAMS, "breakdown": "property"},
        headers=world.token(Role.ANALYST),
    )
    assert response.status_code == 422 and "property's name" in response.json()["message"]
