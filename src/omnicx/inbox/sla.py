"""Pure SLA clocks: business hours and holidays in a time zone, due times, warning and breach states.

No database and no I/O: the service hands plain values in (targets, the policy's hours, the conversation's
times) and stores what comes out. Clocks run only during business hours: a 1 h first-response target on a
message received Friday 16:30 under Monday–Friday 9–17 is due Monday 9:30.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

DEFAULT_FIRST_RESPONSE_MINUTES = 120
WARNING_FRACTION = 0.2  # warn when less than this share of the target is left
_MAX_DAYS = 3 * 366  # a clock that cannot be satisfied within three years has no due time


@dataclass(frozen=True)
class BusinessHours:
    """Weekly opening intervals (Monday = 0) and closed dates, in `timezone`; no intervals = around the clock."""

    timezone: str = "UTC"
    weekly: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @property
    def always_open(self) -> bool:
        return not any(self.weekly.values())

    @classmethod
    def from_config(
        cls, timezone: str, hours: Mapping[str, object], holidays: Sequence[str]
    ) -> BusinessHours:
        """From stored JSON: `{"0": [["09:00", "17:00"]], ...}` and `["2026-12-25", ...]`."""
        weekly: dict[int, list[tuple[time, time]]] = {}
        for day, intervals in hours.items():
            if not isinstance(intervals, list):
                continue
            weekly[int(day)] = [
                (time.fromisoformat(str(start)), time.fromisoformat(str(end))) for start, end in intervals
            ]
        return cls(
            timezone=timezone, weekly=weekly, holidays=frozenset(date.fromisoformat(d) for d in holidays)
        )

    @classmethod
    def weekdays(cls, timezone: str, start: time, end: time, holidays: Sequence[date] = ()) -> BusinessHours:
        """Monday to Friday, `start` to `end`."""
        return cls(
            timezone=timezone, weekly={d: [(start, end)] for d in range(5)}, holidays=frozenset(holidays)
        )


def add_business_time(start: datetime, duration: timedelta, hours: BusinessHours) -> datetime | None:
    """The moment `duration` of business time has passed since `start` (UTC), or None if never.

    Intervals are laid on each local calendar day, converted to UTC, and consumed in order; a clock started
    outside business hours begins at the next opening.
    """
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    if hours.always_open:
        return (start + duration).astimezone(UTC)
    zone = ZoneInfo(hours.timezone)
    remaining = duration
    cursor = start.astimezone(UTC)
    day = cursor.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day not in hours.holidays:
            for opens, closes in sorted(hours.weekly.get(day.weekday(), ())):
                begin = datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
                end = datetime.combine(day, closes, tzinfo=zone).astimezone(UTC)
                begin = max(begin, cursor)
                if begin >= end:
                    continue
                if remaining <= end - begin:
                    return begin + remaining
                remaining -= end - begin
                cursor = end
        day += timedelta(days=1)
    return None


@dataclass(frozen=True)
class Targets:
    """Minutes of business time; None means no target of that kind."""

    first_response: int | None = DEFAULT_FIRST_RESPONSE_MINUTES
    next_response: int | None = None
    resolution: int | None = None


@dataclass(frozen=True)
class DueTimes:
    first_response: datetime | None
    next_response: datetime | None
    resolution: datetime | None


def due_times(
    *,
    created_at: datetime,
    waiting_since: datetime | None,
    first_reply_at: datetime | None,
    resolved: bool,
    targets: Targets,
    hours: BusinessHours,
) -> DueTimes:
    """Due times of a conversation from its facts.

    First response runs from creation until the first reply; next response runs from the moment the customer
    started waiting again (after a first reply); resolution runs from creation until resolved. Each depends
    only on when its clock started, so while the conversation waits its due times never move.
    """

    def due(start: datetime | None, minutes: int | None) -> datetime | None:
        if start is None or minutes is None:
            return None
        return add_business_time(start, timedelta(minutes=minutes), hours)

    if resolved:
        return DueTimes(None, None, None)
    first = due(created_at, targets.first_response) if first_reply_at is None else None
    following = due(waiting_since, targets.next_response) if first_reply_at is not None else None
    return DueTimes(first, following, due(created_at, targets.resolution))


class SlaState(StrEnum):
    OK = "ok"
    WARNING = "warning"
    BREACHED = "breached"


def warning_at(due: datetime, target_minutes: int) -> datetime:
    """When a warning is due: `WARNING_FRACTION` of the target before the due time (wall clock)."""
    return due - timedelta(minutes=target_minutes * WARNING_FRACTION)


def state(due: datetime | None, target_minutes: int | None, *, now: datetime) -> SlaState:
    if due is None or target_minutes is None:
        return SlaState.OK
    if now >= due:
        return SlaState.BREACHED
    if now >= warning_at(due, target_minutes):
        return SlaState.WARNING
    return SlaState.OK
