"""The Overview page: the workspace's story for a date range, each number linking to the page that explains it."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from omnicx.attribution import service as attribution_service
from omnicx.auth import service as auth_service
from omnicx.auth.enums import AuthTopic
from omnicx.commerce.enums import CommerceTopic
from omnicx.inbox.enums import InboxTopic
from omnicx.kernel.access.permissions import Action, Role, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import gettext
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.jobs import service as jobs_service
from omnicx.kernel.realtime.topics import KernelTopic
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import redirect_or_page
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render
from omnicx.overview import service
from omnicx.overview.schemas import BenchmarkUpdate, OverviewQuery, ScoreMetric, Section
from omnicx.overview.service.charts import SERIES_LABELS
from omnicx.tracking.enums import TrackingTopic

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [
    NavItem("overview", N_("Overview"), "/", Action.OVERVIEW_READ, 0),
    NavItem("scorecard", N_("CX scorecard"), "/overview/scorecard", Action.INBOX_REPORTS_READ, 47),
]

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


# --- The CX scorecard -------------------------------------------------------------------------------------------

ScoreReader = Annotated[Principal, require(Action.INBOX_REPORTS_READ)]
BenchmarkManager = Annotated[Principal, require(Action.FEEDBACK_MANAGE)]
#: How a benchmark is typed on the page: rates as percentages, times in hours, the rest as they are.
PERCENT, HOURS = service.PERCENT_METRICS, service.HOUR_METRICS


def _scorecard_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    query: OverviewQuery,
    metric: ScoreMetric,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    card = service.scorecard(
        session, workspace_id=principal.workspace_id, start=query.date_from, end=query.date_to
    )
    params = {"date_from": query.date_from.isoformat(), "date_to": query.date_to.isoformat()}
    context = {
        "card": card,
        "query": query,
        "metric": metric,
        "metrics": list(ScoreMetric),
        "metric_names": service.METRIC_NAMES,
        "percent_metrics": PERCENT,
        "hour_metrics": HOURS,
        "chart_json": json.dumps(service.scorecard_chart_spec(card, metric)),
        "range_query": urlencode(params),
        "can_set": allows(principal.role, Action.FEEDBACK_MANAGE),
        "error": error,
    }
    return render(request, "overview/scorecard.html", context, status=status)


@router.get("/overview/scorecard", response_class=HTMLResponse)
def scorecard_page(
    request: Request,
    session: SessionDep,
    principal: ScoreReader,
    date_from: date | None = None,
    date_to: date | None = None,
    metric: ScoreMetric = ScoreMetric.VOLUME,
) -> HTMLResponse:
    """Each touchpoint against its benchmarks and the period before, a chart of one metric, the benchmarks."""
    query, error = _query(date_from, date_to)
    return _scorecard_page(request, session, principal, query, metric, error=error)


@router.post("/overview/scorecard/benchmarks", response_class=HTMLResponse)
def set_benchmark(
    request: Request,
    session: SessionDep,
    principal: BenchmarkManager,
    metric: Annotated[ScoreMetric, Form()],
    value: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    """Set a benchmark as typed (percent, hours or a plain number); empty restores the default."""

    def save() -> object:
        typed = value.strip().replace(",", ".")
        try:
            number = None if not typed else float(typed)
        except ValueError:
            raise Invalid(gettext("The benchmark is a number.")) from None
        if number is not None and metric in PERCENT:
            number /= 100
        elif number is not None and metric in HOURS:
            number *= 3600
        return service.set_benchmark(
            session, workspace_id=principal.workspace_id, metric=metric, data=BenchmarkUpdate(value=number)
        )

    query, _ = _query(None, None)
    return redirect_or_page(
        save,
        to="/overview/scorecard#benchmarks",
        page=lambda message, code: _scorecard_page(
            request, session, principal, query, ScoreMetric.VOLUME, error=message, status=code
        ),
        session=session,
    )
