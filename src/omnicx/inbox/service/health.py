"""Channel health per inbox, for whoever runs the inboxes: when each last received and sent, and how many of its
recent replies failed or still wait (a provider outage, revoked credentials, an opted-out audience)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from omnicx.inbox.enums import DeliveryStatus, MessageKind
from omnicx.inbox.models import Message
from omnicx.inbox.schemas import InboxHealth
from omnicx.kernel.db import utcnow

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
    return {
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
