"""REST API of the tracking domain under /api/v1/tracking: sources, events, rejections, sessions, touchpoints,
channel rules. (The collection endpoints themselves are the Segment-compatible `/v1/*`, in `collect.py`.)"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.schemas import ERROR_RESPONSES, Page
from omnicx.tracking import service
from omnicx.tracking.schemas import (
    NO_NUL,
    ChannelRuleCreate,
    ChannelRuleMove,
    ChannelRulePublic,
    ClassifyRequest,
    ClassifyResult,
    ContactLog,
    EventCount,
    EventFilter,
    EventPublic,
    ProcessingBacklog,
    RejectedEventPublic,
    SessionPublic,
    SourceCreate,
    SourcePublic,
    SourceWithKey,
    TouchpointCreate,
    TouchpointPublic,
)

router = APIRouter(prefix="/api/v1/tracking", tags=["tracking"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.TRACKING_READ)]
Manager = Annotated[Principal, require(Action.TRACKING_MANAGE)]
ContactLogger = Annotated[Principal, require(Action.CUSTOMERS_MANAGE)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]
Limit = Annotated[int, Query(ge=1, le=500)]
Text = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]


@router.get("/sources", response_model=list[SourcePublic])
def list_sources(session: SessionDep, principal: Reader) -> list[SourcePublic]:
    return service.list_sources(session, workspace_id=principal.workspace_id)


@router.post("/sources", response_model=SourceWithKey, status_code=201)
def create_source(data: SourceCreate, session: SessionDep, principal: Manager) -> SourceWithKey:
    """Create a source; `write_key` in the answer is shown this once and cannot be read again."""
    return service.create_source(session, workspace_id=principal.workspace_id, data=data, principal=principal)


@router.post("/sources/{source_id}/rotate", response_model=SourceWithKey)
def rotate_source(source_id: uuid.UUID, session: SessionDep, principal: Manager) -> SourceWithKey:
    """Replace the write key (the old one stops working now); the new key is shown once."""
    return service.rotate_source(
        session, workspace_id=principal.workspace_id, source_id=source_id, principal=principal
    )


@router.delete("/sources/{source_id}", response_model=SourcePublic)
def revoke_source(source_id: uuid.UUID, session: SessionDep, principal: Manager) -> SourcePublic:
    """Revoke the source's write key; its events stay."""
    return service.revoke_source(
        session, workspace_id=principal.workspace_id, source_id=source_id, principal=principal
    )


@router.get("/events", response_model=Page[EventPublic])
def list_events(
    session: SessionDep,
    principal: Reader,
    type: Annotated[str | None, Query(max_length=16, pattern=NO_NUL)] = None,
    event: Text = None,
    user_id: Annotated[str | None, Query(alias="userId", max_length=200, pattern=NO_NUL)] = None,
    anonymous_id: Annotated[str | None, Query(alias="anonymousId", max_length=200, pattern=NO_NUL)] = None,
    message_id: Annotated[str | None, Query(alias="messageId", max_length=200, pattern=NO_NUL)] = None,
    source_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[EventPublic]:
    """Stored events, newest first; every filter optional (`since`/`until` bound the event time)."""
    filters = EventFilter(
        type=type,
        event=event,
        user_id=user_id,
        anonymous_id=anonymous_id,
        message_id=message_id,
        source_id=source_id,
        customer_id=customer_id,
        since=since,
        until=until,
    )
    return service.list_events(
        session, workspace_id=principal.workspace_id, filters=filters, offset=offset, limit=limit
    )


@router.get("/events/count", response_model=EventCount)
def count_events(session: SessionDep, principal: Reader, source_id: uuid.UUID | None = None) -> EventCount:
    return EventCount(
        count=service.count_events(session, workspace_id=principal.workspace_id, source_id=source_id)
    )


@router.get("/events/{event_id}", response_model=EventPublic)
def get_event(event_id: uuid.UUID, session: SessionDep, principal: Reader) -> EventPublic:
    return service.get_event(session, workspace_id=principal.workspace_id, event_id=event_id)


@router.get("/backlog", response_model=ProcessingBacklog)
def processing_backlog(session: SessionDep, principal: Reader) -> ProcessingBacklog:
    """Events stored but not processed yet (no identity resolved, no session built) and the oldest one's wait;
    `behind` is true past `threshold_seconds`. Grows when events arrive faster than job workers process them."""
    return service.processing_backlog(session, workspace_id=principal.workspace_id)


@router.get("/rejected", response_model=Page[RejectedEventPublic])
def list_rejected(
    session: SessionDep,
    principal: Reader,
    source_id: uuid.UUID | None = None,
    code: Annotated[str | None, Query(max_length=64, pattern=NO_NUL)] = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> Page[RejectedEventPublic]:
    """Events refused from accepted batches, with the reason each was refused."""
    return service.list_rejected(
        session,
        workspace_id=principal.workspace_id,
        source_id=source_id,
        code=code,
        offset=offset,
        limit=limit,
    )


@router.get("/sessions", response_model=list[SessionPublic])
def list_sessions(
    session: SessionDep,
    principal: Reader,
    customer_id: uuid.UUID | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> list[SessionPublic]:
    customers = [customer_id] if customer_id is not None else None
    return service.list_sessions(
        session, workspace_id=principal.workspace_id, customer_ids=customers, offset=offset, limit=limit
    )


@router.get("/touchpoints", response_model=list[TouchpointPublic])
def list_touchpoints(
    session: SessionDep,
    principal: Reader,
    customer_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Limit = 200,
) -> list[TouchpointPublic]:
    customers = [customer_id] if customer_id is not None else None
    return service.list_touchpoints(
        session,
        workspace_id=principal.workspace_id,
        customer_ids=customers,
        since=since,
        until=until,
        limit=limit,
    )


@router.post("/touchpoints", response_model=TouchpointPublic, status_code=201)
def record_touchpoint(data: TouchpointCreate, session: SessionDep, principal: Manager) -> TouchpointPublic:
    """Record an offline contact (store visit, phone call...); a repeated `dedup_key` records nothing new."""
    touchpoint = service.record_touchpoint(
        session,
        workspace_id=principal.workspace_id,
        customer_id=data.customer_id,
        channel=data.channel,
        kind=data.kind,
        at=data.at,
        detail=data.detail,
        source="api",
        dedup_key=data.dedup_key,
    )
    session.commit()
    return touchpoint


@router.post("/customers/{customer_id}/contacts", response_model=TouchpointPublic, status_code=201)
def log_contact(
    customer_id: uuid.UUID, data: ContactLog, session: SessionDep, principal: ContactLogger
) -> TouchpointPublic:
    """Log a phone call, a store visit or a store note with the customer: it joins their history, their last
    contact (inbound) or last communication (outbound), and their touchpoints (channel Phone or Store)."""
    return service.log_contact(session, principal=principal, customer_id=customer_id, data=data)


@router.get("/channel-rules", response_model=list[ChannelRulePublic])
def list_channel_rules(session: SessionDep, principal: Reader) -> list[ChannelRulePublic]:
    return service.list_rules(session, workspace_id=principal.workspace_id)


@router.post("/channel-rules", response_model=ChannelRulePublic, status_code=201)
def create_channel_rule(
    data: ChannelRuleCreate, session: SessionDep, principal: Manager
) -> ChannelRulePublic:
    """Add a custom rule; custom rules are tried in order before GA4's default channel group."""
    return service.create_rule(session, workspace_id=principal.workspace_id, data=data, principal=principal)


@router.post("/channel-rules/{rule_id}/move", response_model=list[ChannelRulePublic])
def move_channel_rule(
    rule_id: uuid.UUID, data: ChannelRuleMove, session: SessionDep, principal: Manager
) -> list[ChannelRulePublic]:
    return service.move_rule(
        session, workspace_id=principal.workspace_id, rule_id=rule_id, position=data.position
    )


@router.delete("/channel-rules/{rule_id}", status_code=204)
def delete_channel_rule(rule_id: uuid.UUID, session: SessionDep, principal: Manager) -> Response:
    service.delete_rule(session, workspace_id=principal.workspace_id, rule_id=rule_id, principal=principal)
    return Response(status_code=204)


@router.post("/channel-rules/classify", response_model=ClassifyResult)
def classify(data: ClassifyRequest, session: SessionDep, principal: Reader) -> ClassifyResult:
    """Which channel a source / medium / campaign gets in this workspace (custom rules, then GA4's)."""
    return service.classify_traffic(
        session,
        workspace_id=principal.workspace_id,
        source=data.source,
        medium=data.medium,
        campaign=data.campaign,
    )
