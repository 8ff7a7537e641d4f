"""Store appointments: services a store does by appointment (with a duration and a number of seats), its
opening hours and closures, the free slots of a day, booking, cancelling, and the iCalendar invitation.

No double booking, however requests interleave: an appointment holds every quarter-hour of its seat in
`AppointmentCell`, whose primary key (service, seat, quarter-hour) the database enforces. A booking takes the
first seat whose quarter-hours are free; when a concurrent booking took one of them first, the insert fails and
the next seat is tried, until none is left (`SlotTaken`). Times are stored in UTC; opening hours and days are
the workspace's (its time zone), so a store open 09:00-18:00 stays so across daylight-saving changes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce.enums import AppointmentStatus, BookedVia
from omnicx.commerce.errors import AppointmentNotFound, ServiceNotFound, SlotTaken, StoreClosed
from omnicx.commerce.models import (
    Appointment,
    AppointmentCell,
    Location,
    OpeningHours,
    StoreClosure,
    StoreService,
)
from omnicx.commerce.schemas import (
    QUARTER,
    AppointmentCreate,
    AppointmentPublic,
    AvailableSlot,
    ClosureCreate,
    OpeningDay,
    OpeningHoursUpdate,
    StoreCalendar,
    StoreServiceCreate,
    StoreServicePublic,
)
from omnicx.commerce.service._common import load_location
from omnicx.commerce.service.orders import resolve_customer
from omnicx.customers.schemas import TimelineItem
from omnicx.identity import service as identity_service
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import gettext

STEP = timedelta(minutes=QUARTER)
MAX_DAYS_AHEAD = 366


def create_service(
    session: Session, *, workspace_id: uuid.UUID, data: StoreServiceCreate
) -> StoreServicePublic:
    """A service a store does by appointment; commits."""
    load_location(session, workspace_id, data.location_id)
    service = StoreService(
        workspace_id=workspace_id,
        location_id=data.location_id,
        name=data.name.strip(),
        duration_minutes=data.duration_minutes,
        seats=data.seats,
    )
    session.add(service)
    try:
        session.flush()
    except IntegrityError as error:
        session.rollback()
        raise Invalid(f"this store already offers {data.name!r}") from error
    result = StoreServicePublic.model_validate(service)
    session.commit()
    return result


def set_opening_hours(
    session: Session, *, workspace_id: uuid.UUID, location_id: uuid.UUID, data: OpeningHoursUpdate
) -> StoreCalendar:
    """Replace the store's weekly opening hours; commits."""
    load_location(session, workspace_id, location_id)
    session.execute(delete(OpeningHours).where(OpeningHours.location_id == location_id))
    session.add_all(
        OpeningHours(
            workspace_id=workspace_id,
            location_id=location_id,
            weekday=d.weekday,
            opens=d.opens,
            closes=d.closes,
        )
        for d in data.days
    )
    session.commit()
    return store_calendar(session, workspace_id=workspace_id, location_id=location_id)


def add_closure(
    session: Session, *, workspace_id: uuid.UUID, location_id: uuid.UUID, data: ClosureCreate
) -> StoreCalendar:
    """Close the store for a day (a holiday); appointments already booked that day stay, for staff to move.
    Commits."""
    load_location(session, workspace_id, location_id)
    session.merge(
        StoreClosure(
            workspace_id=workspace_id, location_id=location_id, day=data.day, reason=data.reason.strip()
        )
    )
    session.commit()
    return store_calendar(session, workspace_id=workspace_id, location_id=location_id)


def store_calendar(session: Session, *, workspace_id: uuid.UUID, location_id: uuid.UUID) -> StoreCalendar:
    load_location(session, workspace_id, location_id)
    zone = _zone(session, workspace_id)
    hours = session.scalars(
        select(OpeningHours).where(OpeningHours.location_id == location_id).order_by(OpeningHours.weekday)
    )
    today = utcnow().astimezone(zone).date()
    closures = session.scalars(
        select(StoreClosure)
        .where(StoreClosure.location_id == location_id, StoreClosure.day >= today)
        .order_by(StoreClosure.day)
    )
    services = session.scalars(
        select(StoreService).where(StoreService.location_id == location_id).order_by(StoreService.name)
    )
    return StoreCalendar(
        location_id=location_id,
        timezone=zone.key,
        days=[OpeningDay(weekday=h.weekday, opens=h.opens, closes=h.closes) for h in hours],
        closures=[ClosureCreate(day=c.day, reason=c.reason) for c in closures],
        services=[StoreServicePublic.model_validate(s) for s in services],
    )


def list_services(session: Session, *, workspace_id: uuid.UUID) -> list[StoreServicePublic]:
    rows = session.scalars(
        select(StoreService)
        .where(StoreService.workspace_id == workspace_id)
        .order_by(StoreService.location_id, StoreService.name)
    )
    return [StoreServicePublic.model_validate(s) for s in rows]


def _zone(session: Session, workspace_id: uuid.UUID) -> ZoneInfo:
    return ZoneInfo(auth_service.get_workspace(session, workspace_id=workspace_id).timezone)


def _service(session: Session, workspace_id: uuid.UUID, service_id: uuid.UUID) -> StoreService:
    service = session.get(StoreService, service_id)
    if service is None or service.workspace_id != workspace_id or not service.active:
        raise ServiceNotFound(f"store service {service_id} not found")
    return service


def _opening(
    session: Session, service: StoreService, day: date, zone: ZoneInfo
) -> tuple[datetime, datetime] | None:
    """When the service's store is open on `day` (UTC bounds), or None (closed that weekday, or a closure)."""
    closed = session.get(StoreClosure, (service.location_id, day))
    hours = session.get(OpeningHours, (service.location_id, day.weekday()))
    if closed is not None or hours is None:
        return None
    return _at(day, hours.opens, zone), _at(day, hours.closes, zone)


def _at(day: date, moment: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _quarters(start: datetime, end: datetime) -> Iterator[datetime]:
    at = start
    while at < end:
        yield at
        at += STEP


def available_slots(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    service_id: uuid.UUID,
    day: date,
    now: datetime | None = None,
) -> list[AvailableSlot]:
    """The start times of `day` (the workspace's) at which the service has a free seat for its whole duration,
    every quarter-hour from opening until it would end after closing; none in the past."""
    service = _service(session, workspace_id, service_id)
    zone = _zone(session, workspace_id)
    bounds = _opening(session, service, day, zone)
    if bounds is None:
        return []
    opens, closes = bounds
    taken: dict[datetime, int] = dict(
        session.execute(
            select(AppointmentCell.starts_at, func.count())
            .where(
                AppointmentCell.service_id == service.id,
                AppointmentCell.starts_at >= opens,
                AppointmentCell.starts_at < closes,
            )
            .group_by(AppointmentCell.starts_at)
        ).all()
    )
    length = timedelta(minutes=service.duration_minutes)
    earliest = now or utcnow()
    slots = []
    for start in _quarters(opens, closes - length + STEP):
        if start < earliest:
            continue
        busiest = max((taken.get(q, 0) for q in _quarters(start, start + length)), default=0)
        if busiest < service.seats:
            slots.append(
                AvailableSlot(starts_at=start, ends_at=start + length, free_seats=service.seats - busiest)
            )
    return slots


def book(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    data: AppointmentCreate,
    via: BookedVia,
    actor: str,
    now: datetime | None = None,
) -> AppointmentPublic:
    """Book the service at `starts_at` on its first free seat; `SlotTaken` when every seat is taken for some of
    its duration, `StoreClosed` outside opening hours, on a closure or in the past. Commits."""
    service = _service(session, workspace_id, data.service_id)
    zone = _zone(session, workspace_id)
    start = data.starts_at.astimezone(ZoneInfo("UTC"))
    end = start + timedelta(minutes=service.duration_minutes)
    now = now or utcnow()
    _check_open(session, service, start, end, zone, now)
    customer_id = resolve_customer(session, workspace_id=workspace_id, customer=data.customer, seen_at=now)
    session.commit()  # the customer stays known even if every seat is taken
    for seat in range(service.seats):
        appointment = Appointment(
            workspace_id=workspace_id,
            location_id=service.location_id,
            service_id=service.id,
            seat=seat,
            customer_id=customer_id,
            name=_name(session, workspace_id, customer_id, data),
            starts_at=start,
            ends_at=end,
            status=AppointmentStatus.BOOKED,
            booked_via=via,
            booked_by=actor,
            note=data.note.strip(),
        )
        try:
            session.add(appointment)
            session.flush()
            session.add_all(
                AppointmentCell(
                    workspace_id=workspace_id,
                    service_id=service.id,
                    seat=seat,
                    starts_at=q,
                    appointment_id=appointment.id,
                )
                for q in _quarters(start, end)
            )
            session.flush()
        except IntegrityError:
            session.rollback()  # a quarter-hour of this seat is someone else's: try the next seat
            continue
        result = AppointmentPublic.model_validate(appointment)
        session.commit()
        return result
    raise SlotTaken("this time is fully booked: choose another")


def _name(
    session: Session, workspace_id: uuid.UUID, customer_id: uuid.UUID | None, data: AppointmentCreate
) -> str:
    """Who the appointment is for, as staff will read it: the profile's name, else how they were given."""
    given = data.customer.email or data.customer.phone or ""
    if customer_id is None:
        return given
    profile = identity_service.get_customer(session, workspace_id=workspace_id, customer_id=customer_id)
    return profile.display_name or profile.email or given


def _check_open(
    session: Session, service: StoreService, start: datetime, end: datetime, zone: ZoneInfo, now: datetime
) -> None:
    day = start.astimezone(zone).date()
    if start < now or day > now.astimezone(zone).date() + timedelta(days=MAX_DAYS_AHEAD):
        raise StoreClosed("appointments are booked from now to a year ahead")
    bounds = _opening(session, service, day, zone)
    if bounds is None or start < bounds[0] or end > bounds[1]:
        raise StoreClosed("the store is closed at that time")


def cancel(
    session: Session, *, workspace_id: uuid.UUID, appointment_id: uuid.UUID, now: datetime | None = None
) -> AppointmentPublic:
    """Cancel an appointment and free its seat; cancelling twice changes nothing. Commits."""
    appointment = _appointment(session, workspace_id, appointment_id)
    if appointment.status is AppointmentStatus.BOOKED:
        appointment.status = AppointmentStatus.CANCELLED
        appointment.cancelled_at = now or utcnow()
        session.execute(delete(AppointmentCell).where(AppointmentCell.appointment_id == appointment.id))
    result = AppointmentPublic.model_validate(appointment)
    session.commit()
    return result


def _appointment(session: Session, workspace_id: uuid.UUID, appointment_id: uuid.UUID) -> Appointment:
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.workspace_id != workspace_id:
        raise AppointmentNotFound(f"appointment {appointment_id} not found")
    return appointment


def get_appointment(
    session: Session, *, workspace_id: uuid.UUID, appointment_id: uuid.UUID
) -> AppointmentPublic:
    return AppointmentPublic.model_validate(_appointment(session, workspace_id, appointment_id))


def list_appointments(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    location_id: uuid.UUID | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[AppointmentPublic]:
    """Booked appointments from `since` (default now) on, soonest first, at one store or all."""
    stmt = select(Appointment).where(
        Appointment.workspace_id == workspace_id,
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.ends_at >= (since or utcnow()),
    )
    if location_id is not None:
        stmt = stmt.where(Appointment.location_id == location_id)
    rows = session.scalars(stmt.order_by(Appointment.starts_at, Appointment.id).limit(limit))
    return [AppointmentPublic.model_validate(a) for a in rows]


def appointment_ics(session: Session, *, workspace_id: uuid.UUID, appointment_id: uuid.UUID) -> bytes:
    """The appointment as an iCalendar invitation (RFC 5545): one event, cancelled once it is."""
    appointment = _appointment(session, workspace_id, appointment_id)
    service = session.get(StoreService, appointment.service_id)
    location = session.get(Location, appointment.location_id)
    assert service is not None and location is not None
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//omnicx//store appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if appointment.status is AppointmentStatus.CANCELLED else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"{appointment.id}@omnicx")
    event.add("dtstamp", appointment.cancelled_at or appointment.created_at)
    event.add("dtstart", appointment.starts_at)
    event.add("dtend", appointment.ends_at)
    event.add("summary", f"{service.name} · {location.name}")
    event.add("location", location.name)
    event.add("status", "CANCELLED" if appointment.status is AppointmentStatus.CANCELLED else "CONFIRMED")
    if appointment.note:
        event.add("description", appointment.note)
    calendar.add_component(event)
    invitation: bytes = calendar.to_ical()
    return invitation


def appointment_timeline(
    session: Session, workspace_id: uuid.UUID, customer_ids: Sequence[uuid.UUID], limit: int
) -> list[TimelineItem]:
    """Customer 360 timeline provider: the customer's appointments, booked or cancelled, at their time."""
    rows = session.execute(
        select(Appointment, StoreService.name, Location.name)
        .join(StoreService, StoreService.id == Appointment.service_id)
        .join(Location, Location.id == Appointment.location_id)
        .where(Appointment.workspace_id == workspace_id, Appointment.customer_id.in_(list(customer_ids)))
        .order_by(Appointment.starts_at.desc())
        .limit(limit)
    ).all()
    return [
        TimelineItem(
            at=appointment.starts_at,
            kind="appointment",
            title=gettext("Appointment: %(service)s at %(store)s") % {"service": service, "store": store},
            detail=gettext("Cancelled")
            if appointment.status is AppointmentStatus.CANCELLED
            else appointment.note,
            channel="store",
            channel_label=store,
            direction="none",
            url="/commerce/appointments",
            source="commerce",
        )
        for appointment, service, store in rows
    ]
