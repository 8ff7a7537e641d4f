"""After ingestion, the job: identities resolved, sessions and touchpoints built, rebuilt for late events,
custom channel rules applied, offline touchpoints recorded, and everything erased on a GDPR delete."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.app.wiring import wire
from omnicx.identity import service as identity_service
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.errors import NotFound
from omnicx.kernel.jobs.models import Job, JobStatus
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.tracking import service
from omnicx.tracking.channel_grouping import Field, Op
from omnicx.tracking.models import Event, Touchpoint, TrackingSession
from omnicx.tracking.schemas import ChannelRuleCreate, RuleCondition, SessionPublic
from tests.conftest import World
from tests.tracking.conftest import KeyedSource

T0 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
SHOP = "https://shop.example"


def drain(runtime: Runtime) -> None:
    """Run every due job, then check none failed."""
    wire()
    worker = Worker(runtime, "test-worker")
    while worker.run_once():
        pass
    with runtime.sessions() as session:
        failed = session.scalars(select(Job.last_error).where(Job.status != JobStatus.SUCCEEDED)).all()
    assert failed == []


def page_at(
    minutes: float, *, anonymous_id: str = "anon-1", url: str = f"{SHOP}/", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "page",
        "anonymousId": anonymous_id,
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
        "context": {"page": {"url": url, "path": url.removeprefix(SHOP).split("?")[0] or "/"}},
        **extra,
    }


def send(client: TestClient, source: KeyedSource, *events: dict[str, Any]) -> None:
    response = client.post("/v1/batch", json={"batch": list(events)}, headers=source.basic)
    assert response.json() == {"success": True}, response.text


def sessions_of(runtime: Runtime, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> list[SessionPublic]:
    with runtime.sessions() as session:
        found = service.list_sessions(session, workspace_id=workspace_id, customer_ids=[customer_id])
    return sorted(found, key=lambda s: s.started_at)


def customer_of(runtime: Runtime, anonymous_id: str) -> uuid.UUID:
    with runtime.sessions() as session:
        ids = set(session.scalars(select(Event.customer_id).where(Event.anonymous_id == anonymous_id)))
    assert len(ids) == 1
    customer_id = ids.pop()
    assert customer_id is not None
    return customer_id


def test_events_resolve_to_one_customer_and_form_sessions_with_channels(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    send(
        client,
        source,
        page_at(0),
        page_at(3, url=f"{SHOP}/product"),
        {
            "type": "identify",
            "anonymousId": "anon-1",
            "userId": "user-1",
            "traits": {"email": "ana@shop.example"},
            "timestamp": (T0 + timedelta(minutes=4)).isoformat(),
        },
        page_at(120, url=f"{SHOP}/sale?utm_source=newsletter&utm_medium=email&utm_campaign=may"),
        {
            "type": "track",
            "userId": "user-1",
            "event": "Order Completed",
            "timestamp": (T0 + timedelta(minutes=121)).isoformat(),
        },
    )
    drain(runtime)
    customer_id = customer_of(runtime, "anon-1")
    with runtime.sessions() as session:
        owners = set(session.scalars(select(Event.customer_id)))
    assert owners == {customer_id}

    first, second = sessions_of(runtime, world.workspace.id, customer_id)
    assert (first.channel, first.source, first.medium) == ("Direct", "(direct)", "(none)")
    assert (first.landing_page, first.page_views, first.engaged) == ("/", 2, True)
    assert first.duration_seconds == 4 * 60
    assert (second.channel, second.campaign, second.landing_page) == ("Email", "may", "/sale")
    assert second.engaged  # a key event

    with runtime.sessions() as session:
        touchpoints = service.list_touchpoints(
            session, workspace_id=world.workspace.id, customer_ids=[customer_id]
        )
    assert [(t.kind, t.channel, t.at) for t in touchpoints] == [
        ("session", "Direct", first.started_at),
        ("session", "Email", second.started_at),
    ]


def test_a_late_event_rebuilds_the_sessions_it_touches(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    send(client, source, page_at(0), page_at(50))
    drain(runtime)
    customer_id = customer_of(runtime, "anon-1")
    assert len(sessions_of(runtime, world.workspace.id, customer_id)) == 2

    send(client, source, page_at(25, url=f"{SHOP}/late"))  # arrives late, bridges the gap
    drain(runtime)
    [merged] = sessions_of(runtime, world.workspace.id, customer_id)
    assert (merged.page_views, merged.duration_seconds) == (3, 50 * 60)
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Touchpoint)) == 1

    # Re-running the processing is idempotent.
    with runtime.sessions() as session, session.begin():
        ids = list(session.scalars(select(Event.id)))
        service.process_events(session, workspace_id=world.workspace.id, event_ids=ids)
    assert [(s.started_at, s.page_views) for s in sessions_of(runtime, world.workspace.id, customer_id)] == [
        (merged.started_at, 3)
    ]


def session_rows(runtime: Runtime, customer_id: uuid.UUID) -> list[tuple[object, ...]]:
    with runtime.sessions() as session:
        found = session.scalars(
            select(TrackingSession)
            .where(TrackingSession.customer_id == customer_id)
            .order_by(TrackingSession.started_at)
        )
        return [
            (
                s.started_at,
                s.ended_at,
                s.event_count,
                s.page_views,
                s.engaged,
                s.landing_page,
                s.source,
                s.medium,
                s.campaign,
                s.channel,
                s.device_category,
            )
            for s in found
        ]


def track_at(minutes: float, name: str, *, anonymous_id: str = "anon-1") -> dict[str, Any]:
    return {
        "type": "track",
        "event": name,
        "anonymousId": anonymous_id,
        "timestamp": (T0 + timedelta(minutes=minutes)).isoformat(),
    }


VISITS_IN_BATCHES = [
    [track_at(0, "Product Viewed")],  # an open session with no page view yet
    [
        page_at(
            0.1,
            url=f"{SHOP}/shoes",
            context={"page": {"url": f"{SHOP}/shoes", "referrer": "https://www.google.com/"}},
        )
    ],
    [
        page_at(1, url=f"{SHOP}/shoes?utm_source=news&utm_medium=email&utm_campaign=may")
    ],  # a campaign: new visit
    [page_at(2, url=f"{SHOP}/cart?utm_source=news&utm_medium=email&utm_campaign=may"), page_at(2.5)],
    [track_at(3, "Order Completed")],
    [page_at(40), track_at(40.05, "Signed Up")],  # after half an hour: new visit
    [page_at(40.1)],
]


def test_sessions_carried_on_batch_by_batch_equal_a_full_rebuild(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    """Each batch carries on the visitor's open session from its row; after every batch the sessions are what
    rebuilding the whole history gives."""
    for batch in VISITS_IN_BATCHES:
        send(client, source, *batch)
        drain(runtime)
        customer_id = customer_of(runtime, "anon-1")
        carried = session_rows(runtime, customer_id)
        with runtime.sessions() as session, session.begin():
            rules = service.load_rules(session, workspace_id=world.workspace.id)
            service.rebuild_sessions(
                session, workspace_id=world.workspace.id, customer_id=customer_id, since=T0, rules=rules
            )
        assert carried == session_rows(runtime, customer_id)
    assert [(row[2], row[8]) for row in carried] == [(2, None), (4, "may"), (3, None)]


def test_an_open_session_is_carried_on_without_reading_its_events_again(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    """Only the open session's first event is read again: a later one whose stored body changed (which no
    real event does) leaves the session as its row says."""
    send(client, source, page_at(0), track_at(1, "Product Viewed"))
    drain(runtime)
    with runtime.sessions() as session, session.begin():
        second = session.scalar(select(Event).where(Event.type == "track"))
        assert second is not None
        second.payload = {**page_at(1), "messageId": second.message_id}
    send(client, source, track_at(2, "Product Viewed"))
    drain(runtime)
    [visit] = session_rows(runtime, customer_of(runtime, "anon-1"))
    assert (visit[2], visit[3]) == (3, 1)  # three events, one page view (a full rebuild would count two)


MAY = f"{SHOP}/shoes?utm_source=news&utm_medium=email&utm_campaign=may"


def test_an_open_session_with_a_page_view_is_carried_on_from_its_row_alone(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    """Not even its first event is read: the campaign key its row keeps decides. A first event whose stored
    body now carries the later event's campaign (which no real event does) changes nothing."""
    send(client, source, page_at(0))
    drain(runtime)
    with runtime.sessions() as session, session.begin():
        first = session.scalar(select(Event))
        assert first is not None
        first.payload = {**page_at(0, url=MAY), "messageId": first.message_id}
    send(client, source, page_at(2, url=MAY))
    drain(runtime)
    visits = session_rows(runtime, customer_of(runtime, "anon-1"))
    assert [(visit[2], visit[8]) for visit in visits] == [(1, None), (1, "may")]


def test_an_open_session_grows_in_place_and_keeps_its_touchpoint(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    send(client, source, page_at(0))
    drain(runtime)

    def stored() -> list[tuple[Any, ...]]:
        with runtime.sessions() as session:
            query = select(TrackingSession.id, TrackingSession.event_count, Touchpoint.id).join(
                Touchpoint, Touchpoint.session_id == TrackingSession.id
            )
            return [tuple(row) for row in session.execute(query)]

    [(visit, events, touch)] = stored()
    send(client, source, page_at(5), track_at(6, "Order Completed"))
    drain(runtime)
    assert stored() == [(visit, events + 2, touch)]


def test_a_session_stored_without_its_campaign_key_is_carried_on_from_its_first_event(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    """Sessions stored before the key was kept: the first event says which campaign the visit came from, so
    a later event of the same campaign continues it."""
    send(client, source, page_at(0, url=MAY))
    drain(runtime)
    with runtime.sessions() as session, session.begin():
        [stored] = session.scalars(select(TrackingSession)).all()
        assert stored.campaign_key == '["news","email","may"]'
        stored.campaign_key = None
    send(client, source, page_at(2, url=MAY))
    drain(runtime)
    [visit] = session_rows(runtime, customer_of(runtime, "anon-1"))
    assert (visit[2], visit[8]) == (2, "may")
    with runtime.sessions() as session:  # kept now: the next batch carries it on from the row alone
        assert session.scalar(select(TrackingSession.campaign_key)) == '["news","email","may"]'


def test_custom_channel_rules_apply_before_the_defaults(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, db: Session
) -> None:
    rule = ChannelRuleCreate(
        channel="Newsletter", conditions=[RuleCondition(field=Field.SOURCE, op=Op.EQUALS, value="newsletter")]
    )
    service.create_rule(db, workspace_id=world.workspace.id, data=rule)
    db.close()
    send(client, source, page_at(0, url=f"{SHOP}/?utm_source=newsletter&utm_medium=email"))
    drain(runtime)
    [only] = sessions_of(runtime, world.workspace.id, customer_of(runtime, "anon-1"))
    assert only.channel == "Newsletter"


def test_offline_touchpoints_are_recorded_once_per_dedup_key(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World, other_world: World
) -> None:
    send(client, source, page_at(0))
    drain(runtime)
    customer_id = customer_of(runtime, "anon-1")
    with runtime.sessions() as session, session.begin():
        first = service.record_touchpoint(
            session,
            workspace_id=world.workspace.id,
            customer_id=customer_id,
            channel="Store",
            kind="store_visit",
            at=T0 + timedelta(days=1),
            detail={"store": "Lyon"},
            dedup_key="visit-1",
        )
        again = service.record_touchpoint(
            session,
            workspace_id=world.workspace.id,
            customer_id=customer_id,
            channel="Store",
            kind="store_visit",
            at=T0 + timedelta(days=1),
            dedup_key="visit-1",
        )
        assert again.id == first.id
        with pytest.raises(NotFound):  # another workspace cannot record on this customer
            service.record_touchpoint(
                session,
                workspace_id=other_world.workspace.id,
                customer_id=customer_id,
                channel="Phone",
                kind="phone_call",
                at=T0,
            )
    headers = world.token(Role.MARKETER)
    response = client.post(
        "/api/v1/tracking/touchpoints",
        json={
            "customer_id": str(customer_id),
            "channel": "Phone",
            "kind": "phone_call",
            "at": (T0 - timedelta(hours=1)).isoformat(),
        },
        headers=headers,
    )
    assert response.status_code == 201, response.text
    listed = client.get(f"/api/v1/tracking/touchpoints?customer_id={customer_id}", headers=headers).json()
    assert [(t["kind"], t["channel"]) for t in listed] == [
        ("phone_call", "Phone"),
        ("session", "Direct"),
        ("store_visit", "Store"),
    ]


def test_gdpr_erasure_deletes_events_sessions_and_touchpoints(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    send(client, source, page_at(0), page_at(1), page_at(0, anonymous_id="someone-else"))
    drain(runtime)
    customer_id = customer_of(runtime, "anon-1")
    with runtime.sessions() as session, session.begin():
        erased = identity_service.erase_customer(
            session,
            workspace_id=world.workspace.id,
            customer_id=customer_id,
            data_dir=runtime.settings.data_dir,
        )
    assert erased.get("tracking") == 2 + 1 + 1  # two events, one session, its touchpoint
    with runtime.sessions() as session:
        assert set(session.scalars(select(Event.anonymous_id))) == {"someone-else"}
        assert (
            session.scalar(
                select(func.count())
                .select_from(TrackingSession)
                .where(TrackingSession.customer_id == customer_id)
            )
            == 0
        )


def test_a_merge_made_elsewhere_moves_its_events_when_the_survivor_is_next_seen(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    # Two anonymous devices, two customers; an agent merges them by hand (no event says they are one).
    send(client, source, page_at(0, anonymous_id="device-1"))
    send(client, source, page_at(5, anonymous_id="device-2"), page_at(7, anonymous_id="device-2"))
    drain(runtime)
    first, second = customer_of(runtime, "device-1"), customer_of(runtime, "device-2")
    with runtime.sessions() as session:
        identity_service.merge_customers(
            session, principal=world.members[Role.OWNER].principal, source_id=second, target_id=first
        )
        session.commit()

    # The survivor's own device comes back: the merged customer's events, visits and touchpoints join it,
    # although this job names none of the merged customer's identifiers.
    send(client, source, page_at(9, anonymous_id="device-1"))
    drain(runtime)
    with runtime.sessions() as session:
        for model in (Event, TrackingSession, Touchpoint):
            assert set(session.scalars(select(model.customer_id))) == {first}, model.__name__
    [visit] = sessions_of(runtime, world.workspace.id, first)
    assert (visit.page_views, visit.event_count, visit.duration_seconds) == (4, 4, 9 * 60)


def test_a_merge_moves_the_absorbed_customers_events_and_rebuilds_visits(
    client: TestClient, source: KeyedSource, runtime: Runtime, world: World
) -> None:
    # Known on device 1 as user-1; browsing anonymously on device 2 becomes a second customer for now.
    send(
        client,
        source,
        page_at(0, anonymous_id="device-1"),
        {"type": "identify", "anonymousId": "device-1", "userId": "user-1", "timestamp": T0.isoformat()},
    )
    send(client, source, page_at(5, anonymous_id="device-2"), page_at(7, anonymous_id="device-2"))
    drain(runtime)
    assert customer_of(runtime, "device-1") != customer_of(runtime, "device-2")

    # Logging in on device 2 links both: one customer, whose visit now spans both devices' events.
    identify = {"type": "identify", "anonymousId": "device-2", "userId": "user-1"}
    send(client, source, {**identify, "timestamp": (T0 + timedelta(minutes=8)).isoformat()})
    drain(runtime)
    with runtime.sessions() as session:
        owners = set(session.scalars(select(Event.customer_id)))
        assert session.scalar(select(func.count()).select_from(TrackingSession)) == 1
    assert len(owners) == 1
    [visit] = sessions_of(runtime, world.workspace.id, owners.pop())  # type: ignore[arg-type]
    assert (visit.page_views, visit.event_count, visit.duration_seconds) == (3, 5, 8 * 60)
