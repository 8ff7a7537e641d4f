"""Calendar days in a workspace's time zone: reports take inclusive day ranges, the database stores UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_bounds(date_from: date, date_to: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the inclusive days `date_from`..`date_to` as lived in `tz` (DST-aware)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(date_from, time.min, zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def report_bounds(
    start: date, end: date, tz: str, *, max_days: int, refuse: Callable[[str], Exception]
) -> tuple[datetime, datetime]:
    """`day_bounds` for a report's range as a user typed it: a range that runs backwards, covers more than
    `max_days` or ends on the calendar's last day (the next has no date) is refused with `refuse(message)`."""
    if start > end:
        raise refuse("the start date is after the end date")
    if (end - start).days + 1 > max_days:
        raise refuse(f"a report covers at most {max_days} days")
    try:
        return day_bounds(start, end, tz)
    except OverflowError as exc:
        raise refuse("the dates are out of range") from exc


def days(date_from: date, date_to: date) -> list[date]:
    """Every day of an inclusive range, so trend charts show quiet days as zero rather than skipping them."""
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
