"""The store appointments page: what each store has booked from now on, the booking form (a service, a time,
the customer), and for managers each store's services and opening hours."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce import service
from omnicx.commerce.enums import BookedVia, LocationKind
from omnicx.commerce.schemas import (
    AppointmentCreate,
    CustomerRef,
    OpeningDay,
    OpeningHoursUpdate,
    StoreServiceCreate,
)
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import current_language, format_locale
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Action.COMMERCE_READ)]
Manager = Annotated[Principal, require(Action.COMMERCE_MANAGE)]
PAGE = "/commerce/appointments"


def _page(
    request: Request, session: Session, principal: Principal, error: str | None = None, status: int = 200
) -> HTMLResponse:
    ws = principal.workspace_id
    stores = [
        loc for loc in service.list_locations(session, workspace_id=ws) if loc.kind is LocationKind.STORE
    ]
    services = service.list_services(session, workspace_id=ws)
    context = {
        "stores": stores,
        "store_names": {s.id: s.name for s in stores},
        "services": services,
        "service_names": {s.id: s.name for s in services},
        "calendars": {
            s.id: service.store_calendar(session, workspace_id=ws, location_id=s.id) for s in stores
        },
        "appointments": service.list_appointments(session, workspace_id=ws),
        "timezone": auth_service.get_workspace(session, workspace_id=ws).timezone,
        "can_manage": allows(principal.role, Action.COMMERCE_MANAGE),
        "weekday_name": _weekday_name,
        "error": error,
    }
    return render(request, "commerce/appointments.html", context, status=status)


def _weekday_name(weekday: int) -> str:
    """A weekday (0 Monday) as the page's language names it."""
    return str(get_day_names("wide", locale=format_locale(current_language()))[weekday])


@router.get(PAGE, response_class=HTMLResponse)
def appointments_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    """Appointments to come at every store, the booking form, and each store's services and hours."""
    return _page(request, session, principal)


def _redirect(request: Request, session: Session, principal: Principal, action: object) -> Response:
    return redirect_or_page(
        action,  # type: ignore[arg-type]
        to=PAGE,
        page=lambda message, status: _page(request, session, principal, message, status),
        session=session,
    )


@router.post(PAGE, response_class=HTMLResponse)
def book(
    request: Request,
    session: SessionDep,
    principal: Manager,
    service_id: Annotated[uuid.UUID, Form()],
    starts_at: Annotated[str, Form(max_length=40)],
    email: Annotated[str, Form(max_length=320)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Book a service (the time as the workspace's local time) for a customer known by email or phone."""

    def action() -> object:
        zone = ZoneInfo(auth_service.get_workspace(session, workspace_id=principal.workspace_id).timezone)
        try:
            local = datetime.fromisoformat(starts_at).replace(tzinfo=zone)
        except ValueError as error:
            raise Invalid("the time is a date and a time, e.g. 2026-12-14T10:30") from error
        customer = CustomerRef(email=email or None, phone=phone or None)
        data = AppointmentCreate(service_id=service_id, starts_at=local, customer=customer, note=note)
        return service.book(
            session,
            workspace_id=principal.workspace_id,
            data=data,
            via=BookedVia.STAFF,
            actor=principal.label,
        )

    return _redirect(request, session, principal, action)


@router.post(PAGE + "/{appointment_id}/cancel", response_class=HTMLResponse)
def cancel(appointment_id: uuid.UUID, request: Request, session: SessionDep, principal: Manager) -> Response:
    return _redirect(
        request,
        session,
        principal,
        lambda: service.cancel(session, workspace_id=principal.workspace_id, appointment_id=appointment_id),
    )


@router.post(PAGE + "/services", response_class=HTMLResponse)
def create_service(
    request: Request,
    session: SessionDep,
    principal: Manager,
    location_id: Annotated[uuid.UUID, Form()],
    name: Annotated[str, Form(max_length=200)],
    duration_minutes: Annotated[int, Form()],
    seats: Annotated[int, Form()] = 1,
) -> Response:
    data = {"location_id": location_id, "name": name, "duration_minutes": duration_minutes, "seats": seats}
    return _redirect(
        request,
        session,
        principal,
        lambda: service.create_service(
            session, workspace_id=principal.workspace_id, data=StoreServiceCreate.model_validate(data)
        ),
    )


@router.post(PAGE + "/hours/{location_id}", response_class=HTMLResponse)
def set_hours(
    location_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    principal: Manager,
    opens: Annotated[time, Form()],
    closes: Annotated[time, Form()],
    weekdays: Annotated[list[int], Form()],
) -> Response:
    """The same hours on every weekday ticked (the API sets each day apart)."""

    def action() -> object:
        days = [OpeningDay(weekday=d, opens=opens, closes=closes) for d in sorted(set(weekdays))]
        return service.set_opening_hours(
            session,
            workspace_id=principal.workspace_id,
            location_id=location_id,
            data=OpeningHoursUpdate(days=days),
        )

    return _redirect(request, session, principal, action)
