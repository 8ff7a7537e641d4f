"""The demo's spread check (`omnicx demo --check`): no day of the seeded history holds a crowd of conversations
or orders; and the rhythm the seeding draws its times from."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.app.demo import _check
from omnicx.app.wiring import wire
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import Fulfilment, SalesChannel
from omnicx.commerce.errors import OutOfStock
from omnicx.commerce.models import Order
from omnicx.commerce.schemas import CustomerRef, LineRequest, OrderCreate
from omnicx.demo import rhythm
from omnicx.demo.providers import RunningProviders
from omnicx.demo.service import seed_demo, seed_world
from omnicx.demo.sizes import SIZES, SizeName
from omnicx.demo.spread import Crowd, check_spread, crowded_days
from omnicx.demo.world import ITEMS
from omnicx.inbox.models import Conversation
from omnicx.kernel.runtime import Runtime

PARIS = ZoneInfo("Europe/Paris")
NOVEMBER = [date(2026, 11, 1) + timedelta(days=n) for n in range(30)]


def test_a_day_holding_more_than_its_share_of_the_period_is_a_crowd() -> None:
    even = dict.fromkeys(NOVEMBER, 3)
    assert crowded_days("conversations", even) == []
    skewed = even | {NOVEMBER[-1]: 43}  # what stamping everything with the seeding's time looks like
    crowds = crowded_days("conversations", skewed)
    assert crowds == [Crowd("conversations", NOVEMBER[-1], 43, 130)]
    assert crowds[0].sentence().startswith("43 of 130 conversations (33%) are on 2026-11-30")


def test_too_few_things_are_not_judged() -> None:
    one_day = {NOVEMBER[0]: 12}
    assert crowded_days("orders", one_day) == []
    assert crowded_days("orders", one_day, minimum=10) == [Crowd("orders", NOVEMBER[0], 12, 12)]


def test_days_are_spread_by_their_weight_each_within_two_of_its_share() -> None:
    def weight(day: date) -> float:
        return rhythm.contact_weight(day, first=NOVEMBER[0], last=NOVEMBER[-1])

    picked = rhythm.spread_days(
        random.Random(3), count=300, first=NOVEMBER[0], last=NOVEMBER[-1], weight=weight
    )
    assert picked == sorted(picked)
    counts = Counter(picked)
    total = sum(weight(day) for day in NOVEMBER)
    assert all(abs(counts[day] - 300 * weight(day) / total) < 2 for day in NOVEMBER), counts
    weekend = [counts[d] for d in NOVEMBER if d.weekday() >= 5]
    midweek = [counts[d] for d in NOVEMBER if d.weekday() in (1, 2, 3)]
    assert max(weekend) < min(midweek)


def test_agents_and_stores_work_their_hours() -> None:
    rng = random.Random(1)
    tuesday_noon = datetime(2026, 11, 17, 12, tzinfo=PARIS).astimezone(UTC)
    assert rhythm.on_duty(tuesday_noon, rng, zone=PARIS) == tuesday_noon
    saturday_night = datetime(2026, 11, 21, 23, 30, tzinfo=PARIS).astimezone(UTC)
    monday = rhythm.on_duty(saturday_night, rng, zone=PARIS).astimezone(PARIS)
    assert monday.date() == date(2026, 11, 23) and time(9) < monday.time() < time(9, 45)
    early = datetime(2026, 11, 17, 8, tzinfo=PARIS).astimezone(UTC)
    store = rhythm.on_duty(early, rng, zone=PARIS, hours=rhythm.STORE_HOURS).astimezone(PARIS)
    assert store.date() == date(2026, 11, 17) and time(10) < store.time() < time(10, 45)
    sunday = datetime(2026, 11, 22, 15, tzinfo=PARIS).astimezone(UTC)
    visits = [rhythm.during_hours(sunday, rng, zone=PARIS).astimezone(PARIS) for _ in range(50)]
    assert {visit.date() for visit in visits} == {date(2026, 11, 23)}  # the stores are closed on Sunday
    assert all(time(10) <= visit.time() < time(19, 30) for visit in visits)
    assert max(visits) - min(visits) > timedelta(hours=5)  # spread over the day, not queued at the door


def _rush(db: Session, workspace_id: object, day: datetime, count: int) -> None:
    """`count` orders placed on one day through commerce, as a seeding bug would place them."""
    placed = 0
    for number in range(count * 3):
        data = OrderCreate(
            lines=[LineRequest(sku=ITEMS[number % len(ITEMS)].sku, quantity=1)],
            channel=SalesChannel.WEB,
            fulfilment=Fulfilment.SHIP,
            customer=CustomerRef(email=f"rush{number}@example.com"),
        )
        try:
            commerce_service.place_order(
                db,
                workspace_id=workspace_id,  # type: ignore[arg-type]
                data=data,
                actor="Web shop",
                now=day + timedelta(minutes=number),
            )
        except OutOfStock:
            db.rollback()
            continue
        placed += 1
        if placed == count:
            return
    raise AssertionError(f"only {placed} orders placed")


def test_a_small_world_passes_the_demo_check_and_a_rush_of_orders_fails_it(
    runtime: Runtime, db: Session, demo_providers: RunningProviders, capsys: pytest.CaptureFixture[str]
) -> None:
    with runtime.sessions() as session:
        workspace, _credentials, _created = seed_demo(session)
    size = SIZES[SizeName.SMALL]
    seed_world(
        runtime, workspace_id=workspace.id, size=size, wire=wire, provider_accounts=demo_providers.accounts
    )
    _check(runtime)  # integrity and spread: passes, or exits 1
    assert "Spread check passed" in capsys.readouterr().out
    started = list(
        db.scalars(select(Conversation.created_at).where(Conversation.workspace_id == workspace.id))
    )
    db.rollback()  # a transaction here holds SQLite's write turn
    days = Counter(at.astimezone(PARIS).date() for at in started)
    weeks = {at.isocalendar()[:2] for at in started}
    assert len(weeks) >= size.days // 7 - 1
    weekdays = Counter(day.weekday() for day in days.elements())
    assert weekdays[5] + weekdays[6] < (weekdays[1] + weekdays[2]) * 0.8  # a quieter weekend
    placed = db.scalars(select(Order.created_at).where(Order.workspace_id == workspace.id)).all()
    db.rollback()
    buying = Counter(at.astimezone(PARIS).weekday() for at in placed)
    assert buying[5] + buying[6] < (buying[1] + buying[2]) * 0.85, (
        buying
    )  # buying too, and stores close Sunday
    # A rush on one day of the seeded history (before the workspace was created) is caught.
    _rush(db, workspace.id, workspace.created_at - timedelta(days=5), 20)
    analytics_service.sync(runtime)
    problems = check_spread(db, workspace_id=workspace.id)
    db.rollback()
    assert len(problems) == 1 and "orders" in problems[0], problems
    with pytest.raises(typer.Exit):
        _check(runtime)
