"""Inbox reports: conversations, first response and resolution times (median, p90), SLA hit rate, by channel,
agent and team over a date range, a daily trend; and the Overview's two live counts.

Scope: conversations CREATED between `start` and `end` (inclusive dates in the workspace's time zone), minus
those merged into another (their messages live on in the target). Times are wall-clock seconds, not business
time: "how long did the customer wait" is what a report reader means. The first-response due time is recomputed
from the conversation's creation and its inbox's current SLA policy (the stored due time is cleared once
answered), so a policy edited later re-grades the past; that keeps one definition for every row.
Percentiles use linear interpolation between closest ranks (numpy's default, `statistics` "inclusive").
"""

from __future__ import annotations

import csv
import io
import statistics
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.inbox import sla
from omnicx.inbox.enums import ConversationStatus, MessagingChannel
from omnicx.inbox.errors import InvalidReportRange
from omnicx.inbox.models import Conversation, Inbox, SlaPolicy
from omnicx.inbox.schemas import InboxReport, ReportDay, ReportRow, SlaStatusCounts
from omnicx.kernel.dates import day_bounds, days
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import gettext

MAX_REPORT_DAYS = 731
NONE_KEY = "none"


@dataclass(frozen=True)
class _Fact:
    """What a report needs of one conversation."""

    created_at: datetime
    day: date
    channel: str
    agent: str
    team: str
    resolved: bool
    first_response_seconds: float | None
    resolution_seconds: float | None
    on_time: bool | None  # None: not answered yet and not past due (not counted in the hit rate)


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile with linear interpolation between closest ranks (numpy.percentile's default)."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=10, method="inclusive")[-1])


def _clocks(
    session: Session, workspace_id: uuid.UUID, timezone: str
) -> dict[uuid.UUID, tuple[sla.Targets, sla.BusinessHours]]:
    """Each inbox's SLA targets and business hours (the default policy for inboxes without one)."""
    clocks: dict[uuid.UUID, tuple[sla.Targets, sla.BusinessHours]] = {}
    rows = session.execute(
        select(Inbox.id, SlaPolicy)
        .outerjoin(SlaPolicy, SlaPolicy.id == Inbox.sla_policy_id)
        .where(Inbox.workspace_id == workspace_id)
    ).all()
    for inbox_id, policy in rows:
        if policy is None:
            clocks[inbox_id] = (sla.Targets(), sla.BusinessHours(timezone=timezone))
            continue
        clocks[inbox_id] = (
            sla.Targets(
                first_response=policy.first_response_minutes,
                next_response=policy.next_response_minutes,
                resolution=policy.resolution_minutes,
            ),
            sla.BusinessHours.from_config(
                timezone, policy.business_hours or {}, (policy.holidays or {}).get("dates", [])
            ),
        )
    return clocks


def _bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    if start > end:
        raise InvalidReportRange("the start date is after the end date")
    if (end - start).days + 1 > MAX_REPORT_DAYS:
        raise InvalidReportRange(f"a report covers at most {MAX_REPORT_DAYS} days")
    return day_bounds(start, end, timezone)


def _facts(
    session: Session, workspace_id: uuid.UUID, timezone: str, since: datetime, until: datetime, now: datetime
) -> list[_Fact]:
    clocks = _clocks(session, workspace_id, timezone)
    zone = ZoneInfo(timezone)
    rows = session.execute(
        select(
            Conversation.created_at,
            Conversation.first_reply_at,
            Conversation.resolved_at,
            Conversation.status,
            Conversation.assignee_id,
            Conversation.team_id,
            Conversation.inbox_id,
            Inbox.channel,
        )
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.created_at >= since,
            Conversation.created_at < until,
            Conversation.merged_into_id.is_(None),
        )
    ).all()
    facts: list[_Fact] = []
    for created, replied, resolved_at, status, assignee, team, inbox_id, channel in rows:
        targets, hours = clocks[inbox_id]
        due = None
        if targets.first_response is not None:
            due = sla.add_business_time(created, timedelta(minutes=targets.first_response), hours)
        on_time: bool | None = None
        if due is not None and (replied is not None or due <= now):
            on_time = replied is not None and replied <= due
        resolved = status is ConversationStatus.RESOLVED
        facts.append(
            _Fact(
                created_at=created,
                day=created.astimezone(zone).date(),
                channel=channel.value,
                agent=str(assignee) if assignee else NONE_KEY,
                team=str(team) if team else NONE_KEY,
                resolved=resolved,
                first_response_seconds=(replied - created).total_seconds() if replied else None,
                resolution_seconds=(resolved_at - created).total_seconds()
                if resolved and resolved_at
                else None,
                on_time=on_time,
            )
        )
    return facts


def _hit_rate(facts: Iterable[_Fact]) -> tuple[float | None, int]:
    graded = [f.on_time for f in facts if f.on_time is not None]
    if not graded:
        return None, 0
    hits = sum(1 for g in graded if g)
    return hits / len(graded), len(graded) - hits


def _row(key: str, label: str, facts: list[_Fact]) -> ReportRow:
    first = [f.first_response_seconds for f in facts if f.first_response_seconds is not None]
    resolution = [f.resolution_seconds for f in facts if f.resolution_seconds is not None]
    rate, breached = _hit_rate(facts)
    resolved = sum(1 for f in facts if f.resolved)
    return ReportRow(
        key=key,
        label=label,
        conversations=len(facts),
        resolved=resolved,
        open=len(facts) - resolved,
        first_response_median_seconds=median(first),
        first_response_p90_seconds=p90(first),
        resolution_median_seconds=median(resolution),
        resolution_p90_seconds=p90(resolution),
        sla_hit_rate=rate,
        sla_breached=breached,
    )


def _grouped(facts: list[_Fact], key: Callable[[_Fact], str], labels: dict[str, str]) -> list[ReportRow]:
    groups: dict[str, list[_Fact]] = {}
    for fact in facts:
        groups.setdefault(key(fact), []).append(fact)
    rows = [_row(k, labels.get(k, k), v) for k, v in groups.items()]
    return sorted(rows, key=lambda r: (-r.conversations, r.label))


def _daily(facts: list[_Fact], start: date, end: date) -> list[ReportDay]:
    by_day: dict[date, list[_Fact]] = {}
    for fact in facts:
        by_day.setdefault(fact.day, []).append(fact)
    daily: list[ReportDay] = []
    for day in days(start, end):
        group = by_day.get(day, [])
        daily.append(
            ReportDay(
                day=day,
                conversations=len(group),
                resolved=sum(1 for f in group if f.resolved),
                sla_hit_rate=_hit_rate(group)[0],
            )
        )
    return daily


def report(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date, now: datetime | None = None
) -> InboxReport:
    """Conversations created from `start` to `end` (inclusive, workspace time zone), by channel, agent, team."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    since, until = _bounds(start, end, workspace.timezone)
    facts = _facts(session, workspace_id, workspace.timezone, since, until, now or utcnow())
    unassigned = gettext("Unassigned")
    agents = {
        str(m.id): m.name or m.email for m in auth_service.list_members(session, workspace_id=workspace_id)
    }
    teams = {str(t.id): t.name for t in auth_service.list_teams(session, workspace_id=workspace_id)}
    channels = {
        MessagingChannel.CHAT.value: gettext("Live chat"),
        MessagingChannel.EMAIL.value: gettext("Email"),
    }
    return InboxReport(
        workspace_id=workspace_id,
        start=start,
        end=end,
        timezone=workspace.timezone,
        totals=_row("all", gettext("All conversations"), facts),
        by_channel=_grouped(facts, lambda f: f.channel, channels),
        by_agent=_grouped(facts, lambda f: f.agent, {**agents, NONE_KEY: unassigned}),
        by_team=_grouped(facts, lambda f: f.team, {**teams, NONE_KEY: gettext("No team")}),
        daily=_daily(facts, start, end),
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


def sla_status(session: Session, *, workspace_id: uuid.UUID, now: datetime | None = None) -> SlaStatusCounts:
    """Unresolved conversations by the worst state of their running SLA clocks (none running = on track)."""
    now = now or utcnow()
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    clocks = _clocks(session, workspace_id, workspace.timezone)
    rows = session.execute(
        select(
            Conversation.inbox_id,
            Conversation.first_response_due_at,
            Conversation.next_response_due_at,
            Conversation.resolution_due_at,
        ).where(Conversation.workspace_id == workspace_id, Conversation.status != ConversationStatus.RESOLVED)
    ).all()
    counts = {sla.SlaState.OK: 0, sla.SlaState.WARNING: 0, sla.SlaState.BREACHED: 0}
    order = [sla.SlaState.OK, sla.SlaState.WARNING, sla.SlaState.BREACHED]
    for inbox_id, first, following, resolution in rows:
        targets = clocks[inbox_id][0]
        states = [
            sla.state(first, targets.first_response, now=now),
            sla.state(following, targets.next_response, now=now),
            sla.state(resolution, targets.resolution, now=now),
        ]
        counts[max(states, key=order.index)] += 1
    return SlaStatusCounts(
        on_track=counts[sla.SlaState.OK],
        warning=counts[sla.SlaState.WARNING],
        breached=counts[sla.SlaState.BREACHED],
    )
