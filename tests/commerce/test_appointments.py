"""Store appointments: free slots follow opening hours, closures, durations and seats; concurrent bookings of
one slot give it to exactly one (on both databases); cancelling frees it; the invitation is valid iCalendar; the
REST, page and CLI faces by role."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.commerce import service
from omnicx.commerce.enums import AppointmentStatus, BookedVia
from omnicx.commerce.errors import SlotTaken, StoreClosed
from omnicx.commerce.schemas import (
    AppointmentCreate,
    ClosureCreate,
    CustomerRef,
    OpeningDay,
    OpeningHoursUpdate,
    StoreServiceCreate,
)
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.runtime import Runtime
from tests.commerce.conftest import Shop
from tests.conftest import World

# The workspace's time zone is UTC in the test world: hours below are UTC too.
MONDAY = date(2026, 12, 14)
NOW = datetime(2026, 12, 10, 8, 0, tzinfo=UTC)


def _fitting(db: Session, shop: Shop, *, seats: int = 1, minutes: int = 60) -> uuid.UUID:
    """A fitting (`minutes` long, `seats` at once) at the Paris store, open Monday to Saturday 10:00-12:00."""
    days = [OpeningDay(weekday=d, opens=time(10), closes=time(12)) for d in range(6)]
    service.set_opening_hours(
        db, workspace_id=shop.workspace_id, location_id=shop.store.id, data=OpeningHoursUpdate(days=days)
    )
    created = service.create_service(
        db,
        workspace_id=shop.workspace_id,
        data=StoreServiceCreate(
            location_id=shop.store.id, name="Fitting", duration_minutes=minutes, seats=seats
        ),
    )
    return created.id


def _book(
    db: Session, shop: Shop, service_id: uuid.UUID, at: datetime, email: str = "ada@example.com"
) -> uuid.UUID:
    data = AppointmentCreate(service_id=service_id, starts_at=at, customer=CustomerRef(email=email))
    booked = service.book(
        db, workspace_id=shop.workspace_id, data=data, via=BookedVia.STAFF, actor="t", now=NOW
    )
    return booked.id


def test_free_slots_follow_hours_closures_durations_and_seats(db: Session, shop: Shop) -> None:
    fitting = _fitting(db, shop, seats=2)
    ws = shop.workspace_id

    def starts(day: date) -> list[tuple[str, int]]:
        slots = service.available_slots(db, workspace_id=ws, service_id=fitting, day=day, now=NOW)
        return [(s.starts_at.strftime("%H:%M"), s.free_seats) for s in slots]

    # An hour's fitting in a 10:00-12:00 day starts at 10:00 .. 11:00, every quarter-hour.
    assert starts(MONDAY) == [("10:00", 2), ("10:15", 2), ("10:30", 2), ("10:45", 2), ("11:00", 2)]
    assert starts(MONDAY + timedelta(days=6)) == []  # Sunday: closed
    ten_thirty = datetime.combine(MONDAY, time(10, 30), tzinfo=UTC)
    _book(db, shop, fitting, ten_thirty)
    # One seat left wherever an hour from the start overlaps 10:30-11:30: every start of this short day.
    assert starts(MONDAY) == [("10:00", 1), ("10:15", 1), ("10:30", 1), ("10:45", 1), ("11:00", 1)]
    assert starts(MONDAY + timedelta(days=2))[0] == ("10:00", 2)
    _book(db, shop, fitting, ten_thirty, email="bob@example.com")
    assert starts(MONDAY) == []  # both seats overlap every start (an hour long, the day two hours long)
    with pytest.raises(SlotTaken):
        _book(db, shop, fitting, datetime.combine(MONDAY, time(11), tzinfo=UTC), email="carol@example.com")
    service.add_closure(
        db,
        workspace_id=ws,
        location_id=shop.store.id,
        data=ClosureCreate(day=MONDAY + timedelta(days=1), reason="Holiday"),
    )
    assert starts(MONDAY + timedelta(days=1)) == []
    for refused in (
        datetime.combine(MONDAY + timedelta(days=1), time(10), tzinfo=UTC),  # the closure
        datetime.combine(MONDAY + timedelta(days=2), time(11, 15), tzinfo=UTC),  # would end after closing
        datetime.combine(MONDAY + timedelta(days=2), time(9, 45), tzinfo=UTC),  # before opening
        NOW - timedelta(hours=1),  # the past
    ):
        with pytest.raises(StoreClosed):
            _book(db, shop, fitting, refused)


def test_cancelling_frees_the_seat_and_the_invitation_is_icalendar(db: Session, shop: Shop) -> None:
    fitting = _fitting(db, shop, minutes=30)
    at = datetime.combine(MONDAY, time(11, 30), tzinfo=UTC)
    booked = _book(db, shop, fitting, at)
    with pytest.raises(SlotTaken):
        _book(db, shop, fitting, at, email="bob@example.com")
    invitation = icalendar.Calendar.from_ical(
        service.appointment_ics(db, workspace_id=shop.workspace_id, appointment_id=booked)
    )
    [event] = invitation.walk("VEVENT")
    assert (event.decoded("dtstart"), event.decoded("dtend")) == (at, at + timedelta(minutes=30))
    assert str(event["summary"]) == "Fitting · Paris store" and str(event["status"]) == "CONFIRMED"
    cancelled = service.cancel(db, workspace_id=shop.workspace_id, appointment_id=booked)
    assert cancelled.status is AppointmentStatus.CANCELLED
    _book(db, shop, fitting, at, email="bob@example.com")  # the seat is free again
    again = icalendar.Calendar.from_ical(
        service.appointment_ics(db, workspace_id=shop.workspace_id, appointment_id=booked)
    )
    assert str(again["method"]) == "CANCEL" and str(again.walk("VEVENT")[0]["status"]) == "CANCELLED"


@pytest.mark.parametrize("seats", [1, 3])
def test_concurrent_bookings_of_one_slot_fill_its_seats_exactly(
    runtime: Runtime, db: Session, shop: Shop, seats: int
) -> None:
    """Twelve customers book the same quarter-hour at once: exactly `seats` succeed, the rest are told it is
    taken, and no seat holds two appointments."""
    fitting = _fitting(db, shop, seats=seats)
    db.close()
    at = datetime.combine(MONDAY, time(10), tzinfo=UTC)
    start = threading.Barrier(12)
    outcomes: list[str] = []
    lock = threading.Lock()

    def customer(n: int) -> None:
        start.wait()
        try:
            with runtime.sessions() as session:
                _book(session, shop, fitting, at, email=f"c{n}@example.com")
            outcome = "booked"
        except SlotTaken:
            outcome = "taken"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=customer, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["booked"] * seats + ["taken"] * (12 - seats)
    booked = service.list_appointments(db, workspace_id=shop.workspace_id, since=NOW)
    assert sorted(a.seat for a in booked) == list(range(seats))


def test_the_api_page_and_cli_by_role(
    client: TestClient, db: Session, world: World, shop: Shop, cli_env: dict[str, str]
) -> None:
    agent, viewer, admin = world.token(Role.AGENT), world.token(Role.VIEWER), world.token(Role.ADMIN)
    hours = {"days": [{"weekday": d, "opens": "09:00", "closes": "18:00"} for d in range(7)]}
    path = f"/api/v1/commerce/locations/{shop.store.id}/calendar"
    assert client.put(f"{path}/hours", json=hours, headers=viewer).status_code == 403
    assert client.put(f"{path}/hours", json=hours, headers=admin).status_code == 200
    bad = {"days": [{"weekday": 1, "opens": "18:00", "closes": "09:00"}]}
    assert client.put(f"{path}/hours", json=bad, headers=admin).status_code == 422
    created = client.post(
        "/api/v1/commerce/store-services",
        json={"location_id": str(shop.store.id), "name": "Repair", "duration_minutes": 45},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    service_id = created.json()["id"]
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date()
    slots = client.get(
        f"/api/v1/commerce/store-services/{service_id}/slots", params={"day": str(tomorrow)}, headers=viewer
    ).json()
    assert slots[0]["starts_at"].startswith(f"{tomorrow}T09:00")
    booking = {
        "service_id": service_id,
        "starts_at": slots[0]["starts_at"],
        "customer": {"email": "ada@example.com"},
    }
    assert client.post("/api/v1/commerce/appointments", json=booking, headers=viewer).status_code == 403
    made = client.post("/api/v1/commerce/appointments", json=booking, headers=agent)
    assert made.status_code == 201, made.text
    assert (
        client.post("/api/v1/commerce/appointments", json=booking, headers=agent).json()["code"]
        == "slot_taken"
    )
    naive = {**booking, "starts_at": f"{tomorrow}T10:00:00"}
    assert client.post("/api/v1/commerce/appointments", json=naive, headers=agent).status_code == 422
    appointment = made.json()["id"]
    timeline = client.get(f"/api/v1/customers/{made.json()['customer_id']}/timeline", headers=viewer).json()
    assert [i["title"] for i in timeline if i["kind"] == "appointment"] == [
        "Appointment: Repair at Paris store"
    ]
    ics = client.get(f"/api/v1/commerce/appointments/{appointment}.ics", headers=viewer)
    assert ics.status_code == 200 and ics.headers["content-type"].startswith("text/calendar")
    page = client.get("/commerce/appointments", headers=viewer)
    assert (
        page.status_code == 200 and f'data-appointment="{appointment}"' in page.text and "Repair" in page.text
    )
    result = CliRunner().invoke(cli_app, ["commerce", "appointments", "-w", "acme"], env=cli_env)
    assert result.exit_code == 0 and "Repair" in result.output and "ada@example.com" in result.output
    gone = client.post(f"/api/v1/commerce/appointments/{appointment}/cancel", headers=agent)
    assert gone.json()["status"] == "cancelled"
