"""Passwords: a person changes their own, an operator sets one; either way the old sessions end.

A password change is what someone does when they fear their account is known to somebody else, so every other
browser session of that person ends with it: the person's current session stays (they just proved the old
password), an operator's reset keeps none.
"""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from omnicx.auth.errors import InvalidCredentials
from omnicx.auth.models import BrowserSession, User
from omnicx.auth.service.audit import record_audit
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import hash_password, hash_token, verify_password
from omnicx.kernel.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 200


def check_new_password(password: str) -> None:
    """The password policy every new password meets, whoever sets it."""
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        raise Invalid(f"a password has {MIN_LENGTH} to {MAX_LENGTH} characters")


def change_password(
    session: Session,
    *,
    principal: Principal,
    current_session_token: str | None,
    current_password: str,
    new_password: str,
) -> int:
    """Change the caller's own password; ends their other browser sessions and returns how many ended."""
    user = session.get(User, principal.user_id) if principal.user_id else None
    if user is None:
        raise Invalid("only a person signed in with a password can change it")
    if not verify_password(user.password_hash, current_password):
        raise InvalidCredentials("the current password is wrong")
    check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    keep = hash_token(current_session_token) if current_session_token else None
    ended = end_sessions(session, user.id, keep=keep)
    record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="user.password_changed",
        target_type="user",
        target_id=str(user.id),
        detail={"sessions_ended": ended},
    )
    session.commit()
    return ended


def set_user_password(session: Session, *, user_id: uuid.UUID, password: str) -> None:
    """An operator sets a person's password (`omnicx user create` on an existing account); every session ends."""
    user = session.get(User, user_id)
    if user is None:
        raise Invalid("unknown user")
    check_new_password(password)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id, keep=None)
    session.commit()


def password_matches(session: Session, *, email: str, password: str) -> bool:
    """Whether `password` signs the active person with `email` in (the demo checks the sign-ins it kept)."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    return user is not None and user.is_active and verify_password(user.password_hash, password)


def end_sessions(session: Session, user_id: uuid.UUID, *, keep: str | None) -> int:
    """Delete the person's browser sessions (all, or all but the one whose token hash is `keep`)."""
    statement = delete(BrowserSession).where(BrowserSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(BrowserSession.token_hash != keep)
    return session.execute(statement).rowcount or 0  # type: ignore[attr-defined]
