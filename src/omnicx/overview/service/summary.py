"""The Overview's numbers, read through each domain's public service so they are the same numbers the
Attribution, Inbox and Commerce pages show for the same range (a test holds them to it)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import date as date_
from datetime import datetime

from sqlalchemy.orm import Session

from omnicx.analytics import service as analytics_service
from omnicx.attribution import service as attribution_service
from omnicx.attribution.schemas import AttributionReport, Model, ReportQuery, StageCredit, StageKey
from omnicx.auth import service as auth_service
from omnicx.commerce import service as commerce_service
from omnicx.inbox import service as inbox_service
from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.dates import day_bounds, days
from omnicx.overview.schemas import (
    ChannelSummary,
    InboxStatus,
    OverviewPublic,
    OverviewQuery,
    Section,
    ServiceSummary,
    StageNumbers,
    TrendPoint,
)
from omnicx.tracking import service as tracking_service

#: Sessions per day (in the workspace's time zone) and channel, from the analytics copy.
SESSIONS_PER_DAY = """
SELECT CAST(timezone($tz, started_at) AS DATE) AS day, channel, count(*) FROM sessions
WHERE started_at >= $since AND started_at < $until
GROUP BY ALL
"""

#: The currency most orders were placed in: those of the range first, then any (a quiet range still shows the
#: workspace's usual currency).
MAIN_CURRENCY = """
SELECT currency FROM orders
GROUP BY currency
ORDER BY sum(CASE WHEN created_at >= $since AND created_at < $until THEN 1 ELSE 0 END) DESC, count(*) DESC, currency
LIMIT 1
"""

#: Stage keys as the Overview names them.
STAGE_FIELDS = {StageKey.CONTACT: "contacts", StageKey.QUALIFIED: "qualified", StageKey.SALE: "sales"}


SECTION_ACTIONS = {
    Section.CHANNELS: Action.ATTRIBUTION_READ,
    Section.INBOX: Action.INBOX_READ,
    Section.SERVICE: Action.INBOX_REPORTS_READ,
    Section.STOCK: Action.COMMERCE_READ,
    Section.PROCESSING: Action.TRACKING_READ,
}


def sections_for(role: Role) -> set[Section]:
    """The Overview parts `role` may read: each part needs the permission of the page that explains it."""
    return {section for section, action in SECTION_ACTIONS.items() if allows(role, action)}


def overview(
    session: Session, *, workspace_id: uuid.UUID, query: OverviewQuery, sections: Collection[Section]
) -> OverviewPublic:
    """Everything the Overview shows for `query`'s range, limited to `sections` (what the reader's role may see)."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    result = OverviewPublic(
        date_from=query.date_from,
        date_to=query.date_to,
        timezone=workspace.timezone,
        sections=[s for s in Section if s in sections],
    )
    if Section.CHANNELS in sections:
        _fill_channels(session, workspace_id, workspace.timezone, query, result)
    if Section.INBOX in sections:
        result.inbox = _inbox_status(session, workspace_id)
    if Section.SERVICE in sections:
        result.service = _service(session, workspace_id, query)
    if Section.STOCK in sections:
        result.stock_alerts = commerce_service.stock_alerts(session, workspace_id=workspace_id)
    if Section.PROCESSING in sections:
        result.processing = tracking_service.processing_backlog(session, workspace_id=workspace_id)
    return result


def _numbers(stages: dict[StageKey, StageCredit], touch: str) -> StageNumbers:
    """First- or last-touch credit of one channel, by stage, and its revenue."""
    sale = stages[StageKey.SALE]
    return StageNumbers(
        contacts=getattr(stages[StageKey.CONTACT], touch),
        qualified=getattr(stages[StageKey.QUALIFIED], touch),
        sales=getattr(sale, touch),
        revenue=getattr(sale, f"value_{touch}"),
    )


def _fill_channels(
    session: Session, workspace_id: uuid.UUID, tz: str, query: OverviewQuery, result: OverviewPublic
) -> None:
    # First- and last-touch columns do not depend on the model; linear is the cheapest to run alongside them.
    report_query = ReportQuery(date_from=query.date_from, date_to=query.date_to, model=Model.LINEAR)
    report = attribution_service.report(session, workspace_id=workspace_id, query=report_query)
    result.sessions = report.sessions
    result.totals = _totals(report)
    result.currency = _main_currency(session, workspace_id, tz, query)
    result.channels = [
        ChannelSummary(
            channel=row.channel,
            sessions=row.sessions,
            first_touch=_numbers(row.stages, "first"),
            last_touch=_numbers(row.stages, "last"),
        )
        for row in report.channels
    ]
    result.sessions_trend = _sessions_trend(session, workspace_id, tz, query)
    daily = attribution_service.daily_conversions(
        session, workspace_id=workspace_id, date_from=query.date_from, date_to=query.date_to
    )
    result.conversions_trend = _filled(
        query, {(p.day, STAGE_FIELDS[p.stage]): float(p.conversions) for p in daily}, STAGE_FIELDS.values()
    )
    result.revenue_trend = _filled(
        query, {(p.day, "revenue"): p.value for p in daily if p.stage is StageKey.SALE}, ["revenue"]
    )


def _totals(report: AttributionReport) -> StageNumbers:
    totals = report.totals
    return StageNumbers(
        contacts=totals[StageKey.CONTACT].conversions,
        qualified=totals[StageKey.QUALIFIED].conversions,
        sales=totals[StageKey.SALE].conversions,
        revenue=totals[StageKey.SALE].value,
    )


def _main_currency(session: Session, workspace_id: uuid.UUID, tz: str, query: OverviewQuery) -> str | None:
    """The currency the revenue figures are in: the one most of the workspace's orders use (module SQL)."""
    since, until = day_bounds(query.date_from, query.date_to, tz)
    rows = analytics_service.query(
        session, workspace_id=workspace_id, sql=MAIN_CURRENCY, params={"since": since, "until": until}
    )
    return str(rows[0][0]) if rows and rows[0][0] else None


def sessions_per_day(session: Session, *, workspace_id: uuid.UUID, query: OverviewQuery) -> list[TrendPoint]:
    """Sessions per day (workspace time zone) and channel over `query`'s range, zero on quiet days: the
    Overview's sessions chart on its own, for a dashboard or a spreadsheet."""
    workspace = auth_service.get_workspace(session, workspace_id=workspace_id)
    return _sessions_trend(session, workspace_id, workspace.timezone, query)


def _sessions_trend(
    session: Session, workspace_id: uuid.UUID, tz: str, query: OverviewQuery
) -> list[TrendPoint]:
    start, end = day_bounds(query.date_from, query.date_to, tz)
    counts = _sessions_per_day(session, workspace_id=workspace_id, since=start, until=end, tz=tz)
    channels = sorted({channel for _, channel in counts})
    return _filled(query, {key: float(n) for key, n in counts.items()}, channels)


def _sessions_per_day(
    session: Session, *, workspace_id: uuid.UUID, since: datetime, until: datetime, tz: str
) -> dict[tuple[date_, str], int]:
    """Sessions started in [since, until) per day (in `tz`) and channel."""
    rows = analytics_service.query(
        session,
        workspace_id=workspace_id,
        sql=SESSIONS_PER_DAY,
        params={"since": since, "until": until, "tz": tz},
    )
    return {(day, channel): int(n) for day, channel, n in rows}


def _filled(
    query: OverviewQuery, values: dict[tuple[date_, str], float], series: Collection[str]
) -> list[TrendPoint]:
    """One point per day and series, zero where nothing happened (a line that skips quiet days misleads)."""
    return [
        TrendPoint(day=day, series=name, value=values.get((day, name), 0.0))
        for day in days(query.date_from, query.date_to)
        for name in series
    ]


def _inbox_status(session: Session, workspace_id: uuid.UUID) -> InboxStatus:
    sla = inbox_service.sla_status(session, workspace_id=workspace_id)
    return InboxStatus(
        open_by_channel=inbox_service.open_conversations_by_channel(session, workspace_id=workspace_id),
        sla_on_track=sla.on_track,
        sla_warning=sla.warning,
        sla_breached=sla.breached,
    )


def _service(session: Session, workspace_id: uuid.UUID, query: OverviewQuery) -> ServiceSummary:
    totals = inbox_service.report(
        session, workspace_id=workspace_id, start=query.date_from, end=query.date_to
    ).totals
    return ServiceSummary(
        conversations=totals.conversations,
        resolved=totals.resolved,
        first_response_median_seconds=totals.first_response_median_seconds,
        sla_hit_rate=totals.sla_hit_rate,
    )
