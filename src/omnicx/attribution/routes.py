"""REST API of attribution: channel reports, model comparisons, exports, and stage definitions."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from omnicx.attribution import service
from omnicx.attribution.schemas import (
    AttributionReport,
    ModelComparisonPublic,
    ReportQuery,
    StageKey,
    StagePublic,
    StageUpdate,
)
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import SessionDep, require
from omnicx.kernel.web.downloads import (
    CHART_RESPONSES,
    CSV_RESPONSES,
    ChartFormat,
    chart_response,
    csv_attachment,
)
from omnicx.kernel.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/attribution", tags=["attribution"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.ATTRIBUTION_READ)]
Manager = Annotated[Principal, require(Action.TRACKING_MANAGE)]
Query_ = Annotated[ReportQuery, Query()]
Metric = Literal["conversions", "value"]


@router.get("/report", response_model=AttributionReport)
def report(session: SessionDep, principal: Reader, query: Query_) -> AttributionReport:
    """Per channel: sessions, contacts, qualified leads, sales and revenue by first touch, last touch and the
    chosen model, for an inclusive date range in the workspace's time zone."""
    return service.report(session, workspace_id=principal.workspace_id, query=query)


@router.get("/report.csv", response_class=Response, responses=CSV_RESPONSES)
def report_csv(session: SessionDep, principal: Reader, query: Query_) -> Response:
    data = service.report(session, workspace_id=principal.workspace_id, query=query)
    filename = f"attribution-{query.date_from}-{query.date_to}-{query.model.value}.csv"
    return csv_attachment(service.report_csv(data), filename)


@router.get("/compare", response_model=ModelComparisonPublic)
def compare(
    session: SessionDep, principal: Reader, query: Query_, stage: StageKey = StageKey.SALE
) -> ModelComparisonPublic:
    """Every model side by side for one stage."""
    return service.compare_models_for_stage(
        session, workspace_id=principal.workspace_id, query=query, stage=stage
    )


@router.get(
    "/chart.{fmt}",
    response_class=Response,
    responses=CHART_RESPONSES,
)
def chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    query: Query_,
    stage: StageKey = StageKey.SALE,
    metric: Metric = "conversions",
) -> Response:
    """The report's chart: its Vega-Lite specification (json), or rendered on the server (png, svg)."""
    data = service.report(session, workspace_id=principal.workspace_id, query=query)
    spec = service.chart_spec(data, stage=stage, metric=metric)
    return chart_response(spec, fmt)


@router.get("/stages", response_model=list[StagePublic])
def list_stages(session: SessionDep, principal: Reader) -> list[StagePublic]:
    """How contacts, qualified leads and sales are recognised in the event stream."""
    return service.list_stages(session, workspace_id=principal.workspace_id)


@router.patch("/stages/{key}", response_model=StagePublic)
def update_stage(key: StageKey, data: StageUpdate, session: SessionDep, principal: Manager) -> StagePublic:
    return service.update_stage(session, workspace_id=principal.workspace_id, key=key, data=data)
