"""REST API of attribution: channel reports, model comparisons, exports, and stage definitions."""

from __future__ import annotations

import json
from datetime import date, timedelta
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
from omnicx.auth.permissions import Action
from omnicx.auth.schemas import Principal
from omnicx.web.deps import SessionDep, require
from omnicx.web.schemas import ERROR_RESPONSES

router = APIRouter(prefix="/api/v1/attribution", tags=["attribution"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.ATTRIBUTION_READ)]
Manager = Annotated[Principal, require(Action.TRACKING_MANAGE)]
Query_ = Annotated[ReportQuery, Query()]
Metric = Literal["conversions", "value"]


def default_range(today: date | None = None) -> tuple[date, date]:
    """The last 30 days, today included."""
    end = today or date.today()
    return end - timedelta(days=29), end


@router.get("/report", response_model=AttributionReport)
def report(session: SessionDep, principal: Reader, query: Query_) -> AttributionReport:
    """Per channel: sessions, contacts, qualified leads, sales and revenue by first touch, last touch and the
    chosen model, for an inclusive date range in the workspace's time zone."""
    return service.report(session, workspace_id=principal.workspace_id, query=query)


@router.get("/report.csv", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def report_csv(session: SessionDep, principal: Reader, query: Query_) -> Response:
    data = service.report(session, workspace_id=principal.workspace_id, query=query)
    filename = f"attribution-{query.date_from}-{query.date_to}-{query.model.value}.csv"
    return Response(
        service.report_csv(data),
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/compare", response_model=ModelComparisonPublic)
def compare(
    session: SessionDep, principal: Reader, query: Query_, stage: StageKey = StageKey.SALE
) -> ModelComparisonPublic:
    """Every model side by side for one stage."""
    return service.compare_models_for_stage(
        session, workspace_id=principal.workspace_id, query=query, stage=stage
    )


def _spec(
    session: SessionDep, principal: Principal, query: ReportQuery, stage: StageKey, metric: str
) -> dict:  # type: ignore[type-arg]
    data = service.report(session, workspace_id=principal.workspace_id, query=query)
    return service.chart_spec(data, stage=stage, metric=metric)


@router.get("/chart.json")
def chart_json(
    session: SessionDep,
    principal: Reader,
    query: Query_,
    stage: StageKey = StageKey.SALE,
    metric: Metric = "conversions",
) -> Response:
    """The Vega-Lite specification of the report's chart."""
    spec = _spec(session, principal, query, stage, metric)
    return Response(json.dumps(spec), media_type="application/json")


@router.get("/chart.png", response_class=Response, responses={200: {"content": {"image/png": {}}}})
def chart_png(
    session: SessionDep,
    principal: Reader,
    query: Query_,
    stage: StageKey = StageKey.SALE,
    metric: Metric = "conversions",
) -> Response:
    spec = _spec(session, principal, query, stage, metric)
    return Response(service.chart_png(spec), media_type="image/png")


@router.get("/chart.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
def chart_svg(
    session: SessionDep,
    principal: Reader,
    query: Query_,
    stage: StageKey = StageKey.SALE,
    metric: Metric = "conversions",
) -> Response:
    spec = _spec(session, principal, query, stage, metric)
    return Response(service.chart_svg(spec), media_type="image/svg+xml")


@router.get("/stages", response_model=list[StagePublic])
def list_stages(session: SessionDep, principal: Reader) -> list[StagePublic]:
    """How contacts, qualified leads and sales are recognised in the event stream."""
    return service.list_stages(session, workspace_id=principal.workspace_id)


@router.patch("/stages/{key}", response_model=StagePublic)
def update_stage(key: StageKey, data: StageUpdate, session: SessionDep, principal: Manager) -> StagePublic:
    return service.update_stage(session, workspace_id=principal.workspace_id, key=key, data=data)
