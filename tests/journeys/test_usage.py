"""Channel usage on the funnel tests' toy visitors (hand-counted): sessions by weekday and hour, bounce and
engagement per device and channel, sessions per customer; the same on DuckDB and on chdb; API, page, CLI."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.journeys import service
from omnicx.journeys.schemas import UsageQuery, UsageReport
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
from tests.helpers import follow_export_links, sign_in
from tests.journeys.conftest import on_clickhouse
from tests.journeys.test_funnels import DAY, _seeded, at
from tests.journeys.test_paths import VISITS as PATH_VISITS
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import drain, send

RANGE = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


def _usage(runtime: Runtime, workspace_id: uuid.UUID) -> UsageReport:
    with runtime.sessions() as session:
        return service.usage(session, workspace_id=workspace_id, query=UsageQuery(date_from=DAY, date_to=DAY))


def test_usage_counts_the_days_sessions_by_hour_device_and_channel(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    _seeded(client, runtime, source)
    report = _usage(runtime, world.workspace.id)
    # On the day (a Monday, UTC): a, b, d, e, f, g one session each, c two (its add came 61 minutes after its
    # page). All start at 10:xx but c's second, at 11:02.
    everyone = {(c.weekday, c.hour): c.sessions for c in report.heatmap if c.channel == "*"}
    assert everyone == {(1, 10): 7, (1, 11): 1}
    assert [(r.key, r.sessions, r.customers) for r in report.by_channel] == [
        ("Direct", 7, 6),
        ("Email", 1, 1),
    ]
    [device] = report.by_device
    assert (device.sessions, device.customers) == (8, 7)
    # Per device category too (one here, so the same as everyone's), never per channel and device at once.
    of_device = {(c.weekday, c.hour): c.sessions for c in report.heatmap if c.device == device.key}
    assert of_device == everyone and all("*" in (c.channel, c.device) for c in report.heatmap)
    email = {(c.weekday, c.hour): c.sessions for c in report.heatmap if c.channel == "Email"}
    assert email == {(1, 10): 1}
    # Bounced: c's two one-event visits; every other visit lasted 10 s or more or held a key event.
    assert device.bounce_rate == pytest.approx(2 / 8) and device.engagement_rate == pytest.approx(6 / 8)
    assert report.visits_per_customer == {1: 6, 2: 1}
    # Landing pages: the first page view of each visit (c's second and g's visit of the day have none); a's
    # carries its campaign in the address.
    lamp = "https://shop.example/products/lamp"
    assert [(p.page, p.sessions, p.bounce_rate) for p in report.entry_pages] == [
        (lamp, 3, pytest.approx(1 / 3)),  # c's first (bounced), d, e
        ("https://shop.example/", 1, 0.0),  # f
        ("https://shop.example/products/kettle", 1, 0.0),  # b
        (f"{lamp}?utm_source=news&utm_medium=email", 1, 0.0),  # a
    ]
    # Durations: c's two and e's last 0 s; f's and g's 60 s; d's 180 s, b's 240 s, a's 600 s.
    assert [(d.from_seconds, d.sessions) for d in report.durations] == [
        (0, 3), (10, 0), (30, 0), (60, 2), (180, 2), (600, 1), (1800, 0)
    ]  # fmt: skip
    # The day before holds g's first visit only.
    with runtime.sessions() as session:
        before = service.usage(
            session,
            workspace_id=world.workspace.id,
            query=UsageQuery(date_from=DAY - timedelta(days=1), date_to=DAY - timedelta(days=1)),
        )
    assert [(r.key, r.sessions) for r in before.by_channel] == [("Direct", 1)]


def test_the_same_usage_on_clickhouse(
    client: TestClient, runtime: Runtime, settings: Settings, world: World, source: KeyedSource, chdb_url: str
) -> None:
    _seeded(client, runtime, source)
    on_duckdb = _usage(runtime, world.workspace.id)
    assert on_clickhouse(settings, chdb_url, lambda rt: _usage(rt, world.workspace.id)) == on_duckdb


def test_usage_through_the_api_the_page_and_the_cli(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource, cli_env: dict[str, str]
) -> None:
    _seeded(client, runtime, source)
    body = client.get("/api/v1/journeys/usage", params=RANGE, headers=world.token(Role.VIEWER)).json()
    assert body["visits_per_customer"] == {"1": 6, "2": 1}
    backwards = {**RANGE, "date_to": "2026-05-01"}
    refused = client.get("/api/v1/journeys/usage", params=backwards, headers=world.token(Role.VIEWER))
    assert refused.status_code == 422 and set(refused.json()) >= {"code", "message"}
    agent = client.get("/api/v1/journeys/usage", params=RANGE, headers=world.token(Role.AGENT))
    assert agent.status_code == 403  # agents do not read journeys

    sign_in(client, world.members[Role.ANALYST].email, world.members[Role.ANALYST].password)
    device = body["by_device"][0]["key"]
    chart = client.get(
        "/api/v1/journeys/usage/chart.json",
        params={**RANGE, "device": device},
        headers=world.token(Role.VIEWER),
    )
    assert chart.status_code == 200 and '"sessions": 8' not in chart.text and '"hour": 10' in chart.text
    page = client.get("/journeys/usage", params={**RANGE, "channel": "Email"})
    assert page.status_code == 200 and 'id="usage-channels"' in page.text and "data-vega-spec" in page.text
    follow_export_links(client, page.text)

    args = [
        "journeys",
        "usage",
        "-w",
        world.workspace.slug,
        "--from",
        RANGE["date_from"],
        "--to",
        RANGE["date_to"],
    ]
    result = CliRunner().invoke(cli_app, [*args, "--format", "json"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["visits_per_customer"] == {"1": 6, "2": 1}
    table = CliRunner().invoke(cli_app, args, env=cli_env)
    assert table.exit_code == 0 and "Direct" in table.stdout and "25.0%" in table.stdout
    assert "https://shop.example/products/kettle" in table.stdout  # an entry page


def test_exit_pages_are_the_last_page_views_of_visits(
    client: TestClient, runtime: Runtime, world: World, source: KeyedSource
) -> None:
    send(client, source, *PATH_VISITS)
    drain(runtime)
    analytics_service.sync(runtime)
    report = _usage(runtime, world.workspace.id)
    # By hand (the paths tests' visits): every cart view ended its visit; of 3 home page views only s's did; of
    # 5 lamp views only q's, 40 minutes after its kettle (which ended q's first visit). Events do not count.
    assert [(p.page, p.views, p.exits) for p in report.exit_pages] == [
        ("/cart", 3, 3),
        ("/", 3, 1),
        ("/products/kettle", 1, 1),
        ("/products/lamp", 5, 1),
    ]


def test_days_between_visits_per_bucket_on_both_engines(
    client: TestClient, runtime: Runtime, settings: Settings, world: World, source: KeyedSource, chdb_url: str
) -> None:
    hour, day = 60, 24 * 60
    send(
        client,
        source,
        # v returns an hour later (same day), 3 days later, then 10 days after that; w 40 days later.
        at("v", 0, "/"), at("v", hour, "/"), at("v", 3 * day, "/"), at("v", 13 * day, "/"),
        at("w", 0, "/"), at("w", 40 * day, "/"),
    )  # fmt: skip
    drain(runtime)
    analytics_service.sync(runtime)
    query = UsageQuery(date_from=DAY, date_to=DAY + timedelta(days=45))

    def ask(rt: Runtime) -> UsageReport:
        with rt.sessions() as session:
            return service.usage(session, workspace_id=world.workspace.id, query=query)

    report = ask(runtime)
    assert [(b.from_days, b.to_days, b.returns) for b in report.days_between_visits] == [
        (0, 1, 1), (1, 2, 0), (2, 4, 1), (4, 7, 0), (7, 14, 1), (14, 30, 0), (30, None, 1)
    ]  # fmt: skip
    assert on_clickhouse(settings, chdb_url, ask) == report
