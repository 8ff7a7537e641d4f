"""Inbox reports: conversations, first response and resolution times (median, p90), SLA hit rate, by channel,
agent and team over a date range, a daily trend, computed in the analytics engine; and the Overview's two live
counts, read from the store of record (they must match the inbox's own filters to the second).

Scope: conversations CREATED between `start` and `end` (inclusive dates in the workspace's time zone) in which
the customer wrote at least once, minus those merged into another (their messages live on in the target). A
conversation the business opened that the customer never answered (a "ready for pickup" notice, an agent's
unanswered message) asked nothing: it has no response or resolution time to count, and counting it as resolved at
once drags every median towards zero. Times are wall-clock seconds, not business
time: "how long did the customer wait" is what a report reader means. The first-response due time comes from
the conversation's creation and its inbox's current SLA policy (`inbox.service.copy`: a policy edit re-copies
what it grades), so a policy edited later re-grades the past; that keeps one definition for every row.
Percentiles use linear interpolation between closest ranks (numpy's default).
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.auth import service as auth_service
from omnicx.inbox import sla
from omnicx.inbox.enums import ConversationStatus, MessageKind, MessagingChannel
from omnicx.inbox.errors import InvalidReportRange
from omnicx.inbox.labels import CHANNEL_LABELS
from omnicx.inbox.models import Conversation, Inbox, Message
from omnicx.inbox.schemas import ConversationSummary, InboxReport, ReportDay, ReportRow, SlaStatusCounts
from omnicx.inbox.service.copy import sla_clocks
from omnicx.kernel.dates import days, report_bounds
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import gettext

MAX_REPORT_DAYS = 731
NONE_KEY = "none"


#: One row per group: the whole range, each channel, agent, team and day (the grouping flags say which).
#: Durations in seconds; `on_time` is 1 or 0 once graded (answered, or past due unanswered), else NULL.
REPORT = """
WITH facts AS (
    SELECT
        CAST(timezone($tz, created_at) AS DATE) AS day,
        channel,
        coalesce(CAST(assignee_id AS VARCHAR), 'none') AS agent,
        coalesce(CAST(team_id AS VARCHAR), 'none') AS team,
        coalesce(person_id, id) AS person,
        CASE WHEN status = 'resolved' THEN 1 ELSE 0 END AS resolved,
        date_diff('microsecond', created_at, first_reply_at) / 1000000.0 AS first_response,
        CASE
            WHEN status = 'resolved' THEN date_diff('microsecond', created_at, resolved_at) / 1000000.0
        END AS resolution,
        CASE
            WHEN first_response_due_at IS NULL THEN NULL
            WHEN first_reply_at IS NOT NULL THEN CASE WHEN first_reply_at <= first_response_due_at THEN 1 ELSE 0 END
            WHEN first_response_due_at <= $now THEN 0
        END AS on_time
    FROM conversations
    WHERE created_at >= $since AND created_at < $until AND merged_into_id IS NULL
        AND id IN (SELECT conversation_id FROM messages WHERE kind = 'incoming')
)
SELECT
    grouping(channel), grouping(agent), grouping(team), grouping(day), channel, agent, team, day,
    count(*), sum(resolved),
    quantile_cont(first_response, 0.5), quantile_cont(first_response, 0.9),
    quantile_cont(resolution, 0.5), quantile_cont(resolution, 0.9),
    count(on_time), sum(on_time), count(DISTINCT person)
FROM facts
GROUP BY GROUPING SETS ((), (channel), (agent), (team), (day))
"""


@dataclass(frozen=True)
class _Group:
    """One group's measures as the engine computed them."""

    conversations: int
    resolved: int
    first_response: tuple[float | None, float | None]  # median, p90
    resolution: tuple[float | None, float | None]
    graded: int
    on_time: int
    customers: int = 0

    @property
    def hit_rate(self) -> float | None:
        return self.on_time / self.graded if self.graded else None

    def row(self, key: str, label: str) -> ReportRow:
        return ReportRow(
            key=key,
            label=label,
            conversations=self.conversations,
            resolved=self.resolved,
            open=self.conversations - self.resolved,
            first_response_median_seconds=self.first_response[0],
            first_response_p90_seconds=self.first_response[1],
            resolution_median_seconds=self.resolution[0],
            resolution_p90_seconds=self.resolution[1],
            sla_hit_rate=self.hit_rate,
            sla_breached=self.graded - self.on_time,
            customers=self.customers,
        )


_EMPTY = _Group(0, 0, (None, None), (None, None), 0, 0)


def _bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    return report_bounds(start, end, timezone, max_days=MAX_REPORT_DAYS, refuse=InvalidReportRange)


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _groups(
    session: Session, workspace_id: uuid.UUID, timezone: str, since: datetime, until: datetime, now: datetime
) -> dict[tuple[str, Any], _Group]:
    """Measures by (dimension, key): ("total", None), ("channel", "chat"), ("agent", id), ("team", id),
    ("day", date)."""
    rows = analytics_service.query(
        session,
        workspace_id=workspace_id,
        sql=REPORT,
        params={"tz": timezone, "since": since, "until": until, "now": now},
    )
    groups: dict[tuple[str, Any], _Group] = {}
    for row in rows:
        flags, keys, measures = row[:4], row[4:8], row[8:]
        dimension = next((name for name, flag in zip(DIMENSIONS, flags, strict=True) if not flag), "total")
        key = keys[DIMENSIONS.index(dimension)] if dimension != "total" else None
        count, resolved, fr_median, fr_p90, res_median, res_p90, graded, on_time, customers = measures
        groups[(dimension, key)] = _Group(
            conversations=int(count),
            resolved=int(resolved or 0),
            first_response=(_float(fr_median), _float(fr_p90)),
            resolution=(_float(res_median), _float(res_p90)),
            graded=int(graded or 0),
            on_time=int(on_time or 0),
            customers=int(customers or 0),
        )
    return groups


DIMENSIONS = ("channel", "agent", "team", "day")


def _grouped(
    groups: dict[tuple[str, Any], _Group], dimension: str, labels: dict[str, str]
) -> list[ReportRow]:
    rows = [
        group.row(key, labels.get(key, key)) for (name, key), group in groups.items() if name == dimension
    ]
    return sorted(rows, key=lambda r: (-r.conversations, r.label))


def _daily(groups: dict[tuple[str, Any], _Group], start: date, end: date) -> list[ReportDay]:
    daily: list[ReportDay] = []
    for day in days(start, end):
        group = groups.get(("day", day), _EMPTY)
        daily.append(
            ReportDay(
                day=day,
                conversations=group.conversations,
                resolved=group.resolved,
                sla_hit_rate=group.hit_rate,
            )
        )
    return daily


def report(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date, now: datetime | None = None
) -> InboxReport:
    """Conversations created from `start` to `end` (inclusive, workspace time zone), by channel, agent, team,
    computed in the analytics engine."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    since, until = _bounds(start, end, workspace.timezone)
    groups = _groups(session, workspace_id, workspace.timezone, since, until, now or utcnow())
    unassigned = gettext("Unassigned")
    agents = {
        str(m.id): m.name or m.email for m in auth_service.list_members(session, workspace_id=workspace_id)
    }
    teams = {str(t.id): t.name for t in auth_service.list_teams(session, workspace_id=workspace_id)}
    channels = {channel.value: gettext(label) for channel, label in CHANNEL_LABELS.items()}
    return InboxReport(
        workspace_id=workspace_id,
        start=start,
        end=end,
        timezone=workspace.timezone,
        totals=groups.get(("total", None), _EMPTY).row("all", gettext("All conversations")),
        by_channel=_grouped(groups, "channel", channels),
        by_agent=_grouped(groups, "agent", {**agents, NONE_KEY: unassigned}),
        by_team=_grouped(groups, "team", {**teams, NONE_KEY: gettext("No team")}),
        daily=_daily(groups, start, end),
    )


def report_csv(data: InboxReport) -> str:
    """One line per group (dimension = total, channel, agent or team) with every measure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = [name for name in ReportRow.model_fields if name not in ("key", "label")]
    writer.writerow(["dimension", "key", "label", *fields])
    groups = (
        ("total", [data.totals]),
        ("channel", data.by_channel),
        ("agent", data.by_agent),
        ("team", data.by_team),
    )
    for dimension, rows in groups:
        for row in rows:
            values = row.model_dump()
            writer.writerow(
                [dimension, row.key, row.label, *("" if values[f] is None else values[f] for f in fields)]
            )
    return buffer.getvalue()


def open_conversations_by_channel(session: Session, *, workspace_id: uuid.UUID) -> dict[str, int]:
    """Conversations not resolved now (open, pending, snoozed) per channel kind; every kind present."""
    counts = {kind.value: 0 for kind in MessagingChannel}
    rows = session.execute(
        select(Inbox.channel, func.count())
        .select_from(Conversation)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(Conversation.workspace_id == workspace_id, Conversation.status != ConversationStatus.RESOLVED)
        .group_by(Inbox.channel)
    ).all()
    for channel, count in rows:
        counts[channel.value] = int(count)
    return counts


def worst_sla_state(
    targets: sla.Targets,
    first: datetime | None,
    following: datetime | None,
    resolution: datetime | None,
    *,
    now: datetime,
) -> sla.SlaState:
    """The worst state of a conversation's running clocks, given its inbox's targets (none running = ok)."""
    states = [
        sla.state(first, targets.first_response, now=now),
        sla.state(following, targets.next_response, now=now),
        sla.state(resolution, targets.resolution, now=now),
    ]
    return max(states, key=_SLA_ORDER.index)


_SLA_ORDER = [sla.SlaState.OK, sla.SlaState.WARNING, sla.SlaState.BREACHED]


def conversation_sla_states(
    session: Session, *, workspace_id: uuid.UUID, conversations: list[ConversationSummary], now: datetime
) -> dict[uuid.UUID, sla.SlaState]:
    """Each listed conversation's worst running SLA clock: breached (past due), warning (less than the policy's
    warning share of its target left) or ok; resolved ones are ok (their clocks stopped)."""
    clocks = sla_clocks(session, workspace_id)
    found: dict[uuid.UUID, sla.SlaState] = {}
    for c in conversations:
        if c.status is ConversationStatus.RESOLVED or c.inbox_id not in clocks:
            found[c.id] = sla.SlaState.OK
            continue
        found[c.id] = worst_sla_state(
            clocks[c.inbox_id][0],
            c.first_response_due_at,
            c.next_response_due_at,
            c.resolution_due_at,
            now=now,
        )
    return found


def sla_status(session: Session, *, workspace_id: uuid.UUID, now: datetime | None = None) -> SlaStatusCounts:
    """Unresolved conversations by the worst state of their running SLA clocks (none running = on track)."""
    now = now or utcnow()
    clocks = sla_clocks(session, workspace_id)
    rows = session.execute(
        select(
            Conversation.inbox_id,
            Conversation.first_response_due_at,
            Conversation.next_response_due_at,
            Conversation.resolution_due_at,
        ).where(Conversation.workspace_id == workspace_id, Conversation.status != ConversationStatus.RESOLVED)
    ).all()
    counts = {sla.SlaState.OK: 0, sla.SlaState.WARNING: 0, sla.SlaState.BREACHED: 0}
    for inbox_id, first, following, resolution in rows:
        counts[worst_sla_state(clocks[inbox_id][0], first, following, resolution, now=now)] += 1
    return SlaStatusCounts(
        on_track=counts[sla.SlaState.OK],
        warning=counts[sla.SlaState.WARNING],
        breached=counts[sla.SlaState.BREACHED],
    )


def sentiment_by_channel(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date
) -> dict[str, tuple[float, int]]:
    """Per channel: the mean sentiment (-1 to 1) of the customers' messages received from `start` to `end`
    (inclusive, the workspace's days) and how many were scored. Read from the store of record: the analytics
    copy keeps no message text nor its score."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    since, until = _bounds(start, end, workspace.timezone)
    rows = session.execute(
        select(Inbox.channel, func.avg(Message.sentiment), func.count(Message.sentiment))
        .join(Inbox, Inbox.id == Message.inbox_id)
        .where(
            Message.workspace_id == workspace_id,
            Message.kind == MessageKind.INCOMING,
            Message.sentiment.is_not(None),
            Message.created_at >= since,
            Message.created_at < until,
        )
        .group_by(Inbox.channel)
    ).all()
    return {MessagingChannel(channel).value: (float(mean), int(count)) for channel, mean, count in rows}
