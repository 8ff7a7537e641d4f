"""The Overview page: the workspace's story for a date range, each number linking to the page that explains it."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from omnicx.attribution import service as attribution_service
from omnicx.auth import service as auth_service
from omnicx.auth.enums import AuthTopic
from omnicx.commerce.enums import CommerceTopic
from omnicx.inbox.enums import InboxTopic
from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render
from omnicx.overview import service
from omnicx.overview.schemas import OverviewQuery, Section
from omnicx.overview.service.charts import SERIES_LABELS
from omnicx.tracking.enums import TrackingTopic

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [NavItem("overview", N_("Overview"), "/", Action.OVERVIEW_READ, 0)]

# Topics the live activity feed lists; the SSE endpoint drops those the reader's role may not see.
FEED_TOPICS: list[str] = [
    InboxTopic.CONVERSATION_CREATED,
    InboxTopic.MESSAGE_CREATED,
    CommerceTopic.ORDER,
    CommerceTopic.STOCK,
    TrackingTopic.EVENTS,
    AuthTopic.AUDIT_RECORDED,
    KernelTopic.JOB_DEAD,
]
Metric = Literal["contacts", "qualified", "sales", "revenue"]


def _query(date_from: date | None, date_to: date | None) -> tuple[OverviewQuery, str | None]:
    start, end = attribution_service.default_range()
    try:
        return OverviewQuery(date_from=date_from or start, date_to=date_to or end), None
    except ValidationError as exc:
        return OverviewQuery(date_from=start, date_to=end), str(exc.errors()[0]["msg"])


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.OVERVIEW_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
    metric: Metric = "sales",
) -> HTMLResponse:
    query, error = _query(date_from, date_to)
    data = service.overview(
        session,
        workspace_id=principal.workspace_id,
        query=query,
        sections=service.sections_for(principal.role),
    )
    specs = {
        chart.value: json.dumps(service.chart_spec(data, chart, metric=metric, titled=False))
        for chart in service.Chart
        if Section.CHANNELS in data.sections
    }
    params = {"date_from": query.date_from.isoformat(), "date_to": query.date_to.isoformat()}
    context = {
        "data": data,
        "error": error,
        "metric": metric,
        "metrics": SERIES_LABELS,
        "specs": specs,
        "range_query": urlencode(params),
        "feed_topics": FEED_TOPICS,
        "KernelTopic": KernelTopic,
        **_team_cards(session, principal),
    }
    return render(request, "overview/index.html", context)


def _team_cards(session: SessionDep, principal: Principal) -> dict[str, object]:
    """Members by role for everyone; background jobs and recent changes for those allowed to see them."""
    members = auth_service.list_members(session, workspace_id=principal.workspace_id)
    roles = {role.value: sum(1 for m in members if m.role is role) for role in Role}
    return {
        "members": members,
        "roles": {role: count for role, count in roles.items() if count},
        "job_stats": jobs_service.stats(session, workspace_id=principal.workspace_id)
        if allows(principal.role, Action.JOBS_READ)
        else None,
        "audit": auth_service.list_audit(session, workspace_id=principal.workspace_id, limit=8).items
        if allows(principal.role, Action.AUDIT_READ)
        else None,
    }
