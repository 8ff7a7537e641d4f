"""The demo stores' appointments: each store open Monday to Saturday 10:00-19:00 with a fitting (two at once)
and a lighting consultation, and the next days' bookings of some known customers."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import BookedVia, LocationKind
from omnicx.commerce.errors import SlotTaken
from omnicx.commerce.schemas import (
    AppointmentCreate,
    CustomerRef,
    OpeningDay,
    OpeningHoursUpdate,
    StoreServiceCreate,
)
from omnicx.demo.world import Person
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind

SERVICES = (("Fitting", 30, 2), ("Lighting consultation", 45, 1))
HOURS = [OpeningDay(weekday=d, opens=time(10), closes=time(19)) for d in range(6)]
NOTES = ("Bring the old lampshade", "Living room, 25 m²", "", "", "Gift for a friend")


def seed_appointments(
    session: Session, *, workspace_id: uuid.UUID, people: list[Person], now: datetime, rng: random.Random
) -> int:
    """Open the stores, offer their services and book some of the next week; returns the appointments."""
    zone = ZoneInfo(auth_service.get_workspace(session, workspace_id=workspace_id).timezone)
    services: list[uuid.UUID] = []
    for location in commerce_service.list_locations(session, workspace_id=workspace_id):
        if location.kind is not LocationKind.STORE:
            continue
        commerce_service.set_opening_hours(
            session, workspace_id=workspace_id, location_id=location.id, data=OpeningHoursUpdate(days=HOURS)
        )
        for name, minutes, seats in SERVICES:
            offered = StoreServiceCreate(
                location_id=location.id, name=name, duration_minutes=minutes, seats=seats
            )
            services.append(
                commerce_service.create_service(session, workspace_id=workspace_id, data=offered).id
            )
    booked = 0
    for person in rng.sample(people, min(len(people), 3 * len(services))):
        day = (now.astimezone(zone) + timedelta(days=rng.randint(1, 7))).date()
        if day.weekday() == 6:
            continue  # closed on Sundays
        start = datetime.combine(day, time(rng.randint(10, 17), rng.choice((0, 15, 30, 45))), tzinfo=zone)
        # The known customer by id: booking for them is not them being seen (their last activity stays theirs).
        customer = identity_service.customer_for(
            session,
            workspace_id=workspace_id,
            identifier=Identifier(kind=IdentifierKind.EMAIL, value=person.email),
        )
        if customer is None:
            continue
        data = AppointmentCreate(
            service_id=rng.choice(services),
            starts_at=start,
            customer=CustomerRef(customer_id=customer),
            note=rng.choice(NOTES),
        )
        try:
            commerce_service.book(
                session, workspace_id=workspace_id, data=data, via=BookedVia.STAFF, actor="demo", now=now
            )
        except SlotTaken:
            continue
        booked += 1
    return booked
