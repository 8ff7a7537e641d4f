"""The Overview tells the same story as the pages it links to: its numbers are checked against the Attribution
report and the Inbox report for the same range (through their own APIs), its trends add up to its totals, and
each role sees only the parts its permissions allow."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.commerce import service as commerce_service
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate, ReservationCreate
from omnicx.inbox import service as inbox_service
from omnicx.inbox.schemas import InboxPublic, ReplyCreate
from omnicx.kernel.access.permissions import PERMISSIONS, Action, Role
from omnicx.kernel.i18n.formats import chart_locale, format_money
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop, make_shop
from tests.conftest import World
from tests.inbox.conftest import inbound
from tests.tracking.conftest import KeyedSource, make_source
from tests.tracking.test_processing import drain, send

SHOP = "https://shop.example"
TODAY = datetime.now(UTC).date()
RANGE = {"date_from": (TODAY - timedelta(days=6)).isoformat(), "date_to": TODAY.isoformat()}


def at(days_ago: int, minutes: int = 0) -> str:
    moment = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), UTC)
    return (moment + timedelta(hours=9, minutes=minutes)).isoformat()


def page(anon: str, when: str, *, query: str = "", referrer: str | None = None) -> dict[str, Any]:
    context: dict[str, Any] = {"page": {"url": f"{SHOP}/{query}", "path": "/"}}
    if referrer:
        context["page"]["referrer"] = referrer
    return {"type": "page", "anonymousId": anon, "timestamp": when, "context": context}


def track(anon: str, when: str, event: str, **properties: Any) -> dict[str, Any]:
    return {"type": "track", "event": event, "anonymousId": anon, "timestamp": when, "properties": properties}


def identify(anon: str, when: str, email: str) -> dict[str, Any]:
    return {"type": "identify", "anonymousId": anon, "timestamp": when, "traits": {"email": email}}


@pytest.fixture
def story(client: TestClient, db: Session, world: World, runtime: Runtime, email_inbox: InboxPublic) -> Shop:
    """Five visitors over the week (search, newsletter, direct, social, paid), two conversations, a shop."""
    source: KeyedSource = make_source(db, world)
    db.close()
    send(
        client,
        source,
        page("a", at(5), referrer="https://www.google.com/"),
        page("a", at(2), query="?utm_source=newsletter&utm_medium=email"),
        identify("a", at(2, 1), "a@example.com"),
        track("a", at(2, 5), "Order Completed", revenue=120),
        page("b", at(4)),
        identify("b", at(4, 1), "b@example.com"),
        track("b", at(4, 3), "Order Completed", revenue=45.5),
        page("c", at(3), referrer="https://m.facebook.com/"),
        page("d", at(1), query="?utm_source=google&utm_medium=cpc"),
        identify("d", at(1, 2), "d@example.com"),
        page("e", at(40), referrer="https://www.google.com/"),
    )
    drain(runtime)
    owner = world.members[Role.OWNER].principal
    first = inbox_service.receive(
        db, inbox_id=email_inbox.id, message=inbound("a@example.com", "Where is my order?")
    )
    inbox_service.reply(
        db, principal=owner, conversation_id=first.conversation_id, data=ReplyCreate(text="On its way")
    )
    inbox_service.receive(
        db, inbox_id=email_inbox.id, message=inbound("z@example.com", "Do you ship to Bali?")
    )
    db.rollback()
    shop = make_shop(db, world.workspace.id, {"TEE-S": (10, 2, 0), "TEE-M": (6, 9, 9), "MUG": (20, 20, 20)})
    # Reservations alone bring TEE-M at the warehouse from 6 down to 1.
    commerce_service.reserve(
        db,
        workspace_id=world.workspace.id,
        data=ReservationCreate(location_id=shop.warehouse.id, lines=[LineRequest(sku="TEE-M", quantity=5)]),
    )
    db.rollback()
    analytics_service.sync(runtime)  # the reports read the analytics copy
    return shop


def get(client: TestClient, world: World, path: str, role: Role = Role.OWNER, **params: str) -> Any:
    response = client.get(path, params={**RANGE, **params}, headers=world.token(role))
    assert response.status_code == 200, response.text
    return response.json()


def test_channel_numbers_agree_with_the_attribution_report(
    client: TestClient, world: World, story: Shop
) -> None:
    overview = get(client, world, "/api/v1/overview")
    report = get(client, world, "/api/v1/attribution/report", model="markov")
    assert overview["sessions"] == report["sessions"] > 0
    stage_names = {"contact": "contacts", "qualified": "qualified", "sale": "sales"}
    for key, name in stage_names.items():
        assert overview["totals"][name] == pytest.approx(report["totals"][key]["conversions"])
    assert overview["totals"]["revenue"] == pytest.approx(report["totals"]["sale"]["value"]) == 165.5
    rows = {row["channel"]: row for row in report["channels"]}
    assert {row["channel"] for row in overview["channels"]} == set(rows)
    for row in overview["channels"]:
        expected = rows[row["channel"]]
        assert row["sessions"] == expected["sessions"]
        for touch, column in (("first_touch", "first"), ("last_touch", "last")):
            for key, name in stage_names.items():
                assert row[touch][name] == pytest.approx(expected["stages"][key][column])
            assert row[touch]["revenue"] == pytest.approx(expected["stages"]["sale"][f"value_{column}"])
    by_channel = {row["channel"]: row for row in overview["channels"]}
    # Visitor a found the shop through search and bought after a newsletter click.
    assert by_channel["Organic Search"]["first_touch"]["revenue"] == pytest.approx(120)
    assert by_channel["Email"]["last_touch"]["revenue"] == pytest.approx(120)


def test_inbox_numbers_agree_with_the_inbox_report(client: TestClient, world: World, story: Shop) -> None:
    overview = get(client, world, "/api/v1/overview")
    inbox, service = overview["inbox"], overview["service"]
    report = get(
        client, world, "/api/v1/inbox/reports", **{"from": RANGE["date_from"], "to": RANGE["date_to"]}
    )
    totals = report["totals"]
    assert service["conversations"] == totals["conversations"] == 2
    assert service["resolved"] == totals["resolved"]
    assert service["sla_hit_rate"] == totals["sla_hit_rate"]
    assert service["first_response_median_seconds"] == totals["first_response_median_seconds"]
    assert inbox["open_by_channel"]["email"] == sum(
        r["open"] for r in report["by_channel"] if r["key"] == "email"
    )
    assert inbox["sla_on_track"] + inbox["sla_warning"] + inbox["sla_breached"] == 2


def test_trends_add_up_to_the_totals(client: TestClient, world: World, story: Shop) -> None:
    overview = get(client, world, "/api/v1/overview")
    days = {p["day"] for p in overview["sessions_trend"]}
    assert len(days) == 7  # quiet days are zeros, not gaps
    assert sum(p["value"] for p in overview["sessions_trend"]) == overview["sessions"]
    for name in ("contacts", "qualified", "sales"):
        points = [p["value"] for p in overview["conversions_trend"] if p["series"] == name]
        assert sum(points) == pytest.approx(overview["totals"][name])
    assert sum(p["value"] for p in overview["revenue_trend"]) == pytest.approx(overview["totals"]["revenue"])
    sales_day = (TODAY - timedelta(days=2)).isoformat()
    assert [p["value"] for p in overview["revenue_trend"] if p["day"] == sales_day] == [120]


def test_stock_alerts_count_reservations_and_skip_healthy_stock(
    client: TestClient, world: World, story: Shop
) -> None:
    alerts = get(client, world, "/api/v1/overview")["stock_alerts"]
    found = {(a["sku"], a["location_code"]): a["available"] for a in alerts}
    assert found[("TEE-S", "paris")] == 2
    assert found[("TEE-S", "lyon")] == 0
    assert found[("TEE-M", "wh")] == 1  # 6 on hand, 5 reserved
    assert not any(sku == "MUG" for sku, _ in found)
    assert [a["available"] for a in alerts] == sorted(a["available"] for a in alerts)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_sees_the_parts_its_permissions_allow(
    client: TestClient, world: World, story: Shop, role: Role
) -> None:
    data = get(client, world, "/api/v1/overview", role)
    allowed = PERMISSIONS[role]
    assert ("channels" in data["sections"]) is (Action.ATTRIBUTION_READ in allowed)
    assert (data["inbox"] is not None) is (Action.INBOX_READ in allowed)
    assert (data["service"] is not None) is (Action.INBOX_REPORTS_READ in allowed)
    assert (data["stock_alerts"] is not None) is (Action.COMMERCE_READ in allowed)
    if Action.ATTRIBUTION_READ not in allowed:
        assert data["channels"] == [] and data["sessions"] == 0


def test_other_workspaces_see_none_of_it(client: TestClient, other_world: World, story: Shop) -> None:
    data = get(client, other_world, "/api/v1/overview")
    assert data["sessions"] == 0 and data["channels"] == []
    assert data["service"]["conversations"] == 0 and data["stock_alerts"] == []
    assert sum(data["inbox"]["open_by_channel"].values()) == 0


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "ends before it starts"),
        ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "at most 366 days"),
        ({"date_from": "yesterday", "date_to": "2026-01-01"}, "date"),
    ],
)
def test_bad_ranges_get_a_clear_error(
    client: TestClient, world: World, params: dict[str, str], fragment: str
) -> None:
    response = client.get("/api/v1/overview", params=params, headers=world.token(Role.OWNER))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request" and fragment in body["message"], body


def test_exports_csv_and_png(client: TestClient, world: World, story: Shop) -> None:
    headers = world.token(Role.ANALYST)
    text = client.get("/api/v1/overview/channels.csv", params=RANGE, headers=headers).text
    rows = list(csv.DictReader(io.StringIO(text)))
    overview = get(client, world, "/api/v1/overview", Role.ANALYST)
    assert [r["channel"] for r in rows] == [c["channel"] for c in overview["channels"]]
    assert sum(float(r["revenue_last_touch"]) for r in rows) == pytest.approx(165.5)
    png = client.get("/api/v1/overview/charts/sessions.png", params=RANGE, headers=headers)
    assert png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    spec = client.get(
        "/api/v1/overview/charts/touch.json", params={**RANGE, "metric": "revenue"}, headers=headers
    )
    (rows_drawn,) = spec.json()["datasets"].values()
    assert sum(r["value"] for r in rows_drawn if r["touch"] == "Last touch") == pytest.approx(165.5)


def test_page_links_every_number_to_the_page_that_explains_it(
    client: TestClient, world: World, story: Shop
) -> None:
    from tests.helpers import sign_in

    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    page = client.get("/", params=RANGE)
    assert page.status_code == 200
    html = unescape(page.text)
    for marker in (
        'id="chart-sessions"',
        'id="chart-touch"',
        'id="overview-channels"',
        'id="overview-stock"',
    ):
        assert marker in html
    assert f'href="/attribution?date_from={RANGE["date_from"]}&date_to={RANGE["date_to"]}&stage=sale' in html
    assert 'href="/inbox?view=all&status=open&channel=email"' in html
    assert f'href="/commerce/stock?location_id={story.store.id}"' in html
    spec = json.loads(unescape(page.text.split('id="chart-sessions" data-vega-spec="')[1].split('"')[0]))
    assert spec["mark"]["type"] == "area"


def test_live_feed_names_its_topics_as_the_stream_sends_them(
    client: TestClient, world: World, story: Shop
) -> None:
    from tests.helpers import sign_in

    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    html = client.get("/").text
    topics = html.split('data-sse-topics="')[1].split('"')[0].split(",")
    assert {"commerce.order", "commerce.stock", "tracking.events", "audit.recorded", "job.dead"} <= set(
        topics
    )
    assert 'data-sse-resync="realtime.resync"' in html


def test_agent_page_has_no_attribution_but_has_the_inbox(
    client: TestClient, world: World, story: Shop
) -> None:
    from tests.helpers import sign_in

    agent = world.members[Role.AGENT]
    sign_in(client, agent.email, agent.password)
    html = client.get("/").text
    assert 'id="overview-inbox"' in html and 'id="chart-sessions"' not in html


def test_cli_prints_the_same_numbers_as_the_api(
    client: TestClient, world: World, story: Shop, cli_env: dict[str, str]
) -> None:
    result = CliRunner().invoke(
        cli_app,
        [
            "overview",
            "-w",
            world.workspace.slug,
            "--from",
            RANGE["date_from"],
            "--to",
            RANGE["date_to"],
            "-f",
            "json",
        ],
        env=cli_env,
    )
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    api = get(client, world, "/api/v1/overview")
    assert printed["totals"] == api["totals"] and printed["channels"] == api["channels"]
    bad = CliRunner().invoke(
        cli_app,
        ["overview", "-w", world.workspace.slug, "--from", "2026-03-10", "--to", "2026-03-01"],
        env=cli_env,
    )
    assert bad.exit_code == 1 and "ends before it starts" in bad.output


def test_sessions_per_day_add_up_to_each_channels_sessions(
    client: TestClient, world: World, story: Shop
) -> None:
    points = get(client, world, "/api/v1/overview/sessions")
    overview = get(client, world, "/api/v1/overview")
    days = {p["day"] for p in points}
    assert days == {
        (TODAY - timedelta(days=n)).isoformat() for n in range(7)
    }  # quiet days are there, at zero
    totals: dict[str, float] = {}
    for point in points:
        totals[point["series"]] = totals.get(point["series"], 0) + point["value"]
    assert totals == {row["channel"]: row["sessions"] for row in overview["channels"] if row["sessions"]}
    assert sum(totals.values()) == overview["sessions"] > 0
    denied = client.get("/api/v1/overview/sessions", params=RANGE, headers=world.token(Role.AGENT))
    assert denied.status_code == 403


def _cells(html: str, table_id: str) -> list[list[str]]:
    """The text of each body row's cells of one table of the page."""
    body = html.split(f'id="{table_id}"')[1].split("<tbody>")[1].split("</tbody>")[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_page_writes_counts_money_and_clock_the_readers_way(
    client: TestClient, db: Session, world: World, runtime: Runtime, story: Shop
) -> None:
    from tests.helpers import sign_in

    commerce_service.place_order(
        db,
        workspace_id=world.workspace.id,
        data=OrderCreate(
            lines=[LineRequest(sku="MUG", quantity=1)], customer=CustomerRef(email="a@example.com")
        ),
        actor="test",
    )
    db.rollback()
    analytics_service.sync(runtime)
    overview = get(client, world, "/api/v1/overview")
    assert overview["currency"] == "EUR"  # what the workspace's orders are priced in
    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)

    html = unescape(client.get("/", params=RANGE, headers={"accept-language": "ca"}).text)
    revenue = html.split('data-kpi="revenue"')[1].split(">", 1)[1].split("<")[0]
    assert revenue == format_money(overview["totals"]["revenue"], "EUR", language="ca")
    assert revenue.endswith("\xa0€") and "," in revenue  # "165,50 €": the currency, Catalan decimals
    for kpi in ("sessions", "contacts", "qualified", "sales"):
        shown = html.split(f'data-kpi="{kpi}"')[1].split(">", 1)[1].split("<")[0]
        assert re.fullmatch(r"\d+", shown), (kpi, shown)  # a count: no "581.0"
    for row in _cells(html, "overview-channels"):
        counts = [row[1], *row[2:5], *row[6:9]]  # sessions, contacts, qualified and sales by both touches
        assert all(re.fullmatch(r"\d+", c) for c in counts), row
        assert all(c.endswith("€") for c in (row[5], row[9])), row

    feed = html.split("data-sse-feed=")[1].split(">")[0]
    assert f'data-time-zone="{overview["timezone"]}"' in feed and 'data-locale="ca"' in feed
    assert 'data-hour-cycle="h23"' in feed  # Catalan reads "14:05:09", whatever the browser's own clock
    english = client.get("/", params=RANGE, headers={"accept-language": "en"}).text
    assert 'data-hour-cycle="h12"' in english.split("data-sse-feed=")[1].split(">")[0]


def test_attribution_table_writes_counts_whole_and_credit_with_the_same_decimals(
    client: TestClient, world: World, story: Shop
) -> None:
    from tests.helpers import sign_in

    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)
    for language, fraction in (("ca", r"\d{1,3}(\.\d{3})*,\d{2}"), ("en", r"\d{1,3}(,\d{3})*\.\d{2}")):
        html = unescape(
            client.get(
                "/attribution", params={**RANGE, "model": "linear"}, headers={"accept-language": language}
            ).text
        )
        rows = _cells(html, "attribution-table")
        assert rows
        for row in rows:
            sessions, stages = row[1], row[2:-1]
            assert re.fullmatch(r"\d+", sessions), row
            # Contact and qualified: first, last, model; sale: first, last, model, revenue.
            first_last = [stages[i] for i in (0, 1, 3, 4, 6, 7)]
            credit = [stages[i] for i in (2, 5, 8, 9)]
            assert all(re.fullmatch(r"\d+", c) for c in first_last), row  # "1", never "1.0"
            assert all(re.fullmatch(fraction, c) for c in credit), row  # "0,50" in Catalan, "0.50" in English


def test_series_keep_their_colours_in_every_language(client: TestClient, world: World, story: Shop) -> None:
    from tests.helpers import sign_in

    owner = world.members[Role.OWNER]
    sign_in(client, owner.email, owner.password)

    def touch_colours(language: str) -> dict[str, str]:
        html = client.get("/", params=RANGE, headers={"accept-language": language}).text
        spec = json.loads(unescape(html.split('id="chart-touch" data-vega-spec="')[1].split('"')[0]))
        scale = spec["encoding"]["color"]["scale"]
        return dict(zip(scale["domain"], scale["range"], strict=True))

    english, french = touch_colours("en"), touch_colours("fr")
    assert list(english) == ["First touch", "Last touch"]
    assert (
        english["First touch"] == french["Premier contact"]
        and english["Last touch"] == french["Dernier contact"]
    )


def test_chart_axes_write_days_and_months_in_the_reader_s_language(
    client: TestClient, world: World, story: Shop
) -> None:
    """The exports draw with the d3 locales built from Babel (`chart_locale`), as the pages' charts do."""
    labels: dict[str, set[str]] = {}
    for language in ("en", "fr", "ca"):
        svg = client.get(
            "/api/v1/overview/charts/sessions.svg",
            params=RANGE,
            headers={**world.token(Role.VIEWER), "accept-language": language},
        )
        assert svg.status_code == 200, svg.text
        labels[language] = set(re.findall(r">([^<>]+)</text>", svg.text))
    for language in ("en", "fr", "ca"):
        time = chart_locale(language)["time"]
        names = {*time["shortDays"], *time["shortMonths"], *time["days"], *time["months"]}
        shown = {word for label in labels[language] for word in label.split()}
        assert shown & names, (language, labels[language])  # the axis names days or months...
        others = {
            n
            for other in ("en", "fr", "ca")
            if other != language
            for n in chart_locale(other)["time"]["shortDays"]
        } - names
        assert not shown & others, (language, shown & others)  # ...in this language only


def test_chart_locales_come_from_babel() -> None:
    french, catalan = chart_locale("fr"), chart_locale("ca")
    assert french["number"]["decimal"] == "," and french["time"]["shortMonths"][0] == "janv."
    assert catalan["time"]["months"][0] == "gener"  # standing alone, not "de gener" as in a date
    assert catalan["number"]["thousands"] == "." and chart_locale("en")["number"]["thousands"] == ","
    assert french["time"]["days"][0] == "dimanche"  # d3 weeks start on Sunday
    assert french["time"]["date"] == "%d/%m/%Y"
    assert chart_locale("en")["time"]["time"].replace("\u202f", " ") == "%-I:%M:%S %p"
