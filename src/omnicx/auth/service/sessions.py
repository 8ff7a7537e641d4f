"""Signing in and recognising callers: browser sessions (cookie) and API tokens (bearer).

Failed sign-ins are recorded per email and per address; past the limit the account is locked for a while, before
the password is even checked, so guessing gains nothing.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnicx.auth.errors import AccountLocked, InvalidCredentials, WorkspaceNotFound
from omnicx.auth.models import ApiToken, BrowserSession, LoginAttempt, Membership, User, Workspace
from omnicx.auth.schemas import SignedIn, UserPublic, WorkspacePublic
from omnicx.auth.service.audit import record_audit
from omnicx.auth.service.workspaces import find_user
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import hash_token, new_token, verify_password
from omnicx.kernel.db import utcnow

SESSION_PREFIX = "oms_"
# Per address, a few accounts' worth of failures before the address itself is throttled.
_IP_FACTOR = 4


def _recent_failures(
    session: Session, *, window: timedelta, email: str | None = None, ip: str | None = None
) -> int:
    since = utcnow() - window
    stmt = select(func.count()).where(LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    if email is not None:
        last_ok = session.scalar(
            select(func.max(LoginAttempt.at)).where(
                LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
            )
        )
        stmt = stmt.where(LoginAttempt.email == email)
        if last_ok is not None and last_ok > since:
            stmt = stmt.where(LoginAttempt.at > last_ok)
    if ip is not None:
        stmt = stmt.where(LoginAttempt.ip == ip)
    return session.scalar(stmt) or 0


def _check_lockout(session: Session, *, email: str, ip: str, max_failures: int, window: timedelta) -> None:
    minutes = max(1, int(window.total_seconds() // 60))
    if _recent_failures(session, window=window, email=email) >= max_failures:
        raise AccountLocked(f"too many failed sign-ins for this account; try again in {minutes} minutes")
    if ip and _recent_failures(session, window=window, ip=ip) >= max_failures * _IP_FACTOR:
        raise AccountLocked(f"too many failed sign-ins from this address; try again in {minutes} minutes")


def _pick_membership(
    session: Session, user_id: uuid.UUID, workspace_slug: str | None
) -> tuple[Workspace, Membership]:
    stmt = (
        select(Workspace, Membership)
        .join(Membership, Membership.workspace_id == Workspace.id)
        .where(Membership.user_id == user_id)
        .order_by(Membership.created_at)
    )
    if workspace_slug:
        stmt = stmt.where(Workspace.slug == workspace_slug)
    row = session.execute(stmt).first()
    if row is None:
        raise WorkspaceNotFound("this user belongs to no workspace")
    return row[0], row[1]


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    ip: str = "",
    user_agent: str = "",
    max_failures: int = 5,
    lockout_seconds: int = 900,
    ttl_hours: int = 24 * 14,
    workspace_slug: str | None = None,
) -> SignedIn:
    email = email.strip().lower()
    window = timedelta(seconds=lockout_seconds)
    _check_lockout(session, email=email, ip=ip, max_failures=max_failures, window=window)
    user = find_user(session, email=email)
    ok = (
        verify_password(user.password_hash if user else None, password)
        and user is not None
        and user.is_active
    )
    session.add(LoginAttempt(email=email, ip=ip, succeeded=ok, at=utcnow()))
    if not ok or user is None:
        session.commit()
        raise InvalidCredentials("email or password is incorrect")
    workspace, membership = _pick_membership(session, user.id, workspace_slug)
    token = new_token(SESSION_PREFIX)
    session.add(
        BrowserSession(
            user_id=user.id,
            workspace_id=workspace.id,
            token_hash=hash_token(token),
            expires_at=utcnow() + timedelta(hours=ttl_hours),
            ip=ip,
            user_agent=user_agent[:400],
        )
    )
    record_audit(
        session,
        workspace_id=workspace.id,
        actor_label=user.email,
        action="auth.signed_in",
        ip=ip,
        target_type="user",
        target_id=str(user.id),
    )
    session.commit()
    return SignedIn(
        session_token=token,
        user=UserPublic.model_validate(user),
        workspace=WorkspacePublic.model_validate(workspace),
        role=membership.role,
    )


def authenticate_session(
    session: Session, *, token: str, ip: str = ""
) -> tuple[Principal, UserPublic] | None:
    """The principal behind a session cookie, or None if it is unknown, expired, or its membership is gone."""
    row = session.execute(
        select(BrowserSession, User, Membership)
        .join(User, User.id == BrowserSession.user_id)
        .join(
            Membership,
            (Membership.user_id == BrowserSession.user_id)
            & (Membership.workspace_id == BrowserSession.workspace_id),
        )
        .where(BrowserSession.token_hash == hash_token(token))
    ).first()
    if row is None:
        return None
    browser, user, membership = row
    if browser.expires_at <= utcnow() or not user.is_active:
        return None
    principal = Principal(
        workspace_id=browser.workspace_id, role=membership.role, user_id=user.id, label=user.email, ip=ip
    )
    return principal, UserPublic.model_validate(user)


def authenticate_token(session: Session, *, token: str, ip: str = "") -> Principal | None:
    """The principal behind an API token, or None if unknown or revoked."""
    api_token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if api_token is None or api_token.revoked_at is not None:
        return None
    now = utcnow()
    if api_token.last_used_at is None or now - api_token.last_used_at > timedelta(minutes=1):
        session.execute(update(ApiToken).where(ApiToken.id == api_token.id).values(last_used_at=now))
        session.commit()
    return Principal(
        workspace_id=api_token.workspace_id,
        role=api_token.role,
        token_id=api_token.id,
        label=f"token:{api_token.name}",
        ip=ip,
    )


def sign_out(session: Session, *, token: str) -> None:
    browser = session.scalar(select(BrowserSession).where(BrowserSession.token_hash == hash_token(token)))
    if browser is not None:
        session.delete(browser)
        session.commit()


def switch_workspace(session: Session, *, token: str, workspace_id: uuid.UUID) -> None:
    """Point a browser session at another workspace the user belongs to (else: not found)."""
    browser = session.scalar(select(BrowserSession).where(BrowserSession.token_hash == hash_token(token)))
    if browser is None:
        raise WorkspaceNotFound("no session")
    member = session.scalar(
        select(Membership.id).where(
            Membership.user_id == browser.user_id, Membership.workspace_id == workspace_id
        )
    )
    if member is None:
        raise WorkspaceNotFound(f"workspace {workspace_id} not found")
    browser.workspace_id = workspace_id
    session.commit()
