"""Signing in and recognising callers: browser sessions (cookie) and API tokens (bearer).

Failed sign-ins are recorded with the account (email) and the address they came from. Within the lock-out
window, `max_failures` failures on one account from one address lock that account from that address; past
`max_account_failures` failures from anywhere the account is locked from everywhere (guessing spread over many
addresses). Either way the password is not even checked, so guessing gains nothing. No limit is kept per
address alone: people behind one proxy or office network share an address, and one of them mistyping (or an
attacker among them) must not lock the others out. Password spraying from one address, few guesses on many
accounts, is slowed by the per-address rate limit of the sign-in form (`kernel.web.limits`).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from omnicx.auth.errors import AccountLocked, InvalidCredentials, WorkspaceNotFound
from omnicx.auth.models import ApiToken, BrowserSession, LoginAttempt, Membership, User, Workspace
from omnicx.auth.schemas import SignedIn, UserPublic, WorkspacePublic
from omnicx.auth.service.audit import record_audit
from omnicx.auth.service.workspaces import find_user
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import hash_token, new_token, verify_password
from omnicx.kernel.db import utcnow

SESSION_PREFIX = "oms_"


def _recent_failures(
    session: Session, *, since: datetime, where: list[ColumnElement[bool]]
) -> tuple[int, datetime | None]:
    """How many failed sign-ins matching `where` happened since `since`, or since the last successful one that
    matches too, whichever is later; and when the oldest of them happened."""
    last_ok = session.scalar(
        select(func.max(LoginAttempt.at)).where(*where, LoginAttempt.succeeded.is_(True))
    )
    if last_ok is not None and last_ok > since:
        since = last_ok
    count, oldest = session.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            *where, LoginAttempt.at > since, LoginAttempt.succeeded.is_(False)
        )
    ).one()
    return int(count or 0), oldest


def _check_lockout(
    session: Session, *, email: str, ip: str, max_failures: int, max_account_failures: int, window: timedelta
) -> None:
    now = utcnow()
    limits = (
        ("from this address", [LoginAttempt.email == email, LoginAttempt.ip == ip], max_failures),
        ("", [LoginAttempt.email == email], max_account_failures),
    )
    for where_from, where, limit in limits:
        count, oldest = _recent_failures(session, since=now - window, where=where)
        if count >= limit:
            # Attempts are not recorded while locked, so the lock ends when the oldest failure leaves the window.
            wait = (oldest + window - now).total_seconds() if oldest is not None else window.total_seconds()
            seconds = max(1, math.ceil(wait))
            minutes = max(1, math.ceil(seconds / 60))
            raise AccountLocked(
                f"too many failed sign-ins for this account{' ' if where_from else ''}{where_from}; "
                f"try again in {minutes} minute{'' if minutes == 1 else 's'}",
                retry_after=seconds,
            )


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
    max_account_failures: int = 50,
    lockout_seconds: int = 900,
    ttl_hours: int = 24 * 14,
    workspace_slug: str | None = None,
) -> SignedIn:
    email = email.strip().lower()
    window = timedelta(seconds=lockout_seconds)
    _check_lockout(
        session,
        email=email,
        ip=ip,
        max_failures=max_failures,
        max_account_failures=max_account_failures,
        window=window,
    )
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


def open_session(
    session: Session,
    *,
    user: User,
    workspace: Workspace,
    role: Role,
    ip: str,
    user_agent: str,
    ttl_hours: int,
) -> SignedIn:
    """Start a browser session for a person who just proved who they are (a password, an accepted
    invitation), audited, in the caller's transaction (not committed)."""
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
    return SignedIn(
        session_token=token,
        user=UserPublic.model_validate(user),
        workspace=WorkspacePublic.model_validate(workspace),
        role=role,
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
