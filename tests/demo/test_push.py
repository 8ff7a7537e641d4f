"""The demo's browsers subscribed to web push on its local push service: visitors of its world who never signed
in, each on its device's profile; the same ones after a restart (no duplicates); a test notification delivered
and decrypted by the browser."""

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
from omnicx.demo.service import seed_demo, seed_world
from omnicx.identity.models import CustomerIdentifier
from omnicx.identity.schemas import IdentifierKind
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.jobs.worker import Worker
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.demo.test_live import TINY


def _subscriptions(db: Session, workspace_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """(id, customer) of the workspace's subscriptions; the read ends (SQLite would keep its write turn)."""
    query = select(PushSubscription.id, PushSubscription.customer_id).where(
        PushSubscription.workspace_id == workspace_id
    )
    rows = [(row.id, row.customer_id) for row in db.execute(query)]
    db.rollback()
    return rows


def _identified(db: Session, workspace_id: uuid.UUID) -> set[uuid.UUID]:
    """Customers holding anything but anonymous ids."""
    query = select(CustomerIdentifier.customer_id).where(
        CustomerIdentifier.workspace_id == workspace_id,
        CustomerIdentifier.kind != IdentifierKind.ANONYMOUS_ID,
    )
    found = set(db.scalars(query))
    db.rollback()
    return found


def test_the_demo_browsers_receive_a_test_notification_and_come_back_after_a_restart(
    runtime: Runtime, db: Session, settings: Settings, demo_providers: RunningProviders
) -> None:
    wire()
    settings = settings.model_copy(update={"webpush_push_services": "127.0.0.1"})
    with runtime.sessions() as session:
        workspace, _, _ = seed_demo(session)
    seed_world(
        runtime, workspace_id=workspace.id, size=TINY, wire=wire, provider_accounts=demo_providers.accounts
    )
    with runtime.sessions() as session:
        subscribed = seed_push(
            session, workspace_id=workspace.id, settings=settings, providers=demo_providers
        )
    rows = _subscriptions(db, workspace.id)
    assert 0 < subscribed <= BROWSERS and len(rows) == subscribed
    customers = [customer for _, customer in rows]
    assert all(customers) and len(set(customers)) == subscribed  # each on its own device's profile
    assert not set(customers) & _identified(db, workspace.id)  # never on an identified customer
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
            again = seed_push(session, workspace_id=workspace.id, settings=settings, providers=restarted)
        assert again == subscribed and len(restarted.push.browsers) == subscribed
    finally:
        restarted.stop()
    assert db.scalar(select(func.count()).select_from(PushSubscription)) == subscribed
    db.rollback()
