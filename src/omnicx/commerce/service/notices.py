"""Notices owed to the customer about an order ("ready for pickup"): sent once, through the inbox, on the
customer's preferred channel, by a job; each is recorded on the order with where it went."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce.enums import NoticeKind
from omnicx.commerce.models import Location, Notification, Order
from omnicx.commerce.schemas import NoticePublic, OrderReady
from omnicx.commerce.service._common import publish_order
from omnicx.commerce.service.orders import load_order
from omnicx.inbox import service as inbox_service
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import translations

NOTIFY_READY_JOB = "commerce.notify_ready"

ReadyListener = Callable[[Session, OrderReady], None]
_READY_LISTENERS: dict[str, ReadyListener] = {}


def register_ready_listener(name: str, listener: ReadyListener) -> None:
    """Have `listener(session, ready)` run when an order's "ready for pickup" notice is recorded (once per order),
    in that transaction: another domain's follow-up (a web push queued) commits with the notice or not at all,
    and commerce imports none of them. The composition root registers them."""
    _READY_LISTENERS[name] = listener


def notify_ready(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    order_id: uuid.UUID,
    base_url: str = "",
    now: datetime | None = None,
) -> bool:
    """Tell the customer their order is ready for pickup, once; returns False if it was already done.

    The notice (pickup code, store, the order page: absolute when `base_url` is set) goes through the inbox on
    the customer's preferred channel; the commerce row records where it went, or that no channel was
    available. Runs inside the job's transaction (no commit): a rolled-back run leaves nothing behind, so
    its replay sends the one notice. `now`: when it is sent (a history replayed at its own times, as the demo's
    seeding does; its queued job then finds it sent).
    """
    now = now or utcnow()
    order = load_order(session, workspace_id, order_id)
    exists = session.scalar(
        select(Notification.id).where(
            Notification.order_id == order.id, Notification.kind == NoticeKind.READY_FOR_PICKUP
        )
    )
    if exists is not None:
        return False
    location = session.get(Location, order.location_id)
    store = location.name if location else ""
    path = f"/o/{order.token}"
    link = f"{base_url.rstrip('/')}{path}" if base_url else path
    detail: dict[str, object] = {"pickup_code": order.pickup_code, "location": store, "order_path": path}
    detail.update(_send_ready_notice(session, order, store, link, now))
    session.add(
        Notification(
            workspace_id=workspace_id,
            order_id=order.id,
            customer_id=order.customer_id,
            kind=NoticeKind.READY_FOR_PICKUP,
            detail=detail,
            created_at=now,
        )
    )
    session.flush()
    if order.customer_id is not None:
        ready = OrderReady(
            workspace_id=workspace_id, order_id=order.id, customer_id=order.customer_id, location=store
        )
        for listener in _READY_LISTENERS.values():
            listener(session, ready)
    publish_order(session, workspace_id=workspace_id, order_id=order.id, status=order.status.value)
    return True


def _send_ready_notice(
    session: Session, order: Order, store: str, link: str, now: datetime
) -> dict[str, object]:
    """Hand the notice to the inbox; what to remember about where it went (`channel` None: nowhere)."""
    if order.customer_id is None:
        return {"channel": None}
    workspace = auth_service.get_workspace(session, workspace_id=order.workspace_id)
    t = translations(workspace.default_language)
    subject = t.gettext("Your order is ready for pickup")
    text = t.gettext(
        "Your order is ready for pickup at %(store)s.\n\nPickup code: %(code)s\n\nFollow your order: %(link)s"
    ) % {"store": store, "code": order.pickup_code, "link": link}
    result = inbox_service.notify_customer(
        session,
        workspace_id=order.workspace_id,
        customer_id=order.customer_id,
        subject=subject,
        text=text,
        key=f"commerce:{NoticeKind.READY_FOR_PICKUP}:{order.id}",
        now=now,
    )
    if result is None:
        return {"channel": None}
    return {
        "channel": result.channel.value,
        "inbox": result.inbox_name,
        "conversation_id": str(result.conversation_id),
        "message_id": str(result.message_id),
    }


def order_notices(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> list[NoticePublic]:
    """The notices owed to the customer for an order and where each went (oldest first), for staff."""
    load_order(session, workspace_id, order_id)
    rows = session.scalars(
        select(Notification).where(Notification.order_id == order_id).order_by(Notification.created_at)
    )
    return [
        NoticePublic(
            kind=row.kind,
            channel=(row.detail or {}).get("channel"),
            inbox=str((row.detail or {}).get("inbox") or ""),
            conversation_id=(row.detail or {}).get("conversation_id"),
            created_at=row.created_at,
        )
        for row in rows
    ]


def list_notifications(session: Session, *, workspace_id: uuid.UUID, order_id: uuid.UUID) -> list[NoticeKind]:
    """Kinds of the notices recorded for an order (oldest first)."""
    load_order(session, workspace_id, order_id)
    return list(
        session.scalars(
            select(Notification.kind)
            .where(Notification.order_id == order_id)
            .order_by(Notification.created_at)
        )
    )
