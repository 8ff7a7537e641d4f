"""The Attribution page: date range, model and stage pickers, a chart, the channel table and exports."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from omnicx.attribution import service
from omnicx.attribution.engine import Model
from omnicx.attribution.schemas import ReportQuery, StageKey
from omnicx.attribution.service.charts import MODEL_LABELS, STAGE_LABELS
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
NAV = [NavItem("attribution", N_("Attribution"), "/attribution", Action.ATTRIBUTION_READ, 30)]


@router.get("/attribution", response_class=HTMLResponse)
def attribution_page(
    request: Request,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.ATTRIBUTION_READ)],
    date_from: date | None = None,
    date_to: date | None = None,
    model: Model = Model.MARKOV,
    order: Annotated[int, Query(ge=1, le=3)] = 1,
    stage: StageKey = StageKey.SALE,
    metric: Literal["conversions", "value"] = "conversions",
) -> HTMLResponse:
    start, end = service.default_range()
    error = None
    try:
        query = ReportQuery(date_from=date_from or start, date_to=date_to or end, model=model, order=order)
        report = service.report(session, workspace_id=principal.workspace_id, query=query)
        comparison = service.compare_models_for_stage(
            session, workspace_id=principal.workspace_id, query=query, stage=stage
        )
    except (DomainError, ValidationError) as exc:
        error = exc.message if isinstance(exc, DomainError) else str(exc.errors()[0]["msg"])
        query = ReportQuery(date_from=start, date_to=end, model=model, order=order)
        report = service.report(session, workspace_id=principal.workspace_id, query=query)
        comparison = service.compare_models_for_stage(
            session, workspace_id=principal.workspace_id, query=query, stage=stage
        )
    spec = service.chart_spec(report, stage=stage, metric=metric, title=" ")
    params = {
        "date_from": query.date_from.isoformat(),
        "date_to": query.date_to.isoformat(),
        "model": query.model.value,
        "order": str(query.order),
    }
    chart_params = {**params, "stage": stage.value, "metric": metric}
    context = {
        "report": report,
        "comparison": comparison,
        "query": query,
        "stage": stage,
        "metric": metric,
        "spec_json": json.dumps(spec),
        "models": MODEL_LABELS,
        "stage_labels": STAGE_LABELS,
        "stage_keys": list(StageKey),
        "export_query": urlencode(params),
        "chart_query": urlencode(chart_params),
        "error": error,
    }
    return render(request, "attribution/report.html", context)
