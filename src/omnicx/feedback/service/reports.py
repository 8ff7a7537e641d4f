"""The CSAT report: surveys of the conversations resolved in a range of the workspace's days, grouped by the
agent, team, inbox or channel that handled them (as they were at the resolution).

CSAT is the share of answers rated 4 or 5 (the usual top-two-box definition); the average rating and the
response rate (answers per question asked) are given beside it. A survey planned but not yet asked counts in
neither.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.feedback.enums import CsatGroup
from omnicx.feedback.models import CsatSurvey
from omnicx.feedback.schemas import CsatReport, CsatRow, CsatSurveyPublic
from omnicx.feedback.scores import wilson
from omnicx.inbox import service as inbox_service
from omnicx.kernel.dates import report_bounds
from omnicx.kernel.errors import Invalid

MAX_DAYS = 731
SATISFIED = 4  # ratings of 4 and 5 count as satisfied
COMMENTS = 20


def _column(group: CsatGroup) -> Any:
    return {
        CsatGroup.AGENT: CsatSurvey.agent_id,
        CsatGroup.TEAM: CsatSurvey.team_id,
        CsatGroup.INBOX: CsatSurvey.inbox_id,
        CsatGroup.CHANNEL: CsatSurvey.channel,
    }[group]


def csat_report(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date, group: CsatGroup = CsatGroup.AGENT
) -> CsatReport:
    """Questions asked, answers, CSAT and average rating per group, with the rating distribution and the
    latest comments, for conversations resolved from `start` to `end` (inclusive, the workspace's days)."""
    tz = auth_service.get_workspace(session, workspace_id=workspace_id).timezone
    lower, upper = report_bounds(start, end, tz, max_days=MAX_DAYS, refuse=Invalid)
    scope = (
        CsatSurvey.workspace_id == workspace_id,
        CsatSurvey.asked_at.is_not(None),
        CsatSurvey.resolved_at >= lower,
        CsatSurvey.resolved_at < upper,
    )
    key = _column(group)
    measures = (
        func.count(),
        func.count(CsatSurvey.rating),
        func.sum(case((CsatSurvey.rating >= SATISFIED, 1), else_=0)),
        func.avg(CsatSurvey.rating),
    )
    grouped = session.execute(select(key, *measures).where(*scope).group_by(key)).all()
    names = _names(session, workspace_id, group)
    rows = [_row(str(k) if k is not None else "", names(k), *m) for k, *m in grouped]
    rows.sort(key=lambda r: (-r.answered, r.label))
    total = session.execute(select(*measures).where(*scope)).one()
    distribution = Counter(
        dict(
            session.execute(
                select(CsatSurvey.rating, func.count()).where(*scope).group_by(CsatSurvey.rating)
            ).all()
        )
    )
    latest = session.scalars(
        select(CsatSurvey)
        .where(*scope, CsatSurvey.comment != "")
        .order_by(CsatSurvey.answered_at.desc())
        .limit(COMMENTS)
    )
    return CsatReport(
        start=start,
        end=end,
        group=group,
        total=_row("", "", *total),
        rows=rows,
        distribution={r: int(distribution.get(r, 0)) for r in range(1, 6)},
        comments=[CsatSurveyPublic.model_validate(s) for s in latest],
    )


def _row(key: str, label: str, asked: int, answered: int, satisfied: Any, average: Any) -> CsatRow:
    satisfied = int(satisfied or 0)
    interval = wilson(satisfied, answered)
    return CsatRow(
        key=key,
        label=label,
        asked=asked,
        answered=answered,
        satisfied=satisfied,
        average=round(float(average), 2) if average is not None else None,
        csat=round(satisfied / answered, 4) if answered else None,
        csat_low=round(interval.low, 4) if interval else None,
        csat_high=round(interval.high, 4) if interval else None,
        response_rate=round(answered / asked, 4) if asked else None,
    )


def _names(session: Session, workspace_id: uuid.UUID, group: CsatGroup) -> Callable[[Any], str]:
    """The label of each group's key: a member's name, a team's or inbox's name; a channel keeps its key (the
    page names it in the reader's language)."""
    if group is CsatGroup.AGENT:
        members = auth_service.list_members(session, workspace_id=workspace_id)
        known = {m.id: m.name or m.email for m in members}
    elif group is CsatGroup.TEAM:
        known = {t.id: t.name for t in auth_service.list_teams(session, workspace_id=workspace_id)}
    elif group is CsatGroup.INBOX:
        known = {i.id: i.name for i in inbox_service.list_inboxes(session, workspace_id=workspace_id)}
    else:
        return lambda key: str(key or "")
    return lambda key: known.get(key, "") if key is not None else ""


def report_csv(report: CsatReport) -> str:
    """The report's rows as CSV (one line per group, then the total)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    header = ["asked", "answered", "satisfied", "csat", "csat_low", "csat_high", "average", "response_rate"]
    writer.writerow([report.group.value, *header])
    for row in [*report.rows, report.total.model_copy(update={"label": "total"})]:
        writer.writerow(
            [
                row.label or row.key,
                row.asked,
                row.answered,
                row.satisfied,
                row.csat,
                row.csat_low,
                row.csat_high,
                row.average,
                row.response_rate,
            ]
        )
    return buffer.getvalue()
