"""Notifications to a customer's browsers: "you have a reply" when an agent replies to them, "your order is
ready" when their order is ready for pickup, and a test sent by staff.

Each is queued, in the transaction of what caused it, as one `channels.webpush_send` job per subscribed browser,
keyed by its cause and the subscription: a reply or an order replayed queues nothing twice. The job reads the
subscription in a short transaction, pushes with no transaction open, then records the outcome: sent, the
subscription forgotten (the push service answered 404 or 410), or failed. Throttling (429), a push service's
failure (5xx) or no answer are retried with the worker's backoff; any other refusal fails at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.channels.models import PushSubscription
from omnicx.channels.webpush import keys, subscriptions
from omnicx.channels.webpush.errors import KeyUnreadable
from omnicx.channels.webpush.schemas import Notification, SendTestPush, SendTestResult
from omnicx.channels.webpush.sender import Outcome, PushResult, Target
from omnicx.identity.errors import CustomerNotFound
from omnicx.inbox.schemas import ReplyPosted
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import new_id, utcnow
from omnicx.kernel.i18n import translations
from omnicx.kernel.jobs import service as jobs_service

SEND_JOB = "channels.webpush_send"
# With the worker's default backoff (doubling from 2 s, full jitter) the retries of a push spread over up to an
# hour, well within its TTL of a day.
SEND_ATTEMPTS = 12


def notify_reply(session: Session, reply: ReplyPosted) -> None:
    """The inbox's reply listener: tell the conversation's customer's browsers that they have a reply (the text
    stays in the conversation)."""
    if reply.customer_id is None:
        return
    browsers = _browsers_of(session, reply.workspace_id, reply.customer_id)
    if not browsers:
        return
    workspace = auth_service.get_workspace(session, workspace_id=reply.workspace_id)
    t = translations(workspace.default_language)
    notification = Notification(
        title=t.gettext("You have a reply"),
        body=t.gettext("%(name)s answered your message.") % {"name": workspace.name},
        url="/",
        tag=f"omnicx-conversation-{reply.conversation_id}",
    )
    _queue(session, reply.workspace_id, browsers, f"reply:{reply.message_id}", notification)


def notify_order_ready(
    session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID, customer_id: uuid.UUID, location: str
) -> None:
    """When an order is ready for pickup (commerce tells it through the wiring: the two domains do not import
    each other): tell the customer's browsers where to collect it. The pickup code goes by the notice on their
    channel, never in a push."""
    browsers = _browsers_of(session, workspace_id, customer_id)
    if not browsers:
        return
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    t = translations(workspace.default_language)
    notification = Notification(
        title=t.gettext("Your order is ready for pickup"),
        body=t.gettext("It is waiting for you at %(store)s.") % {"store": location},
        url="/",
        tag=f"omnicx-order-{order_id}",
    )
    _queue(session, workspace_id, browsers, f"order-ready:{order_id}", notification)


def _browsers_of(session: Session, workspace_id: uuid.UUID, customer_id: uuid.UUID) -> list[PushSubscription]:
    """The customer's subscribed browsers; none at one query in a workspace without any (the common case)."""
    anyone = session.scalar(
        select(PushSubscription.id).where(PushSubscription.workspace_id == workspace_id).limit(1)
    )
    if anyone is None:
        return []
    try:
        return subscriptions.of_customer(session, workspace_id=workspace_id, customer_id=customer_id)
    except CustomerNotFound:
        return []  # erased meanwhile: nobody to tell


def _queue(
    session: Session,
    workspace_id: uuid.UUID,
    browsers: Sequence[PushSubscription],
    cause: str,
    notification: Notification,
) -> int:
    """One send job per browser, opening the page the browser subscribed from; never commits."""
    for browser in browsers:
        payload = {
            "subscription_id": str(browser.id),
            "notification": notification.model_copy(update={"url": browser.open_url}).model_dump(),
        }
        jobs_service.enqueue(
            session,
            kind=SEND_JOB,
            payload=payload,
            workspace_id=workspace_id,
            idempotency_key=f"webpush:{cause}:{browser.id}",
            max_attempts=SEND_ATTEMPTS,
        )
    return len(browsers)


def send_test(session: Session, *, principal: Principal, data: SendTestPush) -> SendTestResult:
    """Queue a test notification to a customer's browsers, or to one; audited, commits."""
    workspace_id = principal.workspace_id
    if data.subscription_id is not None:
        browsers = [
            subscriptions.load(session, workspace_id=workspace_id, subscription_id=data.subscription_id)
        ]
    else:
        assert data.customer_id is not None
        browsers = subscriptions.of_customer(session, workspace_id=workspace_id, customer_id=data.customer_id)
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    t = translations(workspace.default_language)
    notification = Notification(
        title=t.gettext("Test notification"),
        body=t.gettext("Notifications from %(name)s reach this browser.") % {"name": workspace.name},
        url="/",
        tag="omnicx-test",
    )
    queued = _queue(session, workspace_id, browsers, f"test:{new_id()}", notification)
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        action="webpush.test_sent",
        target_type="push_subscription" if data.subscription_id else "customer",
        target_id=str(data.subscription_id or data.customer_id),
        detail={"queued": queued},
    )
    session.commit()
    return SendTestResult(queued=queued)


def push_target(
    session: Session, *, workspace_id: uuid.UUID, subscription_id: uuid.UUID, secret_key: str
) -> Target | None:
    """What the send job needs, or None when the browser is no longer subscribed. KeyUnreadable when the
    workspace's key or the subscription was sealed under another server secret key."""
    row = session.scalar(
        select(PushSubscription).where(
            PushSubscription.workspace_id == workspace_id, PushSubscription.id == subscription_id
        )
    )
    if row is None:
        return None
    browser = subscriptions.browser(row, secret_key=secret_key)
    if browser is None:
        raise KeyUnreadable("the subscription cannot be read (the server's secret key changed)")
    signer, subject = keys.signer(session, workspace_id=workspace_id, secret_key=secret_key)
    return Target(browser=browser, signer=signer, subject=subject)


def record_push(
    session: Session, *, workspace_id: uuid.UUID, subscription_id: uuid.UUID, result: PushResult
) -> None:
    """What a push came to, on its subscription (in the job's transaction): sent, forgotten or failed."""
    row = session.scalar(
        select(PushSubscription).where(
            PushSubscription.workspace_id == workspace_id, PushSubscription.id == subscription_id
        )
    )
    if row is None:
        return
    if result.outcome is Outcome.GONE:
        session.delete(row)
    elif result.outcome is Outcome.DELIVERED:
        row.last_sent_at, row.failed_at, row.last_error = utcnow(), None, None
    else:
        row.failed_at, row.last_error = utcnow(), result.error[:500] or result.outcome.value
