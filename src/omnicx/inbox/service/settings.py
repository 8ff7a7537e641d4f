"""Inbox and SLA policy settings: read and change what `create_inbox` / `create_sla_policy` made."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox.errors import DuplicateSlaPolicy, SlaPolicyNotFound
from omnicx.inbox.models import SlaPolicy
from omnicx.inbox.schemas import InboxPublic, InboxUpdate, SlaPolicyPublic, SlaPolicyUpdate
from omnicx.inbox.service.inboxes import load_inbox
from omnicx.inbox.service.providers import public_inbox
from omnicx.kernel.access.principal import Principal


def _policy(session: Session, workspace_id: uuid.UUID, policy_id: uuid.UUID) -> SlaPolicy:
    row = session.scalar(
        select(SlaPolicy).where(SlaPolicy.id == policy_id, SlaPolicy.workspace_id == workspace_id)
    )
    if row is None:
        raise SlaPolicyNotFound(f"SLA policy {policy_id} not found")
    return row


def list_sla_policies(session: Session, *, workspace_id: uuid.UUID) -> list[SlaPolicyPublic]:
    rows = session.scalars(
        select(SlaPolicy).where(SlaPolicy.workspace_id == workspace_id).order_by(SlaPolicy.name)
    )
    return [SlaPolicyPublic.model_validate(r) for r in rows]


def get_sla_policy(session: Session, *, workspace_id: uuid.UUID, policy_id: uuid.UUID) -> SlaPolicyPublic:
    return SlaPolicyPublic.model_validate(_policy(session, workspace_id, policy_id))


def update_sla_policy(
    session: Session, *, principal: Principal, policy_id: uuid.UUID, data: SlaPolicyUpdate
) -> SlaPolicyPublic:
    """Replace a policy's targets and hours. Conversations already open keep the due times they were given;
    their next clocks follow the new targets. Committed."""
    policy = _policy(session, principal.workspace_id, policy_id)
    taken = session.scalar(
        select(SlaPolicy.id).where(
            SlaPolicy.workspace_id == principal.workspace_id, SlaPolicy.name == data.name
        )
    )
    if taken is not None and taken != policy.id:
        raise DuplicateSlaPolicy(f"an SLA policy named {data.name!r} already exists")
    policy.name = data.name
    policy.first_response_minutes = data.first_response_minutes
    policy.next_response_minutes = data.next_response_minutes
    policy.resolution_minutes = data.resolution_minutes
    policy.business_hours = {k: [list(i) for i in v] for k, v in data.business_hours.items()}
    policy.holidays = {"dates": list(data.holidays)}
    for inbox_id in data.inbox_ids:
        load_inbox(session, workspace_id=principal.workspace_id, inbox_id=inbox_id).sla_policy_id = policy.id
    _audit(session, principal, "inbox.sla_policy.updated", "sla_policy", policy.id)
    session.flush()
    result = SlaPolicyPublic.model_validate(policy)
    session.commit()
    return result


def update_inbox(
    session: Session, *, principal: Principal, inbox_id: uuid.UUID, data: InboxUpdate
) -> InboxPublic:
    """Change an inbox's name, reopen window, auto-resolve, assignment, team or SLA policy. Audited, committed.

    A new auto-resolve delay applies from each conversation's next agent reply on (that reply schedules the
    check); conversations already waiting on their customer keep the delay they were given, if any."""
    inbox = load_inbox(session, workspace_id=principal.workspace_id, inbox_id=inbox_id)
    fields = data.model_fields_set
    if "team_id" in fields and data.team_id is not None:
        auth_service.get_team(session, workspace_id=principal.workspace_id, team_id=data.team_id)
    if "sla_policy_id" in fields and data.sla_policy_id is not None:
        _policy(session, principal.workspace_id, data.sla_policy_id)
    for name in ("name", "reopen_window_hours", "auto_assign", "assignment_capacity"):
        value = getattr(data, name)
        if name in fields and value is not None:
            setattr(inbox, name, value)
    for name in ("team_id", "sla_policy_id", "auto_resolve_hours"):
        if name in fields:
            setattr(inbox, name, getattr(data, name))
    _audit(session, principal, "inbox.updated", "inbox", inbox.id)
    session.flush()
    result = public_inbox(inbox)
    session.commit()
    return result


def _audit(
    session: Session, principal: Principal, action: str, target_type: str, target_id: uuid.UUID
) -> None:
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action=action,
        target_type=target_type,
        target_id=str(target_id),
        detail={},
    )
