"""The buses alone: fan-out, workspace isolation, bounded queues, JSON round trip, Redis between buses."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime

import pytest
import redis

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.realtime.bus import (
    InProcessBus,
    RealtimeEvent,
    RedisBus,
    Subscription,
    listener_client_name,
    make_bus,
)
from omnicx.kernel.realtime.topics import KernelTopic

pytestmark = pytest.mark.anyio

WORKSPACE_A = uuid.uuid4()
WORKSPACE_B = uuid.uuid4()


def event(
    workspace_id: uuid.UUID, topic: str, action: Action = Action.OVERVIEW_READ, **data: object
) -> RealtimeEvent:
    return RealtimeEvent(workspace_id=workspace_id, topic=topic, data=dict(data), action=action)


async def take(subscription: Subscription, count: int) -> list[RealtimeEvent]:
    async def read() -> list[RealtimeEvent]:
        return [await anext(subscription) for _ in range(count)]

    return await asyncio.wait_for(read(), timeout=3)


async def test_in_process_bus_fans_out_to_every_subscriber_of_the_workspace() -> None:
    bus = InProcessBus()
    async with (
        bus.subscribe(workspace_id=WORKSPACE_A) as first,
        bus.subscribe(workspace_id=WORKSPACE_A) as second,
    ):
        bus.publish(event(WORKSPACE_A, "inbox.message.created", n=1))

        assert [e.data for e in await take(first, 1)] == [{"n": 1}]
        assert [e.data for e in await take(second, 1)] == [{"n": 1}]
    assert bus.subscriber_count == 0


async def test_subscribers_only_receive_their_own_workspace() -> None:
    bus = InProcessBus()
    async with bus.subscribe(workspace_id=WORKSPACE_A) as a, bus.subscribe(workspace_id=WORKSPACE_B) as b:
        bus.publish(event(WORKSPACE_B, "b.only"))
        bus.publish(event(WORKSPACE_A, "a.sentinel"))
        bus.publish(event(WORKSPACE_B, "b.sentinel"))

        assert [e.topic for e in await take(a, 1)] == ["a.sentinel"]
        assert [e.topic for e in await take(b, 2)] == ["b.only", "b.sentinel"]


async def test_publish_from_other_threads_reaches_the_subscriber_loop() -> None:
    bus = InProcessBus()
    async with bus.subscribe(workspace_id=WORKSPACE_A) as subscription:
        threads = [
            threading.Thread(target=bus.publish, args=(event(WORKSPACE_A, "t", i=i),)) for i in range(20)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        received = await take(subscription, 20)
        assert sorted(e.data["i"] for e in received) == list(range(20))


async def test_a_slow_subscriber_keeps_the_newest_events_and_gets_a_resync_marker() -> None:
    bus = InProcessBus(queue_size=3)
    async with bus.subscribe(workspace_id=WORKSPACE_A) as subscription:
        for i in range(10):
            bus.publish(event(WORKSPACE_A, "burst", i=i))
        await asyncio.sleep(0)  # let the loop run the queued hand-overs

        marker, *rest = await take(subscription, 4)
        assert marker.topic == KernelTopic.RESYNC
        assert marker.data == {"reason": "overflow", "dropped": 7}
        assert marker.workspace_id == WORKSPACE_A
        assert [e.data["i"] for e in rest] == [7, 8, 9]


async def test_closing_the_bus_ends_open_subscriptions_and_later_ones() -> None:
    bus = InProcessBus()
    async with bus.subscribe(workspace_id=WORKSPACE_A) as subscription:
        bus.publish(event(WORKSPACE_A, "last"))
        bus.close()
        received = await asyncio.wait_for(_drain(subscription), timeout=3)
        assert [e.topic for e in received] == ["last"]

    async with bus.subscribe(workspace_id=WORKSPACE_A) as late:
        assert await asyncio.wait_for(_drain(late), timeout=3) == []
    bus.publish(event(WORKSPACE_A, "ignored"))


async def _drain(subscription: Subscription) -> list[RealtimeEvent]:
    return [e async for e in subscription]


def test_event_json_round_trip_keeps_every_field() -> None:
    original = RealtimeEvent(
        workspace_id=WORKSPACE_A,
        topic=KernelTopic.JOB_DEAD,
        data={"job_id": uuid.UUID(int=7), "at": datetime(2024, 5, 1, tzinfo=UTC), "action": Action.JOBS_READ},
        action=Action.JOBS_READ,
    )

    copy = RealtimeEvent.from_json(original.to_json())

    assert copy == original
    assert copy.data == {
        "job_id": "00000000-0000-0000-0000-000000000007",
        "at": "2024-05-01T00:00:00+00:00",
        "action": "jobs.read",
    }
    assert type(copy.action) is str


def test_events_get_time_ordered_ids_and_utc_times() -> None:
    first, second = event(WORKSPACE_A, "a"), event(WORKSPACE_A, "b")

    assert uuid.UUID(first.id) < uuid.UUID(second.id)
    assert first.at.tzinfo is not None


def test_events_refuse_unknown_actions_and_unserialisable_data() -> None:
    with pytest.raises(ValueError, match="nope"):
        RealtimeEvent(workspace_id=WORKSPACE_A, topic="x", data={}, action="nope")
    with pytest.raises(TypeError, match="JSON-serialisable"):
        RealtimeEvent(
            workspace_id=WORKSPACE_A, topic="x", data={"blob": object()}, action=Action.OVERVIEW_READ
        )


@pytest.mark.redis
def test_make_bus_picks_redis_only_when_configured(redis_url: str) -> None:
    assert isinstance(make_bus(None), InProcessBus)
    bus = make_bus(redis_url)
    try:
        assert isinstance(bus, RedisBus)
    finally:
        bus.close()


@pytest.mark.redis
async def test_redis_bus_delivers_between_two_buses(redis_url: str) -> None:
    channel = f"omnicx:test:{uuid.uuid4().hex}"
    publisher, receiver = RedisBus(redis_url, channel=channel), RedisBus(redis_url, channel=channel)
    try:
        async with receiver.subscribe(workspace_id=WORKSPACE_A) as subscription:
            await asyncio.to_thread(publisher.publish, event(WORKSPACE_B, "other.workspace"))
            await asyncio.to_thread(publisher.publish, event(WORKSPACE_A, "crossed", n=1))

            [received] = await take(subscription, 1)
            assert (received.topic, received.data) == ("crossed", {"n": 1})
    finally:
        publisher.close()
        receiver.close()


@pytest.mark.redis
async def test_redis_bus_reconnects_and_tells_subscribers_they_missed_events(redis_url: str) -> None:
    channel = f"omnicx:test:{uuid.uuid4().hex}"
    bus = RedisBus(redis_url, channel=channel)
    admin = redis.Redis.from_url(redis_url)
    try:
        async with bus.subscribe(workspace_id=WORKSPACE_A) as subscription:
            killed = await asyncio.to_thread(_kill_listener_connections, admin)
            assert killed >= 1

            [marker] = await take(subscription, 1)
            assert (marker.topic, marker.data["reason"]) == (KernelTopic.RESYNC, "reconnect")
            await asyncio.to_thread(bus.publish, event(WORKSPACE_A, "after.reconnect"))
            assert [e.topic for e in await take(subscription, 1)] == ["after.reconnect"]
    finally:
        bus.close()
        admin.close()


def _kill_listener_connections(admin: redis.Redis) -> int:
    ids = [c["id"] for c in admin.client_list(_type="pubsub") if c["name"] == listener_client_name()]
    for client_id in ids:
        admin.client_kill_filter(_id=client_id)
    return len(ids)
