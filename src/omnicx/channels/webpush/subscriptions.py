"""Browsers subscribed from a workspace's sites: kept (one row per endpoint, sealed), listed, removed, erased.

What the site's page says about the visitor is a claim. The subscription joins the profile of the device its
anonymous id names, and only when nobody identified holds that device (`identity.service.resolve_device`, as
the chat widget does); a user id sent along is kept as a claim and never linked, so a page cannot subscribe a
browser to someone else's notifications by naming them.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.channels.models import PushSubscription
from omnicx.channels.webpush import endpoints
from omnicx.channels.webpush.errors import EndpointRefused, SubscriptionNotFound
from omnicx.channels.webpush.schemas import SubscribeRequest, SubscriptionPublic
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import DataSubject, Identifier, IdentifierKind
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.sealing import seal, unseal
from omnicx.kernel.db import rowcount, utcnow
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.schemas import Page
from omnicx.tracking.schemas import AuthenticatedSource

SEALING_PURPOSE = "webpush subscription"


def subscribe(
    session: Session, *, source: AuthenticatedSource, data: SubscribeRequest, settings: Settings
) -> None:
    """Keep the browser's subscription for the source's workspace (the same endpoint again updates it); commits.

    A visitor whose anonymous id or claimed user id is suppressed is answered the same and nothing is kept."""
    endpoint = data.subscription.endpoint
    reason = endpoints.refusal(endpoint, endpoints.push_services(settings.webpush_push_services))
    if reason is not None:
        raise EndpointRefused(reason)
    workspace_id = source.workspace_id
    claimed = [Identifier(kind=IdentifierKind.ANONYMOUS_ID, value=data.anonymous_id)]
    if data.user_id:
        claimed.append(Identifier(kind=IdentifierKind.USER_ID, value=data.user_id))
    if identity_service.is_suppressed(session, workspace_id=workspace_id, identifiers=claimed):
        session.rollback()
        return
    customer_id = identity_service.resolve_device(
        session, workspace_id=workspace_id, anonymous_id=data.anonymous_id, reason="webpush"
    )
    keys = data.subscription.keys
    secret = {"endpoint": endpoint, "keys": {"p256dh": keys.p256dh, "auth": keys.auth}}
    values: dict[str, Any] = {
        "source_id": source.id,
        "customer_id": customer_id,
        "anonymous_id": data.anonymous_id,
        "claimed_user_id": data.user_id or None,
        "endpoint_host": endpoints.host_of(endpoint),
        "sealed": seal(settings.resolved_secret_key, json.dumps(secret), purpose=SEALING_PURPOSE),
        "open_url": data.url or "/",
        "updated_at": utcnow(),
        "failed_at": None,
        "last_error": None,
    }
    _upsert(session, workspace_id, endpoints.endpoint_hash(endpoint), values)
    session.commit()


def _upsert(session: Session, workspace_id: uuid.UUID, endpoint_hash: str, values: dict[str, Any]) -> None:
    """Update the row of this endpoint, or insert it (in a savepoint: a concurrent insert of the same endpoint
    wins, and this one then updates it)."""
    for _ in range(2):
        row = session.scalar(
            select(PushSubscription).where(
                PushSubscription.workspace_id == workspace_id, PushSubscription.endpoint_hash == endpoint_hash
            )
        )
        if row is not None:
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return
        try:
            with session.begin_nested():
                session.add(
                    PushSubscription(workspace_id=workspace_id, endpoint_hash=endpoint_hash, **values)
                )
            return
        except IntegrityError:
            continue
    raise RuntimeError("the subscription could neither be inserted nor found")


def unsubscribe(session: Session, *, workspace_id: uuid.UUID, endpoint: str) -> None:
    """Forget the browser of `endpoint` (the browser unsubscribed); nothing to forget is no error. Commits."""
    session.execute(
        delete(PushSubscription).where(
            PushSubscription.workspace_id == workspace_id,
            PushSubscription.endpoint_hash == endpoints.endpoint_hash(endpoint),
        )
    )
    session.commit()


def load(session: Session, *, workspace_id: uuid.UUID, subscription_id: uuid.UUID) -> PushSubscription:
    row = session.scalar(
        select(PushSubscription).where(
            PushSubscription.workspace_id == workspace_id, PushSubscription.id == subscription_id
        )
    )
    if row is None:
        raise SubscriptionNotFound(f"subscription {subscription_id} not found")
    return row


def of_customer(
    session: Session, *, workspace_id: uuid.UUID, customer_id: uuid.UUID
) -> list[PushSubscription]:
    """The browsers of a customer and of every customer merged into them (raises CustomerNotFound)."""
    lineage = identity_service.customer_lineage(session, workspace_id=workspace_id, customer_id=customer_id)
    return list(
        session.scalars(
            select(PushSubscription)
            .where(PushSubscription.workspace_id == workspace_id, PushSubscription.customer_id.in_(lineage))
            .order_by(PushSubscription.created_at, PushSubscription.id)
        )
    )


def list_subscriptions(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    customer_id: uuid.UUID | None = None,
    offset: int = 0,
    limit: int = 50,
) -> Page[SubscriptionPublic]:
    """The workspace's subscribed browsers, newest first (a customer's only, with `customer_id`)."""
    stmt = select(PushSubscription).where(PushSubscription.workspace_id == workspace_id)
    if customer_id is not None:
        lineage = identity_service.customer_lineage(
            session, workspace_id=workspace_id, customer_id=customer_id
        )
        stmt = stmt.where(PushSubscription.customer_id.in_(lineage))
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(
        stmt.order_by(PushSubscription.created_at.desc(), PushSubscription.id.desc())
        .offset(offset)
        .limit(limit)
    )
    items = [SubscriptionPublic.model_validate(row) for row in rows]
    return Page[SubscriptionPublic](items=items, total=total, offset=offset, limit=limit)


def delete_subscription(session: Session, *, principal: Principal, subscription_id: uuid.UUID) -> None:
    """Stop sending to a browser (it may subscribe again from the site); audited, commits."""
    row = load(session, workspace_id=principal.workspace_id, subscription_id=subscription_id)
    session.delete(row)
    auth_service.record_audit(
        session,
        workspace_id=principal.workspace_id,
        principal=principal,
        action="webpush.subscription_deleted",
        target_type="push_subscription",
        target_id=str(subscription_id),
        detail={"push_service": row.endpoint_host},
    )
    session.commit()


def browser(row: PushSubscription, *, secret_key: str) -> dict[str, Any] | None:
    """The subscription as pywebpush takes it (`endpoint`, `keys`), or None when it cannot be unsealed."""
    opened = unseal(secret_key, row.sealed, purpose=SEALING_PURPOSE)
    return None if opened is None else dict(json.loads(opened))


def _of_subject(subject: DataSubject) -> Any:
    """The rows about a person: linked to one of their customer ids, or naming one of their identifiers."""
    return PushSubscription.workspace_id == subject.workspace_id, or_(
        PushSubscription.customer_id.in_(subject.customer_ids),
        PushSubscription.anonymous_id.in_(subject.values(IdentifierKind.ANONYMOUS_ID)),
        PushSubscription.claimed_user_id.in_(subject.values(IdentifierKind.USER_ID)),
    )


def erase_customer_data(session: Session, subject: DataSubject) -> int:
    """Forget the person's browsers (an erasure); in the caller's transaction. Returns the rows deleted."""
    return rowcount(session.execute(delete(PushSubscription).where(*_of_subject(subject))))


def export_customer_data(session: Session, subject: DataSubject) -> list[dict[str, Any]]:
    """The person's subscribed browsers (push service, dates, claims), never their keys or endpoints."""
    rows = session.scalars(
        select(PushSubscription).where(*_of_subject(subject)).order_by(PushSubscription.created_at)
    )
    return [SubscriptionPublic.model_validate(row).model_dump(mode="json") for row in rows]
