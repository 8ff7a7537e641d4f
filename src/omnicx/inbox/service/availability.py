"""Agent availability (online, busy, offline): round robin gives new conversations to online agents only,
and the chat widget asks for an email when nobody of the inbox is online (`assignment.anyone_online`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox.enums import Availability, InboxTopic
from omnicx.inbox.errors import AssigneeNotFound
from omnicx.inbox.models import AgentAvailability
from omnicx.inbox.schemas import AvailabilityPublic
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.realtime.bus import RealtimeEvent
from omnicx.kernel.realtime.service import publish


def availability_of(session: Session, *, workspace_id: uuid.UUID) -> dict[uuid.UUID, Availability]:
    """Each membership's availability; members who never set one are online."""
    rows = session.execute(
        select(AgentAvailability.membership_id, AgentAvailability.status).where(
            AgentAvailability.workspace_id == workspace_id
        )
    )
    found = {row[0]: row[1] for row in rows}
    return {
        m.id: found.get(m.id, Availability.ONLINE)
        for m in auth_service.list_members(session, workspace_id=workspace_id)
    }


def _membership_of(session: Session, principal: Principal) -> uuid.UUID:
    member = auth_service.member_of(session, principal=principal)
    if member is None:
        raise AssigneeNotFound("only a member of the workspace has an availability (not an API token)")
    return member.id


def get_availability(session: Session, *, principal: Principal) -> AvailabilityPublic:
    membership_id = _membership_of(session, principal)
    status = availability_of(session, workspace_id=principal.workspace_id)[membership_id]
    return AvailabilityPublic(membership_id=membership_id, status=status)


def set_availability(session: Session, *, principal: Principal, status: Availability) -> AvailabilityPublic:
    """Set the caller's availability; announced to the workspace's inbox screens. Committed."""
    membership_id = _membership_of(session, principal)
    row = session.scalar(select(AgentAvailability).where(AgentAvailability.membership_id == membership_id))
    if row is None:
        row = AgentAvailability(
            workspace_id=principal.workspace_id, membership_id=membership_id, status=status
        )
        session.add(row)
    row.status = status
    row.updated_at = utcnow()
    publish(
        session,
        RealtimeEvent(
            workspace_id=principal.workspace_id,
            topic=InboxTopic.AVAILABILITY_UPDATED,
            data={
                "membership_id": str(membership_id),
                "status": status.value,
                "summary": f"{principal.label}: {status.value}",
            },
            action=Action.INBOX_READ.value,
        ),
    )
    session.commit()
    return AvailabilityPublic(membership_id=membership_id, status=status)
