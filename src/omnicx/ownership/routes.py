"""REST API of ownership under /api/v1/ownership: the workspace's claims, codes, DNS checks."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.schemas import ERROR_RESPONSES
from omnicx.ownership import service
from omnicx.ownership.schemas import ClaimCreate, ClaimPublic, CodeConfirm

router = APIRouter(prefix="/api/v1/ownership", tags=["ownership"], responses=ERROR_RESPONSES)

Manager = Annotated[Principal, require(Action.OWNERSHIP_MANAGE)]


@router.get("/claims", response_model=list[ClaimPublic])
def list_claims(session: SessionDep, principal: Manager) -> list[ClaimPublic]:
    """The addresses and domains this workspace claimed, proven or waiting for their proof."""
    return service.list_claims(session, workspace_id=principal.workspace_id)


@router.post("/claims", response_model=ClaimPublic, status_code=201)
def start_claim(data: ClaimCreate, session: SessionDep, principal: Manager) -> ClaimPublic:
    """Claim an address (a code is mailed to it) or a domain (publish the returned TXT record, then check)."""
    return service.start_claim(session, principal=principal, kind=data.kind, value=data.value)


@router.get("/claims/{claim_id}", response_model=ClaimPublic)
def get_claim(claim_id: uuid.UUID, session: SessionDep, principal: Manager) -> ClaimPublic:
    return service.get_claim(session, workspace_id=principal.workspace_id, claim_id=claim_id)


@router.post("/claims/{claim_id}/resend", response_model=ClaimPublic)
def resend_code(claim_id: uuid.UUID, session: SessionDep, principal: Manager) -> ClaimPublic:
    """Mail a new code to the address (rate-limited); the previous one stops working."""
    return service.resend_code(session, principal=principal, claim_id=claim_id)


@router.post("/claims/{claim_id}/confirm", response_model=ClaimPublic)
def confirm_code(
    claim_id: uuid.UUID, data: CodeConfirm, session: SessionDep, principal: Manager, runtime: RuntimeDep
) -> ClaimPublic:
    """Prove the address with the code it received."""
    return service.confirm_code(
        session,
        principal=principal,
        claim_id=claim_id,
        code=data.code,
        secret=runtime.settings.resolved_secret_key,
    )


@router.post("/claims/{claim_id}/check-dns", response_model=ClaimPublic)
def check_dns(
    claim_id: uuid.UUID, session: SessionDep, principal: Manager, runtime: RuntimeDep
) -> ClaimPublic:
    """Prove the domain: its TXT record `omnicx-verification=<token>` is looked up now."""
    return service.check_dns(session, principal=principal, claim_id=claim_id, resolver=runtime.resolver)
