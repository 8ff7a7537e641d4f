"""Invitations: how a person joins a workspace, by accepting a link mailed to their address.

Nobody is made a member without their consent, and an invitation tells the inviter nothing about the address:
the answer, the stored row and the mail sent are the same whether the address already has an account (in this
omnicx, in any workspace) or not. Only the holder of the link (who reads that address's mail) learns which
form to fill: their existing password, or a name and a new password. The one thing an inviter is told is that
the address is already a member of their own workspace: that is their workspace's business, not an oracle.

A link works once, for 7 days, and stops working when revoked or replaced by a resend. It is accepted by the
invited address's owner only: signed in as that person, or signed out with that account's password, or by
creating the account when there is none.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from omnicx.auth.errors import (
    DuplicateMember,
    InvalidCredentials,
    InvitationForAnotherAccount,
    InvitationInvalid,
    InvitationNotFound,
    TooManyInvitations,
)
from omnicx.auth.models import Invitation, Membership, User, Workspace
from omnicx.auth.schemas import (
    InvitationAccept,
    InvitationAccepted,
    InvitationCreate,
    InvitationDelivery,
    InvitationPublic,
    InvitationView,
    MemberPublic,
    SignedIn,
    UserCreate,
    WorkspacePublic,
)
from omnicx.auth.service.audit import record_audit
from omnicx.auth.service.links import link_to, new_link_token, seal_for_mail, unseal_current
from omnicx.auth.service.members import check_assignable
from omnicx.auth.service.passwords import check_new_password
from omnicx.auth.service.sessions import open_session
from omnicx.auth.service.workspaces import create_user, find_user, normalise_email
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import hash_token, verify_password
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs

SEND_INVITATION_JOB = "auth.send_invitation"
INVITATION_TTL = timedelta(days=7)
INVITATIONS_PER_HOUR = 50  # mails one workspace may send in an hour: a brake on using omnicx to spam
INVITATION_PATH = "/invitations"
_PURPOSE = "auth.invitation"
_PREFIX = "omi_"


def _public(invitation: Invitation, now: datetime | None = None) -> InvitationPublic:
    public = InvitationPublic.model_validate(invitation)
    public.expired = (now or utcnow()) >= invitation.expires_at
    return public


def _pending(workspace_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        Invitation.workspace_id == workspace_id,
        Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None),
    ]


def _load_pending(session: Session, principal: Principal, invitation_id: uuid.UUID) -> Invitation:
    invitation = session.scalar(
        select(Invitation).where(Invitation.id == invitation_id, *_pending(principal.workspace_id))
    )
    if invitation is None:
        raise InvitationNotFound(f"invitation {invitation_id} not found")
    check_assignable(principal, invitation.role)
    return invitation


def _audit(session: Session, principal: Principal, action: str, invitation: Invitation) -> None:
    record_audit(
        session,
        workspace_id=invitation.workspace_id,
        principal=principal,
        action=action,
        target_type="invitation",
        target_id=str(invitation.id),
        detail={"email": invitation.email, "role": invitation.role.value},
    )


def _send(session: Session, invitation: Invitation, *, secret: str, now: datetime) -> None:
    """Give the invitation a new link (the previous one stops working) and queue its mail, in the caller's
    transaction. Refused past the workspace's hourly number of invitation mails."""
    with session.no_autoflush:  # a new invitation is stored once it has its link
        sent = session.scalar(
            select(func.count(Invitation.id)).where(
                Invitation.workspace_id == invitation.workspace_id,
                Invitation.sent_at >= now - timedelta(hours=1),
            )
        )
    if (sent or 0) >= INVITATIONS_PER_HOUR:
        raise TooManyInvitations("this workspace sent too many invitations in the last hour; try again later")
    token, token_hash = new_link_token(_PREFIX)
    invitation.token_hash = token_hash
    invitation.sent_at, invitation.expires_at = now, now + INVITATION_TTL
    session.flush()
    jobs.enqueue(
        session,
        kind=SEND_INVITATION_JOB,
        payload={
            "invitation_id": str(invitation.id),
            "sealed": seal_for_mail(secret, token, purpose=_PURPOSE),
        },
        workspace_id=invitation.workspace_id,
        idempotency_key=f"{invitation.id}:{token_hash[:16]}",
        max_attempts=5,
    )


def _is_member(session: Session, workspace_id: uuid.UUID, email: str) -> bool:
    found = session.scalar(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id, User.email == email)
    )
    return found is not None


def invite_member(
    session: Session,
    *,
    principal: Principal,
    data: InvitationCreate,
    secret: str,
    now: datetime | None = None,
) -> InvitationPublic:
    """Invite an address with a role the caller may grant; its link is mailed by a job. Inviting an address
    with a pending invitation sends that one again (with the new role). Committed. `secret` is the server's
    secret key (it seals the link for the job that mails it)."""
    now = now or utcnow()
    check_assignable(principal, data.role)
    email = normalise_email(data.email)
    if _is_member(session, principal.workspace_id, email):
        raise DuplicateMember(f"{email} is already a member of this workspace")
    invitation = session.scalar(
        select(Invitation).where(*_pending(principal.workspace_id), Invitation.email == email)
    )
    if invitation is None:
        invitation = Invitation(
            workspace_id=principal.workspace_id, email=email, token_hash="", sent_at=now, expires_at=now
        )
        session.add(invitation)
    else:
        check_assignable(principal, invitation.role)
    invitation.role = data.role
    # A person's address names the inviter in the mail; an API token's name is not for strangers.
    invitation.invited_by_id = principal.user_id
    invitation.invited_by = principal.label if principal.user_id else ""
    _send(session, invitation, secret=secret, now=now)
    _audit(session, principal, "member.invited", invitation)
    session.commit()
    return _public(invitation)


def resend_invitation(
    session: Session,
    *,
    principal: Principal,
    invitation_id: uuid.UUID,
    secret: str,
    now: datetime | None = None,
) -> InvitationPublic:
    """Mail a pending invitation again with a new link, valid 7 days from now. Committed."""
    invitation = _load_pending(session, principal, invitation_id)
    _send(session, invitation, secret=secret, now=now or utcnow())
    _audit(session, principal, "member.invitation_resent", invitation)
    session.commit()
    return _public(invitation)


def revoke_invitation(session: Session, *, principal: Principal, invitation_id: uuid.UUID) -> None:
    """Withdraw a pending invitation: its link stops working. Committed."""
    invitation = _load_pending(session, principal, invitation_id)
    invitation.revoked_at = utcnow()
    _audit(session, principal, "member.invitation_revoked", invitation)
    session.commit()


def list_invitations(session: Session, *, workspace_id: uuid.UUID) -> list[InvitationPublic]:
    """Invitations neither accepted nor revoked, newest first (expired ones too: they can be sent again)."""
    rows = session.scalars(
        select(Invitation).where(*_pending(workspace_id)).order_by(Invitation.sent_at.desc())
    )
    now = utcnow()
    return [_public(r, now) for r in rows]


def invitation_delivery(
    session: Session,
    *,
    invitation_id: uuid.UUID,
    sealed: str,
    secret: str,
    base_url: str,
    now: datetime | None = None,
) -> InvitationDelivery | None:
    """What to mail for the link sealed in `sealed`; None when that link no longer works (replaced by a
    resend, accepted, revoked, expired, or sealed under another secret key): nothing to send then."""
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or not _usable(invitation, now or utcnow()):
        return None
    token = unseal_current(secret, sealed, purpose=_PURPOSE, token_hash=invitation.token_hash)
    if token is None:
        return None
    workspace = session.get(Workspace, invitation.workspace_id)
    assert workspace is not None  # the invitation is deleted with its workspace
    return InvitationDelivery(
        to=invitation.email,
        workspace_name=workspace.name,
        invited_by=invitation.invited_by,
        role=invitation.role,
        link=link_to(base_url, INVITATION_PATH, token),
        expires_at=invitation.expires_at,
    )


def _usable(invitation: Invitation, now: datetime) -> bool:
    return invitation.accepted_at is None and invitation.revoked_at is None and now < invitation.expires_at


def _by_token(session: Session, token: str, now: datetime) -> Invitation:
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None or not _usable(invitation, now):
        raise InvitationInvalid(
            "this invitation link no longer works: it was used, withdrawn, replaced or it expired; "
            "ask for a new invitation"
        )
    return invitation


def view_invitation(session: Session, *, token: str, now: datetime | None = None) -> InvitationView:
    """What the link's holder is invited to, and whether the invited address already has an account (the
    holder reads that address's mail: telling them is no oracle)."""
    invitation = _by_token(session, token, now or utcnow())
    workspace = session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    return InvitationView(
        workspace_name=workspace.name,
        email=invitation.email,
        role=invitation.role,
        invited_by=invitation.invited_by,
        expires_at=invitation.expires_at,
        has_account=find_user(session, email=invitation.email) is not None,
    )


def _join(session: Session, invitation: Invitation, user: User, now: datetime) -> Membership:
    """Use the invitation (once: a concurrent acceptance finds it used) and make the user a member; someone who
    became a member meanwhile keeps the role they have."""
    used = session.execute(
        update(Invitation)
        .where(Invitation.id == invitation.id, Invitation.accepted_at.is_(None))
        .values(accepted_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise InvitationInvalid("this invitation link was just used")
    membership = session.scalar(
        select(Membership).where(
            Membership.workspace_id == invitation.workspace_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        membership = Membership(workspace_id=invitation.workspace_id, user_id=user.id, role=invitation.role)
        session.add(membership)
        session.flush()
    record_audit(
        session,
        workspace_id=invitation.workspace_id,
        actor_label=user.email,
        action="member.joined",
        target_type="member",
        target_id=str(membership.id),
        detail={"email": user.email, "role": membership.role.value, "invitation": str(invitation.id)},
    )
    return membership


def accept_invitation(
    session: Session, *, principal: Principal, token: str, now: datetime | None = None
) -> InvitationAccepted:
    """Accept as the signed-in person, who must be the invited address's owner. Committed."""
    now = now or utcnow()
    invitation = _by_token(session, token, now)
    user = session.get(User, principal.user_id) if principal.user_id else None
    if user is None or user.email != invitation.email:
        raise InvitationForAnotherAccount(
            "this invitation is for another address: sign out, then open the link again"
        )
    membership = _join(session, invitation, user, now)
    workspace = session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    session.commit()
    member = MemberPublic(
        id=membership.id,
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=membership.role,
        created_at=membership.created_at,
    )
    return InvitationAccepted(workspace=WorkspacePublic.model_validate(workspace), member=member)


def accept_invitation_signed_out(
    session: Session,
    *,
    token: str,
    data: InvitationAccept,
    ip: str = "",
    user_agent: str = "",
    ttl_hours: int = 24 * 14,
    now: datetime | None = None,
) -> SignedIn:
    """Accept without a session: with the existing account's password, or, when the address has no account,
    by creating it with `data.name` and `data.password`. Committed; the person is signed in to the workspace."""
    now = now or utcnow()
    invitation = _by_token(session, token, now)
    user = find_user(session, email=invitation.email)
    if user is not None:
        if not (verify_password(user.password_hash, data.password) and user.is_active):
            raise InvalidCredentials("the password is incorrect")
    else:
        check_new_password(data.password)
        created, _ = create_user(
            session, data=UserCreate(email=invitation.email, name=data.name, password=data.password)
        )
        user = session.get(User, created.id)
        assert user is not None
    membership = _join(session, invitation, user, now)
    workspace = session.get(Workspace, invitation.workspace_id)
    assert workspace is not None
    signed = open_session(
        session,
        user=user,
        workspace=workspace,
        role=membership.role,
        ip=ip,
        user_agent=user_agent,
        ttl_hours=ttl_hours,
    )
    session.commit()
    return signed
