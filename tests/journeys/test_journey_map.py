"""The journey map on hand-computed toy journeys: stages reached in order (skipping allowed), what customers
used and said while in each, where journeys stopped, the customers behind each number; the same on DuckDB and
on ClickHouse's engine (chdb); the workspace's own map; API, exports, page and CLI."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.analytics import service as analytics_service
from omnicx.app.cli import app as cli_app
from omnicx.inbox import service as inbox_service
from omnicx.inbox.models import Conversation
from omnicx.inbox.schemas import InboxPublic
from omnicx.journeys import service
from omnicx.journeys.errors import InvalidJourneyMap
from omnicx.journeys.schemas import (
    JourneyMapQuery,
    JourneyMapReport,
    JourneyMapSettings,
    JourneyStage,
    StageMetric,
    StageRule,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.tracking import service as tracking_service
from tests.conftest import World
from tests.helpers import page_csrf, sign_in
from tests.inbox.conftest import inbound
from tests.journeys.conftest import on_clickhouse
from tests.journeys.test_funnels import DAY, at
from tests.tracking.conftest import KeyedSource
from tests.tracking.test_processing import T0, customer_of, drain, send

MAP = JourneyMapSettings(
    stages=[
        JourneyStage(name="Discover", rules=["visit"]),
        JourneyStage(name="Consider", rules=["page:/products/"]),
        JourneyStage(name="Purchase", rules=["event:Order Completed", "order:placed"]),
        JourneyStage(name="Support", rules=["conversation"]),
        JourneyStage(name="Again", rules=["event:Order Completed"]),
    ],
    friction_pages=["/help"],
)

# Journeys, by hand (minutes after T0; a visit counts an instant before its first event):
#   a: home, a product page (2), help twice (3, 4), a store visit (5), an order (10), another order (30): Again,
#      skipping Support
#   b: lands on a product page (0), leaves: stopped at Consider
#   c: the home page, leaves: stopped at Discover
#   d: a product page (0), an order (5), a conversation about delivery (20), two calls (25, 26): stopped at Support
#   e: the day before the range only: not on the map
JOURNEYS = [
    at("a", 0, "/"), at("a", 2, "/products/lamp"), at("a", 3, "/help"), at("a", 4, "/help/returns"),
    at("a", 10, "Order Completed"), at("a", 30, "Order Completed"),
    at("b", 0, "/products/kettle"),
    at("c", 0, "/"),
    at("d", 0, "/products/lamp"), at("d", 5, "Order Completed"),
    at("e", -24 * 60, "/"),
]  # fmt: skip


def _seeded(
    client: TestClient, runtime: Runtime, source: KeyedSource, db: Session, inbox: InboxPublic
) -> None:
    send(client, source, *JOURNEYS)
    drain(runtime)
    customers = {visitor: customer_of(runtime, visitor) for visitor in ("a", "d")}
    received = inbox_service.receive(db, inbox_id=inbox.id, message=inbound("d@example.com", "Where is it?"))
    db.execute(
        update(Conversation)
        .where(Conversation.id == received.conversation_id)
        .values(customer_id=customers["d"], created_at=T0 + timedelta(minutes=20), intent="delivery")
    )
    offline = [("a", "Store", "visit", 5), ("d", "Phone", "call", 25), ("d", "Phone", "call", 26)]
    for visitor, channel, kind, minutes in offline:
        tracking_service.record_touchpoint(
            db,
            workspace_id=inbox.workspace_id,
            customer_id=customers[visitor],
            channel=channel,
            kind=kind,
            at=T0 + timedelta(minutes=minutes),
        )
    db.commit()
    analytics_service.rebuild(runtime)  # the conversation was moved by hand, not through the inbox


def _map(runtime: Runtime, workspace_id: uuid.UUID, settings: JourneyMapSettings = MAP) -> JourneyMapReport:
    with runtime.sessions() as session:
        query = JourneyMapQuery(date_from=DAY, date_to=DAY)
        return service.journey_map(session, workspace_id=workspace_id, settings=settings, query=query)


def test_stages_reached_in_order_with_skips_and_where_journeys_stop(
    client: TestClient,
    runtime: Runtime,
    world: World,
    source: KeyedSource,
    db: Session,
    email_inbox: InboxPublic,
) -> None:
    _seeded(client, runtime, source, db, email_inbox)
    report = _map(runtime, world.workspace.id)
    stages = report.stages
    assert [s.customers for s in stages] == [4, 3, 2, 1, 1]  # abcd; abd; ad; d; a
    assert [s.dropped for s in stages] == [1, 1, 0, 1, None]  # c; b; nobody (a went on to Again); d
    assert [s.conversion_to_next for s in stages] == [
        pytest.approx(3 / 4), pytest.approx(2 / 3), pytest.approx(1 / 2), 0.0, None
    ]  # fmt: skip
    assert stages[1].share_of_first == pytest.approx(3 / 4)
    # Time in a stage, to the next stage reached: Consider a 8 min, d 5 min; Purchase a 20 (to Again), d 15.
    assert stages[1].median_seconds_in_stage == pytest.approx(390.0)
    assert stages[2].median_seconds_in_stage == pytest.approx(1050.0)
    assert stages[3].median_seconds_in_stage is None  # nobody left Support for a later stage
    # a viewed help pages twice while considering; d opened a conversation about delivery once in Support.
    assert [s.struggling_customers for s in stages] == [0, 1, 0, 0, 0]
    assert [(s.conversations, s.contacting_customers) for s in stages] == [
        (0, 0),
        (0, 0),
        (0, 0),
        (1, 1),
        (0, 0),
    ]
    assert [(i.intent, i.conversations) for i in stages[3].intents] == [("delivery", 1)]
    # Their visits' touchpoints: a's and c's sessions began in Discover; b's and d's began on a product page,
    # which put them in Consider at that very instant.
    assert [(c.channel, c.customers) for c in stages[0].channels] == [("Direct", 2)]
    assert [(c.channel, c.customers) for c in stages[1].channels] == [("Direct", 2), ("Store", 1)]
    # Touchpoints by kind: their sessions, a's store visit while considering, d's two calls in Support.
    assert [[(t.kind, t.customers, t.touchpoints) for t in s.touchpoints] for s in stages] == [
        [("session", 2, 2)],
        [("session", 2, 2), ("visit", 1, 1)],
        [],
        [("call", 1, 2)],
        [],
    ]


def test_the_customers_behind_each_number(
    client: TestClient,
    runtime: Runtime,
    world: World,
    source: KeyedSource,
    db: Session,
    email_inbox: InboxPublic,
) -> None:
    _seeded(client, runtime, source, db, email_inbox)
    query = JourneyMapQuery(date_from=DAY, date_to=DAY)

    def behind(stage: int, metric: StageMetric, key: str | None = None) -> set[uuid.UUID]:
        with runtime.sessions() as session:
            page = service.journey_customers(
                session,
                workspace_id=world.workspace.id,
                settings=MAP,
                query=query,
                stage=stage,
                metric=metric,
                key=key,
            )
        return {customer.id for customer in page.items}

    def of(*names: str) -> set[uuid.UUID]:
        return {customer_of(runtime, name) for name in names}

    assert behind(1, StageMetric.REACHED) == of("a", "b", "c", "d")
    assert behind(1, StageMetric.DROPPED) == of("c")
    assert behind(2, StageMetric.STRUGGLING) == of("a")
    assert behind(4, StageMetric.CONTACTING) == of("d")
    assert behind(5, StageMetric.REACHED) == of("a")
    assert behind(2, StageMetric.CHANNEL, "Direct") == of("b", "d")
    assert behind(2, StageMetric.CHANNEL, "Store") == behind(2, StageMetric.TOUCHPOINT, "visit") == of("a")
    assert behind(4, StageMetric.TOUCHPOINT, "call") == of("d")
    assert behind(4, StageMetric.TOUCHPOINT, "visit") == set()
    refused = [
        (5, StageMetric.DROPPED, None),
        (2, StageMetric.CHANNEL, None),
        (2, StageMetric.REACHED, "Direct"),
    ]
    for stage, metric, key in refused:
        with pytest.raises(InvalidJourneyMap):
            behind(stage, metric, key)


def test_the_same_map_on_clickhouse(
    client: TestClient,
    runtime: Runtime,
    settings: Settings,
    world: World,
    source: KeyedSource,
    db: Session,
    email_inbox: InboxPublic,
    chdb_url: str,
) -> None:
    _seeded(client, runtime, source, db, email_inbox)
    on_duckdb = _map(runtime, world.workspace.id)
    assert on_clickhouse(settings, chdb_url, lambda rt: _map(rt, world.workspace.id)) == on_duckdb


@pytest.mark.parametrize(
    "text", ["click:Buy", "event", "page:", "visit:/x", "order:lost", "order:", "orders:placed"]
)
def test_a_rule_written_wrongly_is_refused(text: str) -> None:
    with pytest.raises(InvalidJourneyMap):
        StageRule.parse(text)


RANGE = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


def test_the_workspace_edits_its_map_through_the_api_and_reads_it_everywhere(
    client: TestClient,
    runtime: Runtime,
    world: World,
    source: KeyedSource,
    db: Session,
    email_inbox: InboxPublic,
    cli_env: dict[str, str],
) -> None:
    _seeded(client, runtime, source, db, email_inbox)
    manager, reader = world.token(Role.MARKETER), world.token(Role.VIEWER)  # viewers read, do not edit
    default = client.get("/api/v1/journeys/map/stages", headers=reader).json()
    assert [s["name"] for s in default["stages"]][:3] == ["Discover", "Consider", "Purchase"]
    body = MAP.model_dump()
    assert client.put("/api/v1/journeys/map/stages", json=body, headers=reader).status_code == 403
    wrong = {**body, "stages": [{"name": "Look", "rules": ["click:Buy"]}, *body["stages"][1:]]}
    refused = client.put("/api/v1/journeys/map/stages", json=wrong, headers=manager)
    assert refused.status_code == 422 and set(refused.json()) >= {"code", "message"}
    assert client.put("/api/v1/journeys/map/stages", json=body, headers=manager).status_code == 200

    report = client.get("/api/v1/journeys/map", params=RANGE, headers=reader).json()
    assert [s["customers"] for s in report["stages"]] == [4, 3, 2, 1, 1]
    who = client.get(
        "/api/v1/journeys/map/customers", params={**RANGE, "stage": 1, "metric": "dropped"}, headers=reader
    )
    assert [c["id"] for c in who.json()["items"]] == [str(customer_of(runtime, "c"))]
    csv = client.get("/api/v1/journeys/map.csv", params=RANGE, headers=reader)
    assert csv.text.count("\n") == 6 and "4,delivery:1" not in csv.text and "delivery:1" in csv.text
    assert "session:2; visit:1" in csv.text and "call:1" in csv.text
    png = client.get("/api/v1/journeys/map/chart.png", params=RANGE, headers=reader)
    assert png.content.startswith(b"\x89PNG")

    sign_in(client, world.members[Role.VIEWER].email, world.members[Role.VIEWER].password)
    page = client.get("/journeys/map", params=RANGE)
    assert page.status_code == 200 and 'id="journey-map"' in page.text and "Again" in page.text
    assert "/journeys/map/customers?" in page.text and "Edit the stages" not in page.text
    touchpoints = page.text.split('data-list="touchpoints"')[2].split("</dd>")[0]  # stage 2's
    assert "site or app visit (<a" in touchpoints and "store visit (<a" in touchpoints
    assert "metric=touchpoint&key=visit" in touchpoints
    people = client.get("/journeys/map/customers", params={**RANGE, "stage": 2, "metric": "struggling"})
    assert f"/customers/{customer_of(runtime, 'a')}" in people.text
    stored = client.get(
        "/journeys/map/customers", params={**RANGE, "stage": 2, "metric": "touchpoint", "key": "visit"}
    )
    assert "Had a touchpoint “store visit” during" in stored.text
    assert f"/customers/{customer_of(runtime, 'a')}" in stored.text
    keyless = client.get(
        "/api/v1/journeys/map/customers", params={**RANGE, "stage": 2, "metric": "channel"}, headers=reader
    )
    assert keyless.status_code == 422 and keyless.json()["code"] == "invalid_journey_map"

    result = CliRunner().invoke(
        cli_app,
        [
            "journeys",
            "map",
            "-w",
            world.workspace.slug,
            "--from",
            RANGE["date_from"],
            "--to",
            RANGE["date_to"],
        ],
        env=cli_env,
    )
    assert result.exit_code == 0 and "5. Again" in result.stdout, result.output
    behind = [*RANGE.values(), "--stage", "4", "--metric", "touchpoint", "--key", "call"]
    result = CliRunner().invoke(
        cli_app,
        ["journeys", "map-customers", "-w", world.workspace.slug, "--from", *behind[:1], "--to", *behind[1:]],
        env=cli_env,
    )
    assert result.exit_code == 0 and "1 customers" in result.stdout, result.output
    assert str(customer_of(runtime, "d")) in result.stdout
    reset = CliRunner().invoke(
        cli_app, ["journeys", "map-stages", "-w", world.workspace.slug, "--reset"], env=cli_env
    )
    assert reset.exit_code == 0 and json.loads(reset.stdout)["stages"][0]["name"] == "Discover"
    assert len(json.loads(reset.stdout)["stages"]) == 6


def test_the_stages_form_saves_and_keeps_what_was_typed_when_refused(
    client: TestClient, world: World
) -> None:
    sign_in(client, world.members[Role.MARKETER].email, world.members[Role.MARKETER].password)
    form = client.get("/journeys/map/stages")
    assert form.status_code == 200 and "order:placed" in form.text
    token = page_csrf(client, "/journeys/map/stages")
    typed = {
        "csrf_token": token,
        "name": ["Look", "Buy", ""],
        "rules": ["visit", "clicks:Buy", ""],
        "friction_pages": "/help",
    }
    refused = client.post("/journeys/map/stages", data=typed)
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "clicks:Buy" in refused.text
    typed["rules"] = ["visit", "event:Order Completed", ""]
    saved = client.post("/journeys/map/stages", data=typed, follow_redirects=False)
    assert saved.status_code == 303
    stages = client.get("/api/v1/journeys/map/stages", headers=world.token(Role.VIEWER)).json()
    assert [(s["name"], s["rules"]) for s in stages["stages"]] == [
        ("Look", ["visit"]),
        ("Buy", ["event:Order Completed"]),
    ]
    assert stages["friction_pages"] == ["/help"]
