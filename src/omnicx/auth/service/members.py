"""Memberships: who belongs to a workspace and with which role. People join by invitation (`invitations`);
an operator may also make someone a member directly (`workspaces.ensure_membership`, the CLI and the demo)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth.errors import LastOwner, MemberNotFound, RoleNotAssignable
from omnicx.auth.models import Membership, User
from omnicx.auth.schemas import MemberPublic
from omnicx.auth.service.audit import record_audit
from omnicx.kernel.access.permissions import Role, assignable_roles
from omnicx.kernel.access.principal import Principal


def _public(membership: Membership, user: User) -> MemberPublic:
    return MemberPublic(
        id=membership.id,
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        created_at=membership.created_at,
    )


def _load(session: Session, workspace_id: uuid.UUID, member_id: uuid.UUID) -> tuple[Membership, User]:
    row = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.id == member_id, Membership.workspace_id == workspace_id)
    ).first()
    if row is None:
        raise MemberNotFound(f"member {member_id} not found")
    return row[0], row[1]


def check_assignable(principal: Principal, role: Role) -> None:
    """Nobody grants, changes or takes away a role above what their own role may assign."""
    if role not in assignable_roles(principal.role):
        raise RoleNotAssignable(f"a {principal.role} cannot grant the {role} role")


def list_members(session: Session, *, workspace_id: uuid.UUID) -> list[MemberPublic]:
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(User.email)
    )
    return [_public(m, u) for m, u in rows]


def member_of(session: Session, *, principal: Principal) -> MemberPublic | None:
    """The membership of the person behind `principal` in their workspace; None for API tokens (no person)
    and for someone no longer a member."""
    if principal.user_id is None:
        return None
    row = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == principal.workspace_id, Membership.user_id == principal.user_id)
    ).first()
    return _public(row[0], row[1]) if row is not None else None


def _owner_count(session: Session, workspace_id: uuid.UUID) -> int:
    return (
        session.scalar(
            select(func.count()).where(Membership.workspace_id == workspace_id, Membership.role == Role.OWNER)
        )
        or 0
    )


def change_role(session: Session, *, principal: Principal, member_id: uuid.UUID, role: Role) -> MemberPublic:
    membership, user = _load(session, principal.workspace_id, member_id)
    check_assignable(principal, role)
    check_assignable(principal, membership.role)
    if (
        membership.role is Role.OWNER
        and role is not Role.OWNER
        and _owner_count(session, membership.workspace_id) <= 1
    ):
        raise LastOwner("the workspace must keep at least one owner")
    previous = membership.role
    membership.role = role
    record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="member.role_changed",
        target_type="member",
        target_id=str(member_id),
        detail={"email": user.email, "from": previous.value, "to": role.value},
    )
    session.commit()
    return _public(membership, user)


def remove_member(session: Session, *, principal: Principal, member_id: uuid.UUID) -> None:
    membership, user = _load(session, principal.workspace_id, member_id)
    check_assignable(principal, membership.role)
    if membership.role is Role.OWNER and _owner_count(session, membership.workspace_id) <= 1:
        raise LastOwner("the workspace must keep at least one owner")
    session.delete(membership)
    record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="member.removed",
        target_type="member",
        target_id=str(member_id),
        detail={"email": user.email, "role": membership.role.value},
    )
    session.commit()
