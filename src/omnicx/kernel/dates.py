"""Calendar days in a workspace's time zone: reports take inclusive day ranges, the database stores UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_bounds(date_from: date, date_to: date, tz: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC covering the inclusive days `date_from`..`date_to` as lived in `tz` (DST-aware)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(date_from, time.min, zone).astimezone(UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def days(date_from: date, date_to: date) -> list[date]:
    """Every day of an inclusive range, so trend charts show quiet days as zero rather than skipping them."""
    return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]
