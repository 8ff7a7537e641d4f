"""The journey map on hand-computed toy journeys: stages reached in order (skipping allowed), what customers
used and said while in each, where journeys stopped, the customers behind each number; the same on DuckDB and
on ClickHouse's engine (chdb); the workspace's own map; API, exports, page and CLI."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
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
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.conftest import World
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
#   a: home, a product page (2), help twice (3, 4), an order (10), another order (30): Again, skipping Support
#   b: lands on a product page (0), leaves: stopped at Consider
#   c: the home page, leaves: stopped at Discover
#   d: a product page (0), an order (5), a conversation about delivery (20): stopped at Support
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
    received = inbox_service.receive(db, inbox_id=inbox.id, message=inbound("d@example.com", "Where is it?"))
    db.execute(
        update(Conversation)
        .where(Conversation.id == received.conversation_id)
        .values(
            customer_id=customer_of(runtime, "d"), created_at=T0 + timedelta(minutes=20), intent="delivery"
        )
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
    assert [(c.channel, c.customers) for c in stages[1].channels] == [("Direct", 2)]


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

    def behind(stage: int, metric: StageMetric) -> set[uuid.UUID]:
        with runtime.sessions() as session:
            page = service.journey_customers(
                session,
                workspace_id=world.workspace.id,
                settings=MAP,
                query=query,
                stage=stage,
                metric=metric,
            )
        return {customer.id for customer in page.items}

    def of(*names: str) -> set[uuid.UUID]:
        return {customer_of(runtime, name) for name in names}

    assert behind(1, StageMetric.REACHED) == of("a", "b", "c", "d")
    assert behind(1, StageMetric.DROPPED) == of("c")
    assert behind(2, StageMetric.STRUGGLING) == of("a")
    assert behind(4, StageMetric.CONTACTING) == of("d")
    assert behind(5, StageMetric.REACHED) == of("a")
    with pytest.raises(InvalidJourneyMap), runtime.sessions() as session:
        service.journey_customers(
            session,
            workspace_id=world.workspace.id,
            settings=MAP,
            query=query,
            stage=5,
            metric=StageMetric.DROPPED,
        )


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
