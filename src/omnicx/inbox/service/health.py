"""Channel health per inbox, for whoever runs the inboxes: when each last received and sent, how many of its
recent replies failed or still wait (a provider outage, revoked credentials, an opted-out audience), and how many
provider webhook calls it refused (a signature that does not match: a webhook misconfigured at the provider, or
forged calls)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import DeliveryStatus, MessageKind
from omnicx.inbox.models import Message, WebhookRejection
from omnicx.inbox.schemas import InboxHealth
from omnicx.kernel.db import dialect_insert, new_id, utcnow

WINDOW_DAYS = 30


def inbox_health(
    session: Session, *, workspace_id: uuid.UUID, now: datetime | None = None
) -> dict[uuid.UUID, InboxHealth]:
    """Each inbox of the workspace that ever had a message, by id (one grouped query)."""
    since = (now or utcnow()) - timedelta(days=WINDOW_DAYS)
    outgoing = Message.kind == MessageKind.OUTGOING
    recent = outgoing & (Message.created_at >= since)

    def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(
            Message.inbox_id,
            func.max(case((Message.kind == MessageKind.INCOMING, Message.created_at))),
            func.max(case((outgoing, Message.created_at))),
            count(recent),
            count(recent & (Message.delivery_status == DeliveryStatus.FAILED)),
            count(recent & (Message.delivery_status == DeliveryStatus.PENDING)),
        )
        .where(Message.workspace_id == workspace_id)
        .group_by(Message.inbox_id)
    )
    found = {
        inbox_id: InboxHealth(
            inbox_id=inbox_id,
            last_inbound_at=last_in,
            last_outbound_at=last_out,
            replies=int(replies),
            failed=int(failed),
            pending=int(pending),
            window_days=WINDOW_DAYS,
        )
        for inbox_id, last_in, last_out, replies, failed, pending in rows
    }
    for inbox_id, rejected, last_at in session.execute(
        select(
            WebhookRejection.inbox_id, func.sum(WebhookRejection.count), func.max(WebhookRejection.last_at)
        )
        .where(WebhookRejection.workspace_id == workspace_id, WebhookRejection.day >= since.date())
        .group_by(WebhookRejection.inbox_id)
    ):
        health = found.setdefault(
            inbox_id,
            InboxHealth(
                inbox_id=inbox_id, last_inbound_at=None, last_outbound_at=None, replies=0, failed=0, pending=0,
                window_days=WINDOW_DAYS,
            ),
        )  # fmt: skip
        health.rejected, health.last_rejected_at = int(rejected), last_at
    return found


def record_rejection(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    inbox_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
) -> None:
    """Count one refused webhook call for the inbox (one row per day, counted up in one statement). Commits."""
    now = now or utcnow()
    values = {
        "id": new_id(),
        "workspace_id": workspace_id,
        "inbox_id": inbox_id,
        "day": now.date(),
        "count": 1,
        "last_at": now,
        "last_reason": reason[:200],
    }
    table = WebhookRejection.__table__
    stmt = dialect_insert(session, WebhookRejection).values(values)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["inbox_id", "day"],
            set_={"count": table.c.count + 1, "last_at": now, "last_reason": reason[:200]},
        )
    )
    session.commit()
