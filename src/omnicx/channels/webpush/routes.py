"""REST API of web push under /api/v1/webpush: the workspace's VAPID key and subject, its subscribed browsers,
a test notification. Managed with the inboxes (`inbox.manage`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from omnicx.channels.webpush import service
from omnicx.channels.webpush.schemas import (
    SendTestPush,
    SendTestResult,
    Subject,
    SubscriptionPublic,
    WebPushStatus,
)
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.schemas import ERROR_RESPONSES, Page

router = APIRouter(prefix="/api/v1/webpush", tags=["web push"], responses=ERROR_RESPONSES)

Manager = Annotated[Principal, require(Action.INBOX_MANAGE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("", response_model=WebPushStatus)
def get_status(session: SessionDep, principal: Manager, runtime: RuntimeDep) -> WebPushStatus:
    """The VAPID public key sites subscribe with (made on first need), its subject, the subscription counts."""
    return service.status(session, workspace_id=principal.workspace_id, settings=runtime.settings)


@router.patch("", response_model=WebPushStatus)
def update_subject(
    data: Subject, session: SessionDep, principal: Manager, runtime: RuntimeDep
) -> WebPushStatus:
    """Say who runs the sender (`mailto:` or https URL), as push services ask."""
    return service.update_subject(session, principal=principal, data=data, settings=runtime.settings)


@router.post("/rotate", response_model=WebPushStatus)
def rotate_key(session: SessionDep, principal: Manager, runtime: RuntimeDep) -> WebPushStatus:
    """Replace the VAPID key; the browsers subscribed with the old one are forgotten (sites subscribe them
    again)."""
    return service.rotate_key(session, principal=principal, settings=runtime.settings)


@router.get("/subscriptions", response_model=Page[SubscriptionPublic])
def list_subscriptions(
    session: SessionDep,
    principal: Manager,
    customer_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[SubscriptionPublic]:
    """Subscribed browsers, newest first; a customer's (and those merged into them) with `customer_id`."""
    return service.list_subscriptions(
        session, workspace_id=principal.workspace_id, customer_id=customer_id, offset=offset, limit=limit
    )


@router.delete("/subscriptions/{subscription_id}", status_code=204)
def delete_subscription(subscription_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    """Stop sending to a browser."""
    service.delete_subscription(session, principal=principal, subscription_id=subscription_id)
    return Response(status_code=204)


@router.post("/test", response_model=SendTestResult, status_code=202)
def send_test(data: SendTestPush, session: SessionDep, principal: Manager) -> SendTestResult:
    """Queue a test notification to every browser of `customer_id`, or to `subscription_id`."""
    return service.send_test(session, principal=principal, data=data)
