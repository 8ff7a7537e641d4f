"""Publishing after commit: committed events are delivered, rolled-back ones never are; who may see what."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.auth.enums import AuthTopic
from omnicx.kernel.access.permissions import Action, Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import transaction
from omnicx.kernel.realtime.bus import InProcessBus, RealtimeEvent, Subscription, resync_event
from omnicx.kernel.realtime.service import parse_topics, publish, publish_now, visible_to
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.runtime import Runtime
from tests.conftest import World

pytestmark = pytest.mark.anyio


def event(workspace_id: uuid.UUID, topic: str, action: Action = Action.OVERVIEW_READ) -> RealtimeEvent:
    return RealtimeEvent(workspace_id=workspace_id, topic=topic, data={}, action=action)


async def topics_until(subscription: Subscription, last: str) -> list[str]:
    async def read() -> list[str]:
        seen: list[str] = []
        while not seen or seen[-1] != last:
            seen.append((await anext(subscription)).topic)
        return seen

    return await asyncio.wait_for(read(), timeout=3)


def audit(session: Session, workspace_id: uuid.UUID, action: str) -> None:
    auth_service.record_audit(session, workspace_id=workspace_id, action=action)


def audited(runtime: Runtime, workspace_id: uuid.UUID, action: str) -> int:
    with runtime.sessions() as session:
        return auth_service.list_audit(session, workspace_id=workspace_id, action=action).total


async def test_an_event_is_published_when_its_transaction_commits(runtime: Runtime, world: World) -> None:
    ws = world.workspace.id
    async with runtime.bus.subscribe(workspace_id=ws) as subscription:
        with runtime.sessions() as session:
            audit(session, ws, "test.write")
            publish(session, event(ws, "thing.created"))
            publish_now(runtime.bus, event(ws, "before.commit"))
            session.commit()

        # Delivery keeps publishing order, so "before.commit" first proves the event waited for the commit.
        assert await topics_until(subscription, "thing.created") == [
            "before.commit",
            AuthTopic.AUDIT_RECORDED,
            "thing.created",
        ]
    assert audited(runtime, ws, "test.write") == 1


async def test_an_event_in_a_rolled_back_transaction_is_never_published(
    runtime: Runtime, world: World
) -> None:
    ws = world.workspace.id
    async with runtime.bus.subscribe(workspace_id=ws) as subscription:
        with runtime.sessions() as session:
            audit(session, ws, "test.rolled-back")
            publish(session, event(ws, "rolled.back"))
            session.rollback()
            session.commit()  # a later commit of the same session must not resurrect it
        publish_now(runtime.bus, event(ws, "sentinel"))

        assert await topics_until(subscription, "sentinel") == ["sentinel"]
    assert audited(runtime, ws, "test.rolled-back") == 0


def failing_unit_of_work(runtime: Runtime, workspace_id: uuid.UUID) -> None:
    with transaction(runtime.sessions) as session:
        audit(session, workspace_id, "test.failed")
        publish(session, event(workspace_id, "failed"))
        raise RuntimeError("the service failed after publishing")


async def test_an_event_of_a_failed_unit_of_work_is_never_published(runtime: Runtime, world: World) -> None:
    ws = world.workspace.id
    async with runtime.bus.subscribe(workspace_id=ws) as subscription:
        with pytest.raises(RuntimeError, match="after publishing"):
            failing_unit_of_work(runtime, ws)
        with runtime.sessions() as session:
            publish(session, event(ws, "closed.without.commit"))
            audit(session, ws, "test.closed")
            session.close()  # abandons the transaction without any rollback event
            audit(session, ws, "test.reused")
            session.commit()  # the reused session's next commit must not carry the abandoned event
        publish_now(runtime.bus, event(ws, "sentinel"))

        # Only the reused session's own committed audit entry is announced; the abandoned one never is.
        assert await topics_until(subscription, "sentinel") == [AuthTopic.AUDIT_RECORDED, "sentinel"]


async def test_savepoints_drop_only_their_own_events(runtime: Runtime, world: World) -> None:
    ws = world.workspace.id
    async with runtime.bus.subscribe(workspace_id=ws) as subscription:
        with runtime.sessions() as session, session.begin():
            publish(session, event(ws, "outer.before"))
            with session.begin_nested():
                publish(session, event(ws, "kept.savepoint"))
            publish_now(runtime.bus, event(ws, "savepoint.released"))  # the savepoint published nothing
            savepoint = session.begin_nested()
            publish(session, event(ws, "rolled.back.savepoint"))
            savepoint.rollback()
            publish(session, event(ws, "outer.after"))

        assert await topics_until(subscription, "outer.after") == [
            "savepoint.released",
            "outer.before",
            "kept.savepoint",
            "outer.after",
        ]


async def test_events_of_a_rolled_back_outer_transaction_are_dropped_with_their_savepoints(
    runtime: Runtime, world: World
) -> None:
    ws = world.workspace.id
    async with runtime.bus.subscribe(workspace_id=ws) as subscription:
        with runtime.sessions() as session:
            with session.begin_nested():
                publish(session, event(ws, "inside.released.savepoint"))
            session.rollback()
        publish_now(runtime.bus, event(ws, "sentinel"))

        assert await topics_until(subscription, "sentinel") == ["sentinel"]


async def test_a_failing_bus_never_breaks_the_commit(runtime: Runtime, world: World) -> None:
    class BrokenBus(InProcessBus):
        def publish(self, event: RealtimeEvent) -> None:
            raise ConnectionError("broker down")

    publish_now(BrokenBus(), event(world.workspace.id, "lost"))  # logged, not raised


def principal(world: World, role: Role) -> Principal:
    return world.members[role].principal


def test_visibility_needs_the_same_workspace_and_an_allowed_action(world: World, other_world: World) -> None:
    jobs_event = event(world.workspace.id, KernelTopic.JOB_DEAD, Action.JOBS_READ)

    assert visible_to(jobs_event, principal=principal(world, Role.ADMIN))
    assert not visible_to(jobs_event, principal=principal(world, Role.VIEWER))
    assert not visible_to(jobs_event, principal=principal(other_world, Role.OWNER))


def test_topic_filters_match_whole_segments_and_never_hide_resync(world: World) -> None:
    viewer = principal(world, Role.VIEWER)
    topics = parse_topics(" inbox, job.dead ,")

    assert topics == ("inbox", "job.dead")
    assert visible_to(event(world.workspace.id, "inbox.message.created"), principal=viewer, topics=topics)
    assert visible_to(event(world.workspace.id, "inbox"), principal=viewer, topics=topics)
    assert not visible_to(event(world.workspace.id, "inboxes.changed"), principal=viewer, topics=topics)
    assert not visible_to(event(world.workspace.id, "job.retried"), principal=viewer, topics=topics)
    marker = resync_event(world.workspace.id, reason="overflow")
    assert marker.topic == KernelTopic.RESYNC
    assert visible_to(marker, principal=viewer, topics=topics)
