"""REST API of the customers domain under /api/v1/customers: list, 360, timeline, identifiers, merge."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from omnicx.customers import service
from omnicx.customers.schemas import Customer360, CustomerMerge, CustomerSummary, IdentifierView, TimelineItem
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.schemas import ERROR_RESPONSES, Page

router = APIRouter(prefix="/api/v1/customers", tags=["customers"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.CUSTOMERS_READ)]
Manager = Annotated[Principal, require(Action.CUSTOMERS_MANAGE)]


@router.get("", response_model=Page[CustomerSummary])
def list_customers(
    session: SessionDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=320, description="Name, email, phone or identifier.")] = None,
    seen_since: datetime | None = None,
    seen_until: datetime | None = None,
    has_email: bool | None = None,
    channel: Annotated[str | None, Query(max_length=64, description="First-touch channel.")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[CustomerSummary]:
    """Customers most recently seen first."""
    return service.list_customers(
        session,
        workspace_id=principal.workspace_id,
        q=q,
        seen_since=seen_since,
        seen_until=seen_until,
        has_email=has_email,
        channel=channel,
        offset=offset,
        limit=limit,
    )


@router.get("/{customer_id}", response_model=Customer360)
def get_customer(customer_id: uuid.UUID, session: SessionDep, principal: Reader) -> Customer360:
    """The 360 view; a merged id answers with its survivor."""
    return service.get_customer_360(session, workspace_id=principal.workspace_id, customer_id=customer_id)


@router.get("/{customer_id}/timeline", response_model=list[TimelineItem])
def get_timeline(
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[TimelineItem]:
    """Everything that happened with the customer on every channel, newest first."""
    return service.timeline(
        session, workspace_id=principal.workspace_id, customer_id=customer_id, limit=limit
    )


@router.get("/{customer_id}/identifiers", response_model=list[IdentifierView])
def get_identifiers(customer_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[IdentifierView]:
    return service.identifiers(session, workspace_id=principal.workspace_id, customer_id=customer_id)


@router.post("/{customer_id}/merge", response_model=CustomerSummary)
def merge(
    customer_id: uuid.UUID, data: CustomerMerge, session: SessionDep, principal: Manager
) -> CustomerSummary:
    """Merge a duplicate (`source_id`) into this customer; 409 `merge_refused` when both have a user id."""
    return service.merge(
        session, principal=principal, target_id=customer_id, source_id=data.source_id, reason=data.reason
    )
