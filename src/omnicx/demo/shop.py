"""The demo retailer's shop through the commerce service: locations, catalogue and stock, and the orders the
generated purchases become, each walked through its status timeline at historical times.

Orders go through `place_order` and `change_status` (stock allocated and moved, sales recorded for attribution,
store purchases recorded as touchpoints), in transactions of a few dozen orders so seeding stays fast.
"""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import Fulfilment, LocationKind, OrderStatus, SalesChannel
from omnicx.commerce.errors import OutOfStock
from omnicx.commerce.schemas import (
    CustomerRef,
    LineRequest,
    LocationCreate,
    LocationPublic,
    OrderCreate,
    StorefrontUpdate,
)
from omnicx.demo import rhythm
from omnicx.demo.world import ITEMS, SHOP, TIMEZONE, Person, Purchase

LOCATIONS = (
    LocationCreate(code="warehouse-roissy", name="Roissy warehouse", kind=LocationKind.WAREHOUSE),
    LocationCreate(code="store-paris", name="Paris Marais store", kind=LocationKind.STORE, pickup=True),
    LocationCreate(code="store-lyon", name="Lyon Confluence store", kind=LocationKind.STORE, pickup=True),
    LocationCreate(code="store-barcelona", name="Barcelona Born store", kind=LocationKind.STORE, pickup=True),
)
ORDERS_PER_TRANSACTION = 40
SHIP_STEPS = (
    (OrderStatus.PAID, timedelta(minutes=4)),
    (OrderStatus.ALLOCATED, timedelta(hours=2)),
    (OrderStatus.SHIPPED, timedelta(days=1)),
    (OrderStatus.DELIVERED, timedelta(days=3)),
)
PICKUP_STEPS = (
    (OrderStatus.PAID, timedelta(minutes=4)),
    (OrderStatus.ALLOCATED, timedelta(minutes=40)),
    (OrderStatus.READY_FOR_PICKUP, timedelta(hours=3)),
    (OrderStatus.PICKED_UP, timedelta(days=1, hours=2)),
)
STORE_STEPS = (
    (OrderStatus.PAID, timedelta(seconds=30)),
    (OrderStatus.ALLOCATED, timedelta(minutes=1)),
    (OrderStatus.READY_FOR_PICKUP, timedelta(minutes=2)),
    (OrderStatus.PICKED_UP, timedelta(minutes=3)),
)


def seed_catalogue(session: Session, *, workspace_id: uuid.UUID, seed: int) -> list[LocationPublic]:
    """Create the warehouse and the three stores, then import the catalogue with its stock in one go, and say
    where the shop's product and cart pages are (the links agents send from conversations).

    The warehouse holds plenty; stores hold a little; a few variants are scarce or gone somewhere, so the stock
    alerts have something to show from the start.
    """
    locations = [
        commerce_service.create_location(session, workspace_id=workspace_id, data=d) for d in LOCATIONS
    ]
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []
    for number, item in enumerate(ITEMS):
        for location in LOCATIONS:
            if location.kind is LocationKind.WAREHOUSE:
                on_hand = 0 if number % 11 == 5 else rng.randint(400, 900)
            else:
                on_hand = rng.choice([0, 1, 2]) if number % 4 == 1 else rng.randint(12, 45)
            rows.append(
                {
                    "product": item.product,
                    "variant": item.variant,
                    "sku": item.sku,
                    "price": f"{item.price_minor / 100:.2f}",
                    "currency": "EUR",
                    "location": location.code,
                    "on_hand": str(on_hand),
                }
            )
    commerce_service.import_products(session, workspace_id=workspace_id, rows=rows)
    links = StorefrontUpdate(product_url=f"{SHOP}/products/{{sku}}", cart_url=f"{SHOP}/cart")
    commerce_service.set_storefront(session, workspace_id=workspace_id, data=links)
    return locations


@dataclass
class _Plan:
    """One order to place: what, where, for whom, how it is fulfilled, and how far along its timeline."""

    at: datetime
    data: OrderCreate
    steps: Sequence[tuple[OrderStatus, timedelta]]
    stop_at: OrderStatus | None  # the last status to reach (None: as far as time allows)
    ending: OrderStatus | None  # cancelled or returned after the steps


def _plans(
    purchases: Sequence[Purchase],
    people: Sequence[Person],
    stores: Sequence[LocationPublic],
    *,
    limit: int,
    now: datetime,
    seed: int,
) -> list[_Plan]:
    rng = random.Random(seed + 1)
    online = _sample(rng, purchases, int(limit * 0.8))
    plans: list[_Plan] = []
    for purchase in online:  # placed when they were bought: no rush at the end
        pickup = purchase.pickup
        at = purchase.at
        data = OrderCreate(
            lines=[LineRequest(sku=purchase.sku, quantity=purchase.quantity)],
            channel=SalesChannel.APP if purchase.app else SalesChannel.WEB,
            fulfilment=Fulfilment.PICKUP if pickup else Fulfilment.SHIP,
            location_id=rng.choice(stores).id if pickup and rng.random() < 0.5 else None,
            customer=CustomerRef(email=purchase.email, user_id=purchase.user_id),
        )
        plans.append(_plan(rng, at, data, PICKUP_STEPS if pickup else SHIP_STEPS))
    for person, at in _store_visits(rng, people, limit - len(online), now):
        store = rng.choice(stores)
        item = rng.choice(ITEMS)
        data = OrderCreate(
            lines=[LineRequest(sku=item.sku, quantity=rng.choice([1, 1, 2]))],
            channel=SalesChannel.STORE,
            fulfilment=Fulfilment.PICKUP,
            location_id=store.id,
            customer=CustomerRef(email=person.email),
        )
        plans.append(_Plan(at=at, data=data, steps=STORE_STEPS, stop_at=None, ending=None))
    plans.sort(key=lambda p: p.at)
    return plans


def _sample(rng: random.Random, purchases: Sequence[Purchase], count: int) -> list[Purchase]:
    """`count` of the checkouts that became orders, drawn by the weekly rhythm of buying (`rhythm.ORDER_WEEKDAYS`,
    on the shop's days): browsing is as busy at the weekend, buying less so. Weighted sampling without
    replacement (each keeps the key u^(1/weight); the largest keys win)."""
    zone = ZoneInfo(TIMEZONE)
    keyed = [
        (rng.random() ** (1 / rhythm.ORDER_WEEKDAYS[p.at.astimezone(zone).weekday()]), n)
        for n, p in enumerate(purchases)
    ]
    return [purchases[n] for _key, n in sorted(keyed, reverse=True)[:count]]


def _store_visits(
    rng: random.Random, people: Sequence[Person], count: int, now: datetime
) -> list[tuple[Person, datetime]]:
    """Up to `count` purchases in the stores, by customers known on the site by then: spread over the days
    since the first became known with the weekly rhythm of buying (the stores close on Sunday), at any hour
    they are open. Half the buyers researched online in the four days before; the others are regulars."""
    if count <= 0 or not people:
        return []
    zone = ZoneInfo(TIMEZONE)
    known = sorted(people, key=lambda p: p.first_known)
    since = [p.first_known for p in known]
    first = known[0].first_known.astimezone(zone).date()
    last = (now - timedelta(minutes=5)).astimezone(zone).date()
    if last < first:
        return []

    def weight(day: date) -> float:
        return 0.0 if day.weekday() not in rhythm.WORKING_DAYS else rhythm.ORDER_WEEKDAYS[day.weekday()]

    visits: list[tuple[Person, datetime]] = []
    for day in rhythm.spread_days(rng, count=count, first=first, last=last, weight=weight):
        opens, closes = (datetime.combine(day, moment, tzinfo=zone) for moment in rhythm.STORE_HOURS)
        at = (opens + (closes - opens) * rng.random()).astimezone(now.tzinfo)
        before = bisect_right(since, at)
        if at >= now - timedelta(minutes=5) or before == 0:
            continue  # not open yet today, or nobody known yet
        researched = bisect_right(since, at - timedelta(days=4))
        pool = known[researched:before] if researched < before and rng.random() < 0.5 else known[:before]
        visits.append((rng.choice(pool), at))
    return visits


def _plan(
    rng: random.Random, at: datetime, data: OrderCreate, steps: Sequence[tuple[OrderStatus, timedelta]]
) -> _Plan:
    roll = rng.random()
    if roll < 0.04:
        return _Plan(at, data, steps, OrderStatus.PLACED, OrderStatus.CANCELLED)  # changed their mind
    if roll < 0.07:
        return _Plan(at, data, steps, OrderStatus.PLACED, None)  # payment never came
    if roll < 0.12:
        return _Plan(at, data, steps, None, OrderStatus.RETURNED)
    if roll < 0.15 and data.fulfilment is Fulfilment.PICKUP:
        return _Plan(at, data, steps, OrderStatus.READY_FOR_PICKUP, OrderStatus.CANCELLED)  # never collected
    return _Plan(at, data, steps, None, None)


def seed_orders(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    purchases: Sequence[Purchase],
    people: Sequence[Person],
    limit: int,
    now: datetime,
    seed: int,
    base_url: str = "",
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Place up to `limit` orders (about a fifth of them in store, within days of the buyer's first visits) and
    move each as far along as its age allows; returns how many were placed. A purchase finding no stock is
    skipped, as a real shop would. A pickup's "ready" notice is sent when the order became ready (its links
    under `base_url`)."""
    locations = commerce_service.list_locations(session, workspace_id=workspace_id)
    stores = [loc for loc in locations if loc.pickup]
    plans = _plans(purchases, people, stores, limit=limit, now=now, seed=seed)
    placed = 0
    for number, plan in enumerate(plans, start=1):
        placed += _walk(session, workspace_id, plan, now, base_url)
        if number % ORDERS_PER_TRANSACTION == 0 or number == len(plans):
            session.commit()
            if on_progress:
                on_progress(number, len(plans))
    return placed


def _walk(session: Session, workspace_id: uuid.UUID, plan: _Plan, now: datetime, base_url: str) -> int:
    actor = {SalesChannel.STORE: "Store till", SalesChannel.APP: "Mobile app"}.get(
        plan.data.channel, "Web shop"
    )
    try:
        with session.begin_nested():  # sold out: nothing of the attempt stays (nor the buyer seen then)
            order = commerce_service.place_order(
                session, workspace_id=workspace_id, data=plan.data, actor=actor, now=plan.at, commit=False
            )
    except OutOfStock:
        return 0
    when = plan.at
    status = OrderStatus.PLACED
    if plan.stop_at is not OrderStatus.PLACED:
        for target, delay in plan.steps:
            when = when + delay
            if when >= now:
                return 1
            code = None
            if target is OrderStatus.PICKED_UP:
                code = commerce_service.pickup_code(session, workspace_id=workspace_id, order_id=order.id)
            commerce_service.change_status(
                session,
                workspace_id=workspace_id,
                order_id=order.id,
                status=target,
                actor="Store staff"
                if target in (OrderStatus.READY_FOR_PICKUP, OrderStatus.PICKED_UP)
                else actor,
                pickup_code=code,
                now=when,
                commit=False,
            )
            if target is OrderStatus.READY_FOR_PICKUP:  # the notice goes out then, as the worker sent it
                commerce_service.notify_ready(
                    session, workspace_id=workspace_id, order_id=order.id, base_url=base_url, now=when
                )
            status = target
            if target is plan.stop_at:
                break
    if plan.ending is not None:
        when = when + timedelta(days=2)
        if when < now and (plan.ending is OrderStatus.CANCELLED or status in _RETURNABLE):
            commerce_service.change_status(
                session,
                workspace_id=workspace_id,
                order_id=order.id,
                status=plan.ending,
                actor="Customer service",
                now=when,
                commit=False,
            )
    return 1


_RETURNABLE = (OrderStatus.DELIVERED, OrderStatus.PICKED_UP, OrderStatus.SHIPPED)
