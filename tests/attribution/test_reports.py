"""Reports on a small world sent through the tracking API: first and last touch are hand-checkable, and the
date-range and lookback edges behave."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from omnicx.attribution import service
from omnicx.attribution.schemas import AttributionReport, ReportQuery, StageKey
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.conftest import World
from tests.tracking.conftest import KeyedSource, make_source
from tests.tracking.test_processing import drain, send

DAY1 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SHOP = "https://shop.example"


def at(day: int, minutes: int = 0) -> str:
    return (DAY1 + timedelta(days=day - 1, minutes=minutes)).isoformat()


def page(anon: str, when: str, *, query: str = "", referrer: str | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"page": {"url": f"{SHOP}/{query}", "path": "/"}}
    if referrer:
        context["page"]["referrer"] = referrer
    return {"type": "page", "anonymousId": anon, "timestamp": when, "context": context}


def order(anon: str, when: str, revenue: float) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Order Completed",
        "anonymousId": anon,
        "timestamp": when,
        "properties": {"revenue": revenue, "currency": "EUR"},
    }


@pytest.fixture
def source(runtime: Runtime, world: World) -> KeyedSource:
    with runtime.sessions() as session:
        return make_source(session, world)


@pytest.fixture
def small_world(client: TestClient, source: KeyedSource, runtime: Runtime) -> None:
    send(
        client,
        source,
        # A: organic search first, then a newsletter click, then buys for 100.
        page("a", at(1), referrer="https://www.google.com/"),
        page("a", at(3), query="?utm_source=newsletter&utm_medium=email&utm_campaign=spring"),
        order("a", at(3, 5), 100),
        # B: comes direct, leaves an email (a contact), buys for 50 the same day.
        page("b", at(2)),
        {"type": "identify", "anonymousId": "b", "timestamp": at(2, 1), "traits": {"email": "b@example.com"}},
        order("b", at(2, 3), 50),
        # C: arrives from Facebook and never converts (a null path).
        page("c", at(2), referrer="https://m.facebook.com/"),
        # D: buys after the range ends.
        page("d", at(9), referrer="https://www.google.com/"),
        order("d", at(9, 2), 70),
        # E: one paid search click 40 days before buying; the purchase itself opens a Direct session.
        page("e", at(-39), query="?utm_source=google&utm_medium=cpc"),
        order("e", at(1, 30), 30),
    )
    drain(runtime)


def run(runtime: Runtime, world: World, **kwargs: Any) -> AttributionReport:
    query = ReportQuery(date_from=date(2026, 3, 1), date_to=date(2026, 3, 5), **kwargs)
    with runtime.sessions() as session:
        return service.report(session, workspace_id=world.workspace.id, query=query)


def credits(report: AttributionReport, stage: StageKey, column: str) -> dict[str, float]:
    values = {row.channel: getattr(row.stages[stage], column) for row in report.channels}
    return {channel: value for channel, value in values.items() if value}


@pytest.mark.usefixtures("small_world")
def test_first_and_last_touch_are_hand_checkable(runtime: Runtime, world: World) -> None:
    report = run(runtime, world, model="linear")
    assert credits(report, StageKey.SALE, "first") == {"Organic Search": 1, "Direct": 2}
    assert credits(report, StageKey.SALE, "last") == {"Email": 1, "Direct": 2}
    assert credits(report, StageKey.SALE, "model") == {"Organic Search": 0.5, "Email": 0.5, "Direct": 2}
    assert credits(report, StageKey.SALE, "value_last") == {"Email": 100, "Direct": 80}
    assert credits(report, StageKey.CONTACT, "first") == {"Direct": 1}
    sessions = {row.channel: row.sessions for row in report.channels if row.sessions}
    assert sessions == {"Organic Search": 1, "Email": 1, "Direct": 2, "Organic Social": 1}
    totals = report.totals[StageKey.SALE]
    assert (totals.conversions, totals.value, totals.null_paths) == (3, 180, 1)
    email = next(row for row in report.channels if row.channel == "Email")
    assert email.conversion_rate[StageKey.SALE] == pytest.approx(0.5)


@pytest.mark.usefixtures("small_world")
def test_lookback_window_decides_whether_an_old_click_counts(runtime: Runtime, world: World) -> None:
    short = run(runtime, world, model="first")
    assert "Paid Search" not in credits(short, StageKey.SALE, "first")
    long = run(runtime, world, model="first", lookback_days=60)
    assert credits(long, StageKey.SALE, "first") == {"Organic Search": 1, "Direct": 1, "Paid Search": 1}
    assert credits(long, StageKey.SALE, "last") == credits(short, StageKey.SALE, "last")


@pytest.mark.usefixtures("small_world")
def test_date_range_edges(runtime: Runtime, world: World) -> None:
    with runtime.sessions() as session:
        # Only day 3: A's sale counts; B's (day 2) and D's (day 9) do not.
        day3 = service.report(
            session,
            workspace_id=world.workspace.id,
            query=ReportQuery(date_from=date(2026, 3, 4), date_to=date(2026, 3, 4), model="first"),
        )
        day9 = service.report(
            session,
            workspace_id=world.workspace.id,
            query=ReportQuery(date_from=date(2026, 3, 10), date_to=date(2026, 3, 10), model="first"),
        )
    assert credits(day3, StageKey.SALE, "first") == {"Organic Search": 1}
    assert credits(day9, StageKey.SALE, "last") == {"Organic Search": 1}
    assert day9.totals[StageKey.SALE].value == 70


@pytest.mark.usefixtures("small_world")
def test_markov_credits_add_up_and_report_p_conversion(runtime: Runtime, world: World) -> None:
    report = run(runtime, world, model="markov", order=2)
    total = sum(row.stages[StageKey.SALE].model for row in report.channels)
    assert total == pytest.approx(3)
    assert 0 < (report.totals[StageKey.SALE].conversion_probability or 0) <= 1
    assert sum(row.stages[StageKey.SALE].value_model for row in report.channels) == pytest.approx(180)


@pytest.mark.usefixtures("small_world")
def test_api_exports_csv_json_png_and_svg(client: TestClient, world: World) -> None:
    headers = world.token(Role.ANALYST)
    params = {"date_from": "2026-03-01", "date_to": "2026-03-05", "model": "last"}
    body = client.get("/api/v1/attribution/report", params=params, headers=headers)
    assert body.status_code == 200
    assert {row["channel"] for row in body.json()["channels"]} >= {"Email", "Direct"}
    csv = client.get("/api/v1/attribution/report.csv", params=params, headers=headers)
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("channel,sessions,contact_first")
    png = client.get("/api/v1/attribution/chart.png", params=params, headers=headers)
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get("/api/v1/attribution/chart.svg", params=params, headers=headers)
    assert svg.text.lstrip().startswith("<svg")
    compare = client.get("/api/v1/attribution/compare", params={**params, "stage": "sale"}, headers=headers)
    assert {m["model"] for m in compare.json()["models"]} == {
        "first",
        "last",
        "last-non-direct",
        "linear",
        "position",
        "time-decay",
        "markov",
        "shapley",
    }


def test_a_range_without_data_still_charts(client: TestClient, world: World) -> None:
    params = {"date_from": "2020-01-01", "date_to": "2020-01-02"}
    png = client.get("/api/v1/attribution/chart.png", params=params, headers=world.token(Role.ANALYST))
    assert png.status_code == 200
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_range_that_ends_before_it_starts_is_refused(client: TestClient, world: World) -> None:
    params = {"date_from": "2026-03-05", "date_to": "2026-03-01"}
    response = client.get("/api/v1/attribution/report", params=params, headers=world.token(Role.ANALYST))
    assert response.status_code == 422
    assert response.json()["code"] == "attribution_parameter_invalid"


def test_stages_can_be_redefined(client: TestClient, world: World) -> None:
    headers = world.token(Role.MARKETER)
    stages = client.get("/api/v1/attribution/stages", headers=headers).json()
    assert [s["key"] for s in stages] == ["contact", "qualified", "sale"]
    changed = client.patch(
        "/api/v1/attribution/stages/sale",
        json={"event_names": ["Purchase"], "lookback_days": 14},
        headers=headers,
    )
    assert changed.status_code == 200
    assert changed.json()["event_names"] == ["Purchase"]
    assert changed.json()["lookback_days"] == 14
    denied = client.patch(
        "/api/v1/attribution/stages/sale", json={"lookback_days": 7}, headers=world.token(Role.VIEWER)
    )
    assert denied.status_code == 403


@pytest.mark.usefixtures("small_world")
def test_attribution_page_renders_chart_and_table(app, client: TestClient, world: World) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import follow_export_links, sign_in

    member = world.members[Role.MARKETER]
    sign_in(client, member.email, member.password)
    page = client.get(
        "/attribution", params={"date_from": "2026-03-01", "date_to": "2026-03-05", "model": "first"}
    )
    assert page.status_code == 200
    assert "data-vega-spec" in page.text
    assert "Organic Search" in page.text
    assert len(follow_export_links(client, page.text)) == 4  # CSV, JSON, PNG, SVG
    assert client.get("/static/vendor/charts.js").status_code == 200
