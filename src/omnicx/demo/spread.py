"""Does the seeded world look lived in? Its conversations and orders must be spread over the seeded period: no
day may hold more than a set share of them (a crowd on one day is what a seeding bug looks like: everything
stamped with the seeding time, or a rush of orders at the end). `omnicx demo --check` runs it beside the
integrity check.

The seeded history is what was created before the demo workspace was (the seeding stamps its history up to the
moment it starts); what the live simulation adds afterwards is not judged. The counts are read from the
analytics copy (the seeding brings it up to date before it returns), per day of the workspace's time zone.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service

#: No day may hold more than this share of the period's conversations, or of its orders.
MAX_DAY_SHARE = 0.10
#: Fewer than this many are too few to judge a spread by (four conversations on one day are not a crowd).
MIN_JUDGED = 20

#: What is counted per day: each copy table, and which of its rows count.
COUNTED = {
    "conversations": "SELECT CAST(timezone($tz, created_at) AS DATE), count(*) FROM conversations "
    "WHERE created_at < $until AND merged_into_id IS NULL GROUP BY 1",
    "orders": "SELECT CAST(timezone($tz, created_at) AS DATE), count(*) FROM orders "
    "WHERE created_at < $until GROUP BY 1",
}


@dataclass(frozen=True)
class Crowd:
    """A day holding more than its share: `count` of the period's `total` things of a kind."""

    what: str
    day: date
    count: int
    total: int

    def sentence(self, share: float = MAX_DAY_SHARE) -> str:
        return (
            f"{self.count} of {self.total} {self.what} ({self.count / self.total:.0%}) are on {self.day}: "
            f"a day may hold at most {share:.0%} of the seeded period's"
        )


def crowded_days(
    what: str, per_day: Mapping[date, int], *, share: float = MAX_DAY_SHARE, minimum: int = MIN_JUDGED
) -> list[Crowd]:
    """The days of `per_day` (things of kind `what` per day) holding more than `share` of them all, in date
    order; none when there are fewer than `minimum` in all. Pure."""
    total = sum(per_day.values())
    if total < minimum:
        return []
    return [Crowd(what, day, count, total) for day, count in sorted(per_day.items()) if count > share * total]


def check_spread(
    session: Session, *, workspace_id: uuid.UUID, until: datetime | None = None, share: float = MAX_DAY_SHARE
) -> list[str]:
    """Each day of the seeded history (before `until`, default the workspace's creation) holding more than
    `share` of its conversations or of its orders, as a sentence; an empty list when the world is spread."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    params = {"tz": workspace.timezone, "until": until or workspace.created_at}
    problems: list[str] = []
    for what, sql in COUNTED.items():
        rows = analytics_service.query(session, workspace_id=workspace_id, sql=sql, params=params)
        per_day = {day: int(count) for day, count in rows}
        problems.extend(crowd.sentence(share) for crowd in crowded_days(what, per_day, share=share))
    return problems
