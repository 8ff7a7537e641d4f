"""Password reset by email: a person who forgot their password sets a new one through a link mailed to them.

Asking gives one answer whatever the address (an account or not, active or not, too many links already sent):
the form is public, so any difference would tell a stranger who has an account. A link works once, for an hour;
using one voids the person's other links and ends every browser session they have (someone who lost control of
their password may be signed in elsewhere). At most 3 links are mailed per account per hour, so the form cannot
be used to flood a person's mailbox; the form itself is rate limited per address like sign-in.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from omnicx.auth.errors import ResetLinkInvalid
from omnicx.auth.models import Membership, PasswordReset, User
from omnicx.auth.schemas import PasswordResetDelivery
from omnicx.auth.service.audit import record_audit
from omnicx.auth.service.links import link_to, new_link_token, seal_for_mail, unseal_current
from omnicx.auth.service.passwords import check_new_password, end_sessions
from omnicx.auth.service.workspaces import find_user
from omnicx.kernel.access.security import hash_password, hash_token
from omnicx.kernel.db import utcnow
from omnicx.kernel.jobs import service as jobs

SEND_PASSWORD_RESET_JOB = "auth.send_password_reset"  # noqa: S105 - a job kind, not a secret
RESET_TTL = timedelta(hours=1)
RESETS_PER_HOUR = 3
RESET_PATH = "/password-reset"
RESET_REQUESTED = "If an account exists for this address, we sent it a link to set a new password."
_PURPOSE = "auth.password_reset"
_PREFIX = "omr_"


def request_password_reset(
    session: Session, *, email: str, secret: str, ip: str = "", now: datetime | None = None
) -> None:
    """Mail a reset link to the account of `email`, if there is one (active, under its hourly number of links);
    otherwise do nothing. Returns nothing either way: the caller answers `RESET_REQUESTED`. Committed."""
    now = now or utcnow()
    user = find_user(session, email=email)
    if user is None or not user.is_active:
        return
    recent = session.scalar(
        select(func.count(PasswordReset.id)).where(
            PasswordReset.user_id == user.id, PasswordReset.created_at >= now - timedelta(hours=1)
        )
    )
    if (recent or 0) >= RESETS_PER_HOUR:
        return
    token, token_hash = new_link_token(_PREFIX)
    reset = PasswordReset(user_id=user.id, token_hash=token_hash, expires_at=now + RESET_TTL, created_at=now)
    session.add(reset)
    session.flush()
    jobs.enqueue(
        session,
        kind=SEND_PASSWORD_RESET_JOB,
        payload={"reset_id": str(reset.id), "sealed": seal_for_mail(secret, token, purpose=_PURPOSE)},
        idempotency_key=str(reset.id),
        max_attempts=5,
    )
    _audit(session, user, "user.password_reset_requested", ip=ip)
    session.commit()


def password_reset_delivery(
    session: Session,
    *,
    reset_id: uuid.UUID,
    sealed: str,
    secret: str,
    base_url: str,
    now: datetime | None = None,
) -> PasswordResetDelivery | None:
    """What to mail for the reset link sealed in `sealed`; None when it no longer works (used, superseded,
    expired, its account gone or disabled): nothing to send then."""
    row = session.execute(
        select(PasswordReset, User)
        .join(User, User.id == PasswordReset.user_id)
        .where(PasswordReset.id == reset_id)
    ).first()
    if row is None or not _usable(row[0], row[1], now or utcnow()):
        return None
    reset, user = row
    token = unseal_current(secret, sealed, purpose=_PURPOSE, token_hash=reset.token_hash)
    if token is None:
        return None
    return PasswordResetDelivery(
        to=user.email, name=user.name, link=link_to(base_url, RESET_PATH, token), expires_at=reset.expires_at
    )


def _usable(reset: PasswordReset, user: User, now: datetime) -> bool:
    return reset.used_at is None and now < reset.expires_at and user.is_active


def check_reset_link(session: Session, *, token: str, now: datetime | None = None) -> None:
    """Raise `ResetLinkInvalid` unless `token` is a working reset link (the page checks before asking for a
    password, so nobody types one for nothing)."""
    _by_token(session, token, now or utcnow())


def _by_token(session: Session, token: str, now: datetime) -> tuple[PasswordReset, User]:
    row = session.execute(
        select(PasswordReset, User)
        .join(User, User.id == PasswordReset.user_id)
        .where(PasswordReset.token_hash == hash_token(token))
    ).first()
    if row is None or not _usable(row[0], row[1], now):
        raise ResetLinkInvalid(
            "this link no longer works: it was used, a newer one was sent, or it expired; ask for a new one"
        )
    return row[0], row[1]


def reset_password(
    session: Session, *, token: str, new_password: str, ip: str = "", now: datetime | None = None
) -> int:
    """Set a new password with a reset link: the link and the person's other links stop working, every
    browser session of theirs ends (returns how many). Committed."""
    now = now or utcnow()
    reset, user = _by_token(session, token, now)
    check_new_password(new_password)
    used = session.execute(
        update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]  # used by a concurrent request a moment ago
        session.rollback()
        raise ResetLinkInvalid("this link was just used; ask for a new one")
    session.execute(
        update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    user.password_hash = hash_password(new_password)
    ended = end_sessions(session, user.id, keep=None)
    _audit(session, user, "user.password_reset", ip=ip, sessions_ended=ended)
    session.commit()
    return ended


def _audit(session: Session, user: User, action: str, *, ip: str, **detail: int) -> None:
    """Recorded in every workspace the person belongs to: each one's admins see their member's account change."""
    workspaces = session.scalars(select(Membership.workspace_id).where(Membership.user_id == user.id))
    for workspace_id in workspaces.all():
        record_audit(
            session,
            workspace_id=workspace_id,
            actor_label=user.email,
            action=action,
            target_type="user",
            target_id=str(user.id),
            detail=dict(detail),
            ip=ip,
        )
