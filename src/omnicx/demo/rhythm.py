"""When things happen in the demo's world: a weekly rhythm over the seeded period, daytime hours in each
customer's time zone, and the hours the shop's agents and stores work.

Pure: a random stream and dates in, times out (UTC). The seeding draws from it so the world looks lived in: no
day holds a crowd (`demo.spread` checks it), weekends are quieter, nobody writes at four in the morning.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

#: Where the demo's customers live, by the locale their browser sends (`world.LOCALES`).
LOCALE_ZONES = {
    "fr-FR": "Europe/Paris",
    "en-GB": "Europe/London",
    "id-ID": "Asia/Jakarta",
    "ca-ES": "Europe/Madrid",
    "es-ES": "Europe/Madrid",
}
#: How likely a customer writes to the shop on each weekday (Monday first): questions come in the working
#: week, most mid-week; the weekend is quiet.
CONTACT_WEEKDAYS = (1.1, 1.25, 1.3, 1.2, 1.0, 0.55, 0.4)
#: ... and at each local hour (0-23): daytime, a morning and an after-lunch peak, a little in the evening.
CONTACT_HOURS = (
    0.03, 0.01, 0.01, 0.01, 0.02, 0.05, 0.2, 0.6, 1.4, 2.2, 2.5, 2.3,
    1.6, 1.8, 2.3, 2.2, 1.9, 1.6, 1.3, 1.1, 0.9, 0.6, 0.3, 0.1,
)  # fmt: skip
#: How likely a checkout becomes an order on each weekday (Monday first): browsing is as busy at the weekend
#: (`world.WEEKDAY_WEIGHTS`), buying is a working-week habit.
ORDER_WEEKDAYS = (1.05, 1.15, 1.2, 1.15, 1.0, 0.7, 0.6)
#: The last days weigh a little more (this week's questions, not all settled yet: the queue has work), never
#: so much that the end of the period looks like a rush.
RECENT_DAYS = 4
RECENT_LIFT = 1.3
#: The shop grows a little over the seeded period: its first day weighs this much of its last.
GROWTH_FROM = 0.8

#: When the shop's people work (local time): agents (the SLA policy's business hours), and the stores.
AGENT_HOURS = (time(9), time(19))
STORE_HOURS = (time(10), time(19, 30))
WORKING_DAYS = frozenset(range(6))  # Monday to Saturday


def zone_of(locale: str, default: str = "Europe/Paris") -> ZoneInfo:
    """The time zone a customer with `locale` lives in."""
    return ZoneInfo(LOCALE_ZONES.get(locale, default))


def contact_weight(day: date, *, first: date, last: date) -> float:
    """How much of the period's customer contacts fall on `day` (of `first`..`last`), relative to the others."""
    span = max((last - first).days, 1)
    growth = GROWTH_FROM + (1 - GROWTH_FROM) * (day - first).days / span
    recent = RECENT_LIFT if (last - day).days < RECENT_DAYS else 1.0
    return CONTACT_WEEKDAYS[day.weekday()] * growth * recent


def spread_days(
    rng: random.Random, *, count: int, first: date, last: date, weight: Callable[[date], float]
) -> list[date]:
    """`count` days from `first` to `last` (inclusive), in order, each day getting its share by `weight`.

    Stratified: the n-th pick is drawn from the n-th of `count` equal slices of the cumulated weights, so a day
    holds its share give or take two (the slices at its ends), never a crowd a plain draw may make."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    cumulated = list(accumulate(weight(day) for day in days))
    total = cumulated[-1]
    picked = (bisect_right(cumulated, (n + rng.random()) / count * total) for n in range(count))
    return [days[min(index, len(days) - 1)] for index in picked]


def at_local_hour(rng: random.Random, day: date, zone: ZoneInfo, hours: Sequence[float]) -> datetime:
    """A moment of `day` in `zone`, at an hour drawn by `hours` (24 weights), as a UTC time."""
    hour = rng.choices(range(24), weights=hours)[0]
    local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=zone)
    return local.astimezone(UTC)


def on_duty(
    at: datetime,
    rng: random.Random,
    *,
    zone: ZoneInfo,
    hours: tuple[time, time] = AGENT_HOURS,
    days: frozenset[int] = WORKING_DAYS,
) -> datetime:
    """`at` if someone works then (local `hours` on working `days`); else a few minutes after the next opening."""
    local = at.astimezone(zone)
    opens, closes = hours
    if local.weekday() in days and opens <= local.time() < closes:
        return at
    day = local.date() if local.time() < opens else local.date() + timedelta(days=1)
    while day.weekday() not in days:
        day += timedelta(days=1)
    opening = datetime.combine(day, opens, tzinfo=zone) + timedelta(minutes=rng.uniform(2, 40))
    return opening.astimezone(at.tzinfo or UTC)


def during_hours(
    at: datetime,
    rng: random.Random,
    *,
    zone: ZoneInfo,
    hours: tuple[time, time] = STORE_HOURS,
    days: frozenset[int] = WORKING_DAYS,
) -> datetime:
    """`at` if the shop is open then; else a moment anywhere in the hours of the next day it opens (a customer
    coming by, not a queue at the door)."""
    opened = on_duty(at, rng, zone=zone, hours=hours, days=days)
    if opened == at:
        return at
    day = opened.astimezone(zone).date()
    opens, closes = (datetime.combine(day, moment, tzinfo=zone) for moment in hours)
    return (opens + (closes - opens) * rng.random()).astimezone(at.tzinfo or UTC)
