"""The demo's browsers subscribed to web push on its local push service: listed for the workspace, the same ones
after a restart (no duplicates), and a test notification delivered and decrypted by the browser."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.app.wiring import wire
from omnicx.channels.models import PushSubscription
from omnicx.channels.webpush.notices import send_test
from omnicx.channels.webpush.schemas import SendTestPush
from omnicx.demo.providers import RunningProviders, start_providers
from omnicx.demo.push import BROWSERS, seed_push
from omnicx.demo.service import seed_demo
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings


def _subscriptions(db: Session, workspace_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(id, customer) of the workspace's subscriptions; the read ends (SQLite would keep its write turn)."""
    query = select(PushSubscription.id, PushSubscription.customer_id).where(
        PushSubscription.workspace_id == workspace_id
    )
    rows = [(row.id, row.customer_id) for row in db.execute(query)]
    db.rollback()
    return rows


def test_the_demo_browsers_receive_a_test_notification_and_come_back_after_a_restart(
    runtime: Runtime, db: Session, settings: Settings, demo_providers: RunningProviders
) -> None:
    wire()
    settings = settings.model_copy(update={"webpush_push_services": "127.0.0.1"})
    with runtime.sessions() as session:
        workspace, _, _ = seed_demo(session)
        assert (
            seed_push(session, workspace_id=workspace.id, settings=settings, providers=demo_providers)
            == BROWSERS
        )
    rows = _subscriptions(db, workspace.id)
    assert len(rows) == BROWSERS and all(customer for _, customer in rows)
    owner = Principal(workspace_id=workspace.id, role=Role.OWNER, label="test")
    with runtime.sessions() as session:
        send_test(session, principal=owner, data=SendTestPush(subscription_id=rows[0][0]))
    worker = Worker(runtime, "test-push")
    while worker.run_once():
        pass
    assert [d.payload["tag"] for d in demo_providers.push.delivered] == ["omnicx-test"]
    # A restarted demo (on its fixed providers port): a fresh push service, the same browsers again, none added.
    demo_providers.stop()
    port = int(demo_providers.push_base.rsplit(":", 1)[1].split("/")[0])
    restarted = start_providers(settings.resolved_secret_key, port)
    try:
        with runtime.sessions() as session:
            seed_push(session, workspace_id=workspace.id, settings=settings, providers=restarted)
        assert len(_subscriptions(db, workspace.id)) == BROWSERS
        assert len(restarted.push.browsers) == BROWSERS
    finally:
        restarted.stop()
    assert db.scalar(select(func.count()).select_from(PushSubscription)) == BROWSERS
    db.rollback()
