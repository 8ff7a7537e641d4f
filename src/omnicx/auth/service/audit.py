"""The audit log: who did what to whom, kept for sign-ins, role changes, tokens, exports and deletions."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth.enums import AuthTopic
from omnicx.auth.models import AuditEntry
from omnicx.auth.schemas import AuditPublic
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish
from omnicx.kernel.web.schemas import Page


def record_audit(
    session: Session,
    *,
    workspace_id: uuid.UUID | None,
    action: str,
    principal: Principal | None = None,
    actor_label: str = "",
    target_type: str = "",
    target_id: str = "",
    detail: dict[str, Any] | None = None,
    ip: str = "",
) -> None:
    """Add an audit entry to the caller's transaction: it commits with the change it describes, or not at all.

    The entry is also announced on the realtime bus (after commit) so the Overview's activity feed is live.
    """
    entry = AuditEntry(
        workspace_id=workspace_id,
        actor_user_id=principal.user_id if principal else None,
        actor_token_id=principal.token_id if principal else None,
        actor_label=actor_label or (principal.label if principal else "system"),
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail or {},
        ip=ip or (principal.ip if principal else ""),
        at=utcnow(),
    )
    session.add(entry)
    if workspace_id is not None:
        summary = f"{entry.actor_label} · {action}" + (
            f" · {detail_text(entry.detail)}" if entry.detail else ""
        )
        publish(
            session,
            RealtimeEvent(
                workspace_id=workspace_id,
                topic=AuthTopic.AUDIT_RECORDED,
                data={"summary": summary, "action": action, "actor": entry.actor_label},
                action=Action.AUDIT_READ.value,
            ),
        )


def detail_text(detail: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in detail.items())


def list_audit(
    session: Session, *, workspace_id: uuid.UUID, action: str | None = None, offset: int = 0, limit: int = 50
) -> Page[AuditPublic]:
    stmt = select(AuditEntry).where(AuditEntry.workspace_id == workspace_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).offset(offset).limit(limit)
    )
    return Page[AuditPublic](
        items=[AuditPublic.model_validate(r) for r in rows], total=total, offset=offset, limit=limit
    )
