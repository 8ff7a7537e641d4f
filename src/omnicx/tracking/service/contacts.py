"""Contacts logged by hand: a phone call, a store visit, a store note. Each is a touchpoint (channel Phone or
Store, so attribution sees journeys that leave the screen) carrying what was said, shown in the customer's
history and counted as their last contact (inbound) or last communication (outbound)."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.tracking.schemas import ContactKind, ContactLog, TouchpointPublic
from omnicx.tracking.service.touchpoints import record_touchpoint

CHANNELS = {ContactKind.CALL: "Phone", ContactKind.STORE_VISIT: "Store", ContactKind.STORE_NOTE: "Store"}
SOURCE = "logged"  # the touchpoint source of contacts logged by hand


def log_contact(
    session: Session, *, principal: Principal, customer_id: uuid.UUID, data: ContactLog
) -> TouchpointPublic:
    """Log the contact on the customer (a merged id logs on its survivor). Audited, committed."""
    detail = {
        "direction": data.direction,
        "duration_seconds": data.duration_seconds,
        "outcome": data.outcome.strip(),
        "notes": data.notes.strip(),
        "location": data.location.strip(),
        "logged_by": principal.label,
    }
    touchpoint = record_touchpoint(
        session,
        workspace_id=principal.workspace_id,
        customer_id=customer_id,
        channel=CHANNELS[data.kind],
        kind=data.kind.value,
        at=data.at or utcnow(),
        detail={k: v for k, v in detail.items() if v not in (None, "")},
        source=SOURCE,
    )
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="customer.contact_logged",
        target_type="customer",
        target_id=str(touchpoint.customer_id),
        detail={"kind": data.kind.value, "direction": data.direction},
    )
    session.commit()
    return touchpoint
