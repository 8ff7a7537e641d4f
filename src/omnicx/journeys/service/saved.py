"""Saved funnels: a workspace's funnels under names, to open again on any range."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.journeys.errors import FunnelNameTaken, SavedFunnelNotFound
from omnicx.journeys.models import SavedFunnel
from omnicx.journeys.schemas import SavedFunnelCreate, SavedFunnelPublic
from omnicx.kernel.access.principal import Principal


def list_saved_funnels(session: Session, *, workspace_id: uuid.UUID) -> list[SavedFunnelPublic]:
    """The workspace's saved funnels by name."""
    rows = session.scalars(
        select(SavedFunnel).where(SavedFunnel.workspace_id == workspace_id).order_by(SavedFunnel.name)
    )
    return [SavedFunnelPublic.model_validate(row) for row in rows]


def save_funnel(
    session: Session, *, workspace_id: uuid.UUID, data: SavedFunnelCreate, principal: Principal | None = None
) -> SavedFunnelPublic:
    """Save a funnel under a name not taken in the workspace (FunnelNameTaken otherwise). Commits."""
    row = SavedFunnel(
        workspace_id=workspace_id,
        name=data.name,
        steps=data.steps,
        window_hours=data.window_hours,
        mode=data.mode.value,
        created_by=principal.label if principal else "cli",
    )
    try:
        # The (workspace, name) unique constraint decides, even between concurrent savers; the savepoint keeps
        # the caller's transaction usable when it refuses.
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        raise FunnelNameTaken(f"a funnel named {data.name!r} is saved already") from None
    _audit(session, workspace_id, principal, "funnel.saved", row)
    session.commit()
    return SavedFunnelPublic.model_validate(row)


def get_saved_funnel(session: Session, *, workspace_id: uuid.UUID, funnel_id: uuid.UUID) -> SavedFunnelPublic:
    return SavedFunnelPublic.model_validate(_load(session, workspace_id, funnel_id))


def delete_saved_funnel(
    session: Session, *, workspace_id: uuid.UUID, funnel_id: uuid.UUID, principal: Principal | None = None
) -> None:
    """Delete a saved funnel of the workspace (SavedFunnelNotFound otherwise). Commits."""
    row = _load(session, workspace_id, funnel_id)
    session.delete(row)
    _audit(session, workspace_id, principal, "funnel.deleted", row)
    session.commit()


def _audit(
    session: Session, workspace_id: uuid.UUID, principal: Principal | None, action: str, row: SavedFunnel
) -> None:
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        actor_label="" if principal else "cli",
        action=action,
        target_type="saved_funnel",
        target_id=str(row.id),
        detail={"name": row.name},
    )


def _load(session: Session, workspace_id: uuid.UUID, funnel_id: uuid.UUID) -> SavedFunnel:
    row = session.scalar(
        select(SavedFunnel).where(SavedFunnel.id == funnel_id, SavedFunnel.workspace_id == workspace_id)
    )
    if row is None:
        raise SavedFunnelNotFound(f"saved funnel {funnel_id} not found")
    return row
