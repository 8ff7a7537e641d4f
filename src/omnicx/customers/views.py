"""Pages of the customers domain: the customer list and the customer 360 page with its privacy actions."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicx.customers import service
from omnicx.customers.labels import DEVICE_KINDS, TRAIT_NAMES
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import ConsentChange, ErasureStatus, IdentifierKind
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError, Invalid
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import see_other
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [NavItem("customers", N_("Customers"), "/customers", Action.CUSTOMERS_READ, 10)]
# The channels whose recipients opt out by keyword (STOP), per phone number: what the page records for them.
CONSENT_CHANNELS = {"sms": N_("SMS"), "whatsapp": N_("WhatsApp")}
Reader = Annotated[Principal, require(Action.CUSTOMERS_READ)]
Manager = Annotated[Principal, require(Action.CUSTOMERS_MANAGE)]
Privacy = Annotated[Principal, require(Action.PRIVACY_MANAGE)]
PAGE_SIZE = 50
SAFE_LINK_PREFIXES = ("/", "https://", "http://")


def _day(value: str | None, tz: str, *, end: bool) -> datetime | None:
    """A date typed in a filter, as the start (or end) of that day in the workspace's time zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.combine(day, time.max if end else time.min, tzinfo=ZoneInfo(tz))


def _yes_no(value: str | None) -> bool | None:
    return {"yes": True, "no": False}.get(value or "")


@router.get("/customers", response_class=HTMLResponse)
def customers_list(
    request: Request,
    session: SessionDep,
    principal: Reader,
    q: Annotated[str | None, Query(max_length=320)] = None,
    since: Annotated[str | None, Query(max_length=10)] = None,
    until: Annotated[str | None, Query(max_length=10)] = None,
    email: Annotated[str | None, Query(max_length=3)] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    erasure: uuid.UUID | None = None,
) -> HTMLResponse:
    tz = getattr(request.state, "timezone", "UTC")
    page = service.list_customers(
        session,
        workspace_id=principal.workspace_id,
        q=q or None,
        seen_since=_day(since, tz, end=False),
        seen_until=_day(until, tz, end=True),
        has_email=_yes_no(email),
        channel=channel or None,
        offset=offset,
        limit=PAGE_SIZE,
    )
    filters = {
        "q": q or "",
        "since": since or "",
        "until": until or "",
        "email": email or "",
        "channel": channel or "",
    }
    context: dict[str, Any] = {
        "page": page,
        "filters": filters,
        "query": urlencode({k: v for k, v in filters.items() if v}),
        "has_channel_filter": "channel" in service.available_filters(),
        "erasure": _erasure(session, principal, erasure),
    }
    return render(request, "customers/list.html", context)


def _erasure(session: Session, principal: Principal, job_id: uuid.UUID | None) -> ErasureStatus | None:
    if job_id is None or not allows(principal.role, Action.PRIVACY_MANAGE):
        return None
    try:
        return identity_service.erasure_status(session, workspace_id=principal.workspace_id, job_id=job_id)
    except DomainError:
        return None


def _detail_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    customer_id: uuid.UUID,
    *,
    error: str | None = None,
    suppressed: bool = False,
    status: int = 200,
) -> Response:
    view = service.get_customer_360(session, workspace_id=principal.workspace_id, customer_id=customer_id)
    if view.customer.id != customer_id and error is None:
        return see_other(f"/customers/{view.customer.id}")  # a merged id: show the survivor's page
    context = {
        "view": view,
        "traits_json": {
            k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in view.traits.items()
        },
        "can_manage": allows(principal.role, Action.CUSTOMERS_MANAGE),
        "can_privacy": allows(principal.role, Action.PRIVACY_MANAGE),
        "safe_link_prefixes": SAFE_LINK_PREFIXES,
        "consents": identity_service.customer_consents(
            session, workspace_id=principal.workspace_id, customer_id=view.customer.id
        ),
        "consent_channels": list(CONSENT_CHANNELS.items()),
        "consent_names": CONSENT_CHANNELS,
        "device_kinds": DEVICE_KINDS,
        "trait_names": TRAIT_NAMES,
        "error": error,
        "suppressed": suppressed,
    }
    return render(request, "customers/detail.html", context, status=status)


@router.get("/customers/{customer_id}", response_class=HTMLResponse)
def customer_detail(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: Reader,
    suppressed: int | None = None,
) -> Response:
    return _detail_page(request, session, principal, customer_id, suppressed=bool(suppressed))


@router.post("/customers/{customer_id}/merge", response_class=HTMLResponse)
def customer_merge(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    source_id: Annotated[uuid.UUID, Form()],
) -> Response:
    try:
        service.merge(session, principal=principal, target_id=customer_id, source_id=source_id)
    except DomainError as error:
        session.rollback()
        return _detail_page(
            request, session, principal, customer_id, error=error.message, status=error.status
        )
    return see_other(f"/customers/{customer_id}")


@router.post("/customers/{customer_id}/consent", response_class=HTMLResponse)
def customer_consent(
    request: Request,
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    value: Annotated[str, Form(max_length=320)],
    opted_out: Annotated[bool, Form()],
    channel: Annotated[str, Form(max_length=32)] = "sms",
) -> Response:
    """Record that the customer's phone number opted out of a channel (SMS or WhatsApp), or back in (said on a
    call, in store)."""
    try:
        if channel not in CONSENT_CHANNELS:
            raise Invalid(f"consent is recorded for SMS or WhatsApp, not {channel!r}")
        change = ConsentChange(kind=IdentifierKind.PHONE, value=value, channel=channel, opted_out=opted_out)
        identity_service.record_consent(
            session,
            workspace_id=principal.workspace_id,
            change=change,
            source="customer page",
            changed_by=principal.label,
        )
    except (DomainError, ValidationError) as error:
        session.rollback()
        message = error.message if isinstance(error, DomainError) else str(error.errors()[0]["msg"])
        return _detail_page(request, session, principal, customer_id, error=message, status=422)
    return see_other(f"/customers/{customer_id}#consents")


@router.post("/customers/{customer_id}/export")
def customer_export(customer_id: uuid.UUID, session: SessionDep, principal: Privacy) -> Response:
    """Download everything about the customer as a JSON file."""
    export = identity_service.export_customer(session, principal=principal, customer_id=customer_id)
    return Response(
        export.model_dump_json(indent=2),
        media_type="application/json",
        headers={"content-disposition": f'attachment; filename="customer-{export.customer.id}.json"'},
    )


@router.post("/customers/{customer_id}/erase")
def customer_erase(
    customer_id: uuid.UUID,
    session: SessionDep,
    principal: Privacy,
    suppress: Annotated[bool, Form()] = False,
) -> Response:
    status = identity_service.request_erasure(
        session, principal=principal, customer_id=customer_id, suppress_identifiers=suppress
    )
    return see_other(f"/customers?erasure={status.job_id}")


@router.post("/customers/{customer_id}/suppress")
def customer_suppress(customer_id: uuid.UUID, session: SessionDep, principal: Privacy) -> Response:
    identity_service.suppress_customer(session, principal=principal, customer_id=customer_id)
    return see_other(f"/customers/{customer_id}?suppressed=1")
