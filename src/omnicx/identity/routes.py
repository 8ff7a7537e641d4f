"""REST API of the identity domain under /api/v1/identity: lookups, conflicts, and privacy (owners and admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from omnicx.identity import service
from omnicx.identity.schemas import (
    ConsentChange,
    ConsentPublic,
    CustomerExport,
    ErasureRequest,
    ErasureStatus,
    Identifier,
    IdentifierKind,
    MergePublic,
    SuppressionCreate,
    SuppressionPublic,
)
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.schemas import ERROR_RESPONSES, Page

router = APIRouter(prefix="/api/v1/identity", tags=["identity"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.CUSTOMERS_READ)]
Manager = Annotated[Principal, require(Action.CUSTOMERS_MANAGE)]
Privacy = Annotated[Principal, require(Action.PRIVACY_MANAGE)]


@router.get("/lookup", response_model=uuid.UUID | None)
def lookup(
    session: SessionDep,
    principal: Reader,
    kind: IdentifierKind,
    value: Annotated[str, Query(min_length=1, max_length=320)],
) -> uuid.UUID | None:
    """The customer currently holding an identifier (normalised first), or null."""
    return service.customer_for(
        session, workspace_id=principal.workspace_id, identifier=Identifier(kind=kind, value=value)
    )


@router.get("/conflicts", response_model=list[MergePublic])
def conflicts(session: SessionDep, principal: Reader) -> list[MergePublic]:
    """Merges a per-type limit refused (two user ids), newest first."""
    return service.refused_merges(session, workspace_id=principal.workspace_id)


@router.post("/customers/{customer_id}/export", response_model=CustomerExport)
def export_customer(customer_id: uuid.UUID, session: SessionDep, principal: Privacy) -> CustomerExport:
    """Everything held about a customer, as JSON (audited)."""
    return service.export_customer(session, principal=principal, customer_id=customer_id)


@router.post("/customers/{customer_id}/erase", response_model=ErasureStatus, status_code=202)
def erase_customer(
    customer_id: uuid.UUID, session: SessionDep, principal: Privacy, data: ErasureRequest | None = None
) -> ErasureStatus:
    """Erase a customer, their identifiers and what other domains hold about them, as a job (audited)."""
    return service.request_erasure(
        session,
        principal=principal,
        customer_id=customer_id,
        suppress_identifiers=bool(data and data.suppress),
    )


@router.get("/erasures/{job_id}", response_model=ErasureStatus)
def erasure_status(job_id: uuid.UUID, session: SessionDep, principal: Privacy) -> ErasureStatus:
    return service.erasure_status(session, workspace_id=principal.workspace_id, job_id=job_id)


@router.post("/customers/{customer_id}/suppress", response_model=list[SuppressionPublic])
def suppress_customer(
    customer_id: uuid.UUID, session: SessionDep, principal: Privacy
) -> list[SuppressionPublic]:
    """Stop collecting for every identifier of a customer."""
    return service.suppress_customer(session, principal=principal, customer_id=customer_id)


@router.get("/suppressions", response_model=Page[SuppressionPublic])
def list_suppressions(
    session: SessionDep,
    principal: Privacy,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[SuppressionPublic]:
    return service.list_suppressions(session, workspace_id=principal.workspace_id, offset=offset, limit=limit)


@router.post("/suppressions", response_model=SuppressionPublic, status_code=201)
def suppress(data: SuppressionCreate, session: SessionDep, principal: Privacy) -> SuppressionPublic:
    """Stop collecting for one identifier (idempotent)."""
    return service.suppress(
        session, principal=principal, identifier=Identifier(kind=data.kind, value=data.value)
    )


@router.delete("/suppressions/{suppression_id}", status_code=204)
def unsuppress(suppression_id: uuid.UUID, session: SessionDep, principal: Privacy) -> Response:
    service.unsuppress(session, principal=principal, suppression_id=suppression_id)
    return Response(status_code=204)


@router.get("/customers/{customer_id}/consents", response_model=list[ConsentPublic])
def customer_consents(customer_id: uuid.UUID, session: SessionDep, principal: Reader) -> list[ConsentPublic]:
    """What the customer's identifiers said about being messaged per channel (an SMS STOP), newest first."""
    return service.customer_consents(session, workspace_id=principal.workspace_id, customer_id=customer_id)


@router.put("/consents", response_model=ConsentPublic)
def record_consent(data: ConsentChange, session: SessionDep, principal: Manager) -> ConsentPublic:
    """Record that an identifier's holder opted out of a channel, or back in (say, asked on the phone). Every
    sender honours it: a reply by SMS to a number that opted out is not sent."""
    return service.record_consent(
        session, workspace_id=principal.workspace_id, change=data, source="api", changed_by=principal.label
    )
