"""A workspace's VAPID key: made the first time it is needed, its subject edited, replaced (rotated)."""

from __future__ import annotations

import uuid
from email.utils import parseaddr

from py_vapid import Vapid
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.channels.models import PushSubscription, VapidKey
from omnicx.channels.webpush import endpoints, vapid
from omnicx.channels.webpush.errors import KeyUnreadable
from omnicx.channels.webpush.schemas import Subject, WebPushStatus
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import rowcount
from omnicx.kernel.settings import Settings


def default_subject(settings: Settings) -> str:
    """The subject of a new key: `OMNICX_WEBPUSH_SUBJECT`, else the address omnicx's own mail comes from."""
    if settings.webpush_subject:
        return settings.webpush_subject
    address = parseaddr(settings.smtp_system_from)[1] or "no-reply@localhost"
    return f"mailto:{address}"


def _row(session: Session, workspace_id: uuid.UUID) -> VapidKey | None:
    return session.scalar(select(VapidKey).where(VapidKey.workspace_id == workspace_id))


def ensure_key(session: Session, *, workspace_id: uuid.UUID, settings: Settings) -> VapidKey:
    """The workspace's key, made now if it has none (flushed in a savepoint: a concurrent first use wins, and
    this call then returns the key that won). Never commits."""
    found = _row(session, workspace_id)
    if found is not None:
        return found
    made = vapid.new_key(settings.resolved_secret_key)
    row = VapidKey(
        workspace_id=workspace_id,
        public_key=made.public_key,
        private_key=made.sealed_private_key,
        subject=default_subject(settings),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        winner = _row(session, workspace_id)
        assert winner is not None
        return winner
    return row


def public_key(session: Session, *, workspace_id: uuid.UUID, settings: Settings) -> str:
    """The key a site's page subscribes browsers with (made on first need); commits."""
    key = ensure_key(session, workspace_id=workspace_id, settings=settings).public_key
    session.commit()
    return key


def status(session: Session, *, workspace_id: uuid.UUID, settings: Settings) -> WebPushStatus:
    """The key (made on first need), its subject and how many browsers are subscribed; commits."""
    key = ensure_key(session, workspace_id=workspace_id, settings=settings)
    in_workspace = PushSubscription.workspace_id == workspace_id
    total = session.scalar(select(func.count()).where(in_workspace)) or 0
    linked = (
        session.scalar(select(func.count()).where(in_workspace, PushSubscription.customer_id.is_not(None)))
        or 0
    )
    result = WebPushStatus(
        public_key=key.public_key,
        subject=key.subject,
        subscriptions=total,
        linked=linked,
        push_services=list(endpoints.push_services(settings.webpush_push_services)),
    )
    session.commit()
    return result


def update_subject(
    session: Session, *, principal: Principal, data: Subject, settings: Settings
) -> WebPushStatus:
    """Say who runs the sender (push services may write there about abuse); audited, commits."""
    key = ensure_key(session, workspace_id=principal.workspace_id, settings=settings)
    key.subject = data.subject
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="webpush.subject_changed",
        target_type="vapid_key",
        target_id=str(key.id),
        detail={"subject": data.subject},
    )
    return status(session, workspace_id=principal.workspace_id, settings=settings)


def rotate_key(session: Session, *, principal: Principal, settings: Settings) -> WebPushStatus:
    """Replace the key (say, after the server's secret key changed and the old one cannot be read). Browsers
    subscribed with the old key are forgotten: push services refuse pushes it does not sign, so sites subscribe
    them again. Audited, commits."""
    workspace_id = principal.workspace_id
    old = _row(session, workspace_id)
    subject = old.subject if old is not None else default_subject(settings)
    if old is not None:
        session.delete(old)
        session.flush()
    dropped = rowcount(
        session.execute(delete(PushSubscription).where(PushSubscription.workspace_id == workspace_id))
    )
    made = vapid.new_key(settings.resolved_secret_key)
    key = VapidKey(
        workspace_id=workspace_id,
        public_key=made.public_key,
        private_key=made.sealed_private_key,
        subject=subject,
    )
    session.add(key)
    session.flush()
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        action="webpush.key_rotated",
        target_type="vapid_key",
        target_id=str(key.id),
        detail={"subscriptions_dropped": dropped},
    )
    return status(session, workspace_id=workspace_id, settings=settings)


def signer(session: Session, *, workspace_id: uuid.UUID, secret_key: str) -> tuple[Vapid, str]:
    """The workspace's signing key and subject, or KeyUnreadable (no key, or sealed under another secret)."""
    row = _row(session, workspace_id)
    key = vapid.signer(secret_key, row.private_key) if row is not None else None
    if row is None or key is None:
        raise KeyUnreadable("the workspace's VAPID key cannot be read: rotate it, then sites subscribe again")
    return key, row.subject
