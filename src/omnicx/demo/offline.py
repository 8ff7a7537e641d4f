"""Offline contacts of the demo's customers: store visits and phone calls, recorded as touchpoints through the
tracking service (the customer found through identity by email), so attribution sees journeys that leave the
web."""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from omnicx.demo import rhythm
from omnicx.demo.world import TIMEZONE, Person
from omnicx.identity import service as identity_service
from omnicx.identity.schemas import Identifier, IdentifierKind
from omnicx.tracking import service as tracking_service

STORES = ("Paris Marais store", "Lyon Confluence store", "Barcelona Born store")
PHONE_REASONS = ("order status", "delivery slot", "product advice", "return")
PER_TRANSACTION = 100


def record_touch(
    session: Session, *, workspace_id: uuid.UUID, person: Person, at: datetime, rng: random.Random, key: str
) -> bool:
    """One store visit (two in three) or phone call of `person` at `at`; False if identity refused them."""
    customer_id = identity_service.resolve(
        session,
        workspace_id=workspace_id,
        identifiers=[Identifier(kind=IdentifierKind.EMAIL, value=person.email)],
        seen_at=at,
        reason="offline",
    )
    if customer_id is None:
        return False
    if rng.random() < 2 / 3:
        channel, kind, detail = "Store", "visit", {"location": rng.choice(STORES)}
    else:
        channel, kind, detail = "Phone", "call", {"reason": rng.choice(PHONE_REASONS)}
    tracking_service.record_touchpoint(
        session,
        workspace_id=workspace_id,
        customer_id=customer_id,
        channel=channel,
        kind=kind,
        at=at,
        detail=detail,
        source="demo",
        dedup_key=key,
    )
    return True


def seed_touches(
    session: Session,
    *,
    workspace_id: uuid.UUID,
    people: Sequence[Person],
    count: int,
    now: datetime,
    seed: int,
) -> int:
    """Record up to `count` store visits and calls of known customers, after they became known."""
    if not people:
        return 0
    rng = random.Random(seed + 3)
    zone = ZoneInfo(TIMEZONE)
    recorded = 0
    for number in range(count):
        person = rng.choice(people)
        span = max((now - person.first_known).total_seconds(), 60.0)
        drawn = person.first_known + timedelta(seconds=rng.uniform(30, span))
        at = rhythm.during_hours(drawn, rng, zone=zone)  # when the shop is open and someone answers
        if at >= now:
            at = drawn
        key = f"demo-offline-{seed}-{number}"
        recorded += record_touch(session, workspace_id=workspace_id, person=person, at=at, rng=rng, key=key)
        if (number + 1) % PER_TRANSACTION == 0:
            session.commit()
    session.commit()
    return recorded
