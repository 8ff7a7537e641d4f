"""The inbox report as it was computed before the analytics engine: each conversation read from the store of
record and graded in Python. Kept as the oracle the engine's answers are held to."""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.identity import service as identity_service
from omnicx.inbox import sla
from omnicx.inbox.enums import ConversationStatus, MessageKind, MessagingChannel
from omnicx.inbox.models import Conversation, Inbox, Message
from omnicx.inbox.schemas import InboxReport, ReportDay, ReportRow
from omnicx.inbox.service.copy import sla_clocks
from omnicx.inbox.service.reports import NONE_KEY, _bounds
from omnicx.kernel.dates import days
from omnicx.kernel.db import utcnow
from omnicx.kernel.i18n import gettext


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
    person: uuid.UUID  # the customer today (merged ids followed), or the conversation itself without one


def median(values: list[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: list[float]) -> float | None:
    """The 90th percentile with linear interpolation between closest ranks (numpy.percentile's default)."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return float(statistics.quantiles(values, n=10, method="inclusive")[-1])


def _facts(
    session: Session, workspace_id: uuid.UUID, timezone: str, since: datetime, until: datetime, now: datetime
) -> list[_Fact]:
    clocks = sla_clocks(session, workspace_id)
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
            Conversation.customer_id,
            Conversation.id,
        )
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.created_at >= since,
            Conversation.created_at < until,
            Conversation.merged_into_id.is_(None),
            Conversation.id.in_(select(Message.conversation_id).where(Message.kind == MessageKind.INCOMING)),
        )
    ).all()
    known = {row.customer_id for row in rows if row.customer_id is not None}
    current = identity_service.current_customer_ids(session, workspace_id=workspace_id, customer_ids=known)
    facts: list[_Fact] = []
    for (
        created,
        replied,
        resolved_at,
        status,
        assignee,
        team,
        inbox_id,
        channel,
        customer,
        conversation,
    ) in rows:
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
                person=current.get(customer, customer) if customer else conversation,
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
        customers=len({f.person for f in facts}),
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


def inbox_report(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date, now: datetime | None = None
) -> InboxReport:
    """The inbox report as it was computed before the engine: conversation by conversation in Python."""
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
