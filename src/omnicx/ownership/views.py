"""Settings → Verified addresses: claim an address or a domain, type the code received, check the DNS record."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render
from omnicx.ownership import service
from omnicx.ownership.enums import ClaimKind

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, require(Action.OWNERSHIP_MANAGE)]
PAGE = "/settings/ownership"
SETTINGS_NAV = [NavItem("ownership", N_("Verified addresses"), PAGE, Action.OWNERSHIP_MANAGE, 59)]


def _page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {"claims": service.list_claims(session, workspace_id=principal.workspace_id), "error": error}
    return render(request, "ownership/claims.html", context, status=status)


def _after(request: Request, session: Session, principal: Principal, action: Any) -> Any:
    return redirect_or_page(
        action,
        to=PAGE,
        page=lambda message, status: _page(request, session, principal, error=message, status=status),
        session=session,
    )


@router.get(PAGE, response_class=HTMLResponse)
def claims_page(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _page(request, session, principal)


@router.post(PAGE, response_class=HTMLResponse)
def claim(
    request: Request,
    session: SessionDep,
    principal: Manager,
    value: Annotated[str, Form(max_length=320)],
    kind: Annotated[ClaimKind, Form()] = ClaimKind.EMAIL_ADDRESS,
) -> Any:
    """Claim an address (a code is mailed to it) or a whole domain (a TXT record to publish)."""
    return _after(
        request,
        session,
        principal,
        lambda: service.start_claim(session, principal=principal, kind=kind, value=value),
    )


@router.post(PAGE + "/{claim_id}/resend", response_class=HTMLResponse)
def resend(request: Request, claim_id: uuid.UUID, session: SessionDep, principal: Manager) -> Any:
    return _after(
        request,
        session,
        principal,
        lambda: service.resend_code(session, principal=principal, claim_id=claim_id),
    )


@router.post(PAGE + "/{claim_id}/confirm", response_class=HTMLResponse)
def confirm(
    request: Request,
    claim_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    runtime: RuntimeDep,
    code: Annotated[str, Form(max_length=20)],
) -> Any:
    secret = runtime.settings.resolved_secret_key
    return _after(
        request,
        session,
        principal,
        lambda: service.confirm_code(
            session, principal=principal, claim_id=claim_id, code=code, secret=secret
        ),
    )


@router.post(PAGE + "/{claim_id}/check-dns", response_class=HTMLResponse)
def check_dns(
    request: Request, claim_id: uuid.UUID, session: SessionDep, principal: Manager, runtime: RuntimeDep
) -> Any:
    return _after(
        request,
        session,
        principal,
        lambda: service.check_dns(session, principal=principal, claim_id=claim_id, resolver=runtime.resolver),
    )
