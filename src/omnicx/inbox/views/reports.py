"""The inbox reports page: daily trend and response/resolution times per channel, agent or team, with exports."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from omnicx.inbox import service
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.forms import in_range
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

ReportReader = Annotated[Principal, require(Action.INBOX_REPORTS_READ)]
REPORT_DAYS = 30
REASON_DAYS = 90  # contact reasons change slowly: a quarter by default


@router.get("/inbox/reports", response_class=HTMLResponse)
def reports_page(
    request: Request,
    session: SessionDep,
    principal: ReportReader,
    date_from: date | None = None,
    date_to: date | None = None,
    dimension: str = "channel",
) -> HTMLResponse:
    """Inbox reports: daily trend and response/resolution times per channel, agent or team, with exports."""
    dim = dimension if dimension in ("channel", "agent", "team") else "channel"
    report, error = in_range(
        lambda start, end: service.report(session, workspace_id=principal.workspace_id, start=start, end=end),
        date_from,
        date_to,
        days=REPORT_DAYS,
        today=utcnow().date(),
    )
    params = {"from": report.start.isoformat(), "to": report.end.isoformat()}
    context = {
        "report": report,
        "dimension": dim,
        "rows": {"channel": report.by_channel, "agent": report.by_agent, "team": report.by_team}[dim],
        "trend_json": json.dumps(service.chart_spec(report, "trend")),
        "times_json": json.dumps(service.chart_spec(report, "times", dim)),  # type: ignore[arg-type]
        "export_query": urlencode(params),
        "trend_query": urlencode({**params, "chart": "trend"}),
        "times_query": urlencode({**params, "chart": "times", "dimension": dim}),
        "error": error,
        # Customer satisfaction per agent, team and channel is the feedback domain's report: linked from here.
        "can_read_feedback": allows(principal.role, Action.FEEDBACK_READ),
    }
    return render(request, "inbox/reports.html", context)


@router.get("/inbox/contact-reasons", response_class=HTMLResponse)
def contact_reasons_page(
    request: Request,
    session: SessionDep,
    principal: ReportReader,
    date_from: date | None = None,
    date_to: date | None = None,
) -> HTMLResponse:
    """Why customers wrote: reasons per week and channel, repeat contacts, first-contact resolution, phrases."""
    data, error = in_range(
        lambda start, end: service.contact_reasons(
            session, workspace_id=principal.workspace_id, start=start, end=end
        ),
        date_from,
        date_to,
        days=REASON_DAYS,
        today=utcnow().date(),
    )
    params = {"from": data.start.isoformat(), "to": data.end.isoformat()}
    context = {
        "report": data,
        "weekly_json": json.dumps(service.reasons_spec(data, "weekly")),
        "channels_json": json.dumps(service.reasons_spec(data, "channels")),
        "export_query": urlencode(params),
        "weekly_query": urlencode({**params, "chart": "weekly"}),
        "channels_query": urlencode({**params, "chart": "channels"}),
        "error": error,
    }
    return render(request, "inbox/contact_reasons.html", context)
