"""REST API of journeys: `/api/v1/journeys/funnel`, `/paths`, `/map`, `/usage` and `/overlap` (JSON, CSV, charts),
the journey map's stages, and the event names offered as funnel steps."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from omnicx.identity.schemas import CustomerPublic
from omnicx.journeys import service
from omnicx.journeys.schemas import (
    MAX_STEPS,
    FunnelBreakdown,
    FunnelMode,
    FunnelQuery,
    FunnelResult,
    JourneyMapQuery,
    JourneyMapReport,
    JourneyMapSettings,
    OverlapQuery,
    OverlapReport,
    PathQuery,
    PathReport,
    SavedFunnelCreate,
    SavedFunnelPublic,
    StageMetric,
    UsageQuery,
    UsageReport,
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
from omnicx.kernel.web.schemas import ERROR_RESPONSES, Page

router = APIRouter(prefix="/api/v1/journeys", tags=["journeys"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.JOURNEYS_READ)]
Manager = Annotated[Principal, require(Action.JOURNEYS_MANAGE)]
Steps = Annotated[
    list[str],
    Query(
        min_length=2,
        max_length=MAX_STEPS,
        description="The steps in order, each `event:<event name>` or `page:<text the page address contains>`",
    ),
]


async def funnel_query(
    step: Steps,
    date_from: date,
    date_to: date,
    window_hours: int = 7 * 24,
    mode: Annotated[
        FunnelMode, Query(description="ordered, strict (no other event between steps) or any")
    ] = FunnelMode.ORDERED,
    breakdown: FunnelBreakdown = FunnelBreakdown.FIRST_TOUCH,
    breakdown_property: Annotated[
        str | None, Query(max_length=64, description="With `breakdown=property`: the entry event's property")
    ] = None,
) -> FunnelQuery:
    """The funnel every route of it takes, from the same query parameters."""
    return FunnelQuery.parse(
        step,
        date_from=date_from,
        date_to=date_to,
        window_hours=window_hours,
        mode=mode,
        breakdown=breakdown,
        breakdown_property=breakdown_property,
    )


Funnel = Annotated[FunnelQuery, Depends(funnel_query)]


def _funnel(session: SessionDep, principal: Principal, query: FunnelQuery) -> FunnelResult:
    return service.funnel(session, workspace_id=principal.workspace_id, query=query)


@router.get("/funnel", response_model=FunnelResult)
def funnel(
    session: SessionDep,
    principal: Reader,
    query: Funnel,
) -> FunnelResult:
    """A funnel: customers whose first step-1 event falls in the inclusive range (workspace time zone), then,
    per next step, those who did it after the previous one within `window_hours` of step 1 (`mode=strict`: as
    their very next event; `mode=any`: step k counts those who did k of the steps, in any order); with the
    share kept, the customers dropped and the median time from the previous step."""
    return _funnel(session, principal, query)


@router.get("/funnel.csv", response_class=Response, responses=CSV_RESPONSES)
def funnel_csv(
    session: SessionDep,
    principal: Reader,
    query: Funnel,
) -> Response:
    """The funnel's table, one row per step."""
    result = _funnel(session, principal, query)
    return csv_attachment(service.funnel_csv(result), f"funnel-{query.date_from}-{query.date_to}.csv")


@router.get("/funnel/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def funnel_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    query: Funnel,
    chart: Literal["steps", "trend"] = "steps",
) -> Response:
    """The funnel's chart (customers per step, or conversion per day of entry): Vega-Lite spec, or PNG/SVG."""
    result = _funnel(session, principal, query)
    spec = service.trend_spec(result) if chart == "trend" else service.funnel_spec(result)
    return chart_response(spec, fmt)


@router.get("/funnel/dropped", response_model=Page[CustomerPublic])
def funnel_dropped(
    session: SessionDep,
    principal: Reader,
    query: Funnel,
    position: Annotated[int, Query(ge=2, le=MAX_STEPS, description="The step they did not reach (1-based)")],
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CustomerPublic]:
    """The customers who reached the step before `position` but not `position`, most recently seen first: who
    to follow up. (Every role that reads journeys reads customers too: tests/journeys keeps it so.)"""
    return service.dropped_customers(
        session,
        workspace_id=principal.workspace_id,
        query=query,
        position=position,
        offset=offset,
        limit=limit,
    )


@router.get("/events", response_model=list[str])
def event_names(session: SessionDep, principal: Reader, date_from: date, date_to: date) -> list[str]:
    """The workspace's most frequent event names in the range, most frequent first: candidate steps."""
    return service.suggested_events(
        session, workspace_id=principal.workspace_id, date_from=date_from, date_to=date_to
    )


Paths = Annotated[PathQuery, Query()]


@router.get("/paths", response_model=PathReport)
def paths(session: SessionDep, principal: Reader, query: Paths) -> PathReport:
    """Paths through the visits of the inclusive range (workspace time zone): from each visit's first item,
    from its first `start` or up to its first `end` (an event name or a page path such as `/cart`), `steps`
    items at most. Per step its most frequent items (the Sankey diagram's nodes, with the visits that ended
    there), the moves between them, and the most frequent whole paths."""
    return service.paths(session, workspace_id=principal.workspace_id, query=query)


@router.get("/paths.csv", response_class=Response, responses=CSV_RESPONSES)
def paths_csv(session: SessionDep, principal: Reader, query: Paths) -> Response:
    """The nodes, the links, then the top paths, one row each."""
    report = service.paths(session, workspace_id=principal.workspace_id, query=query)
    return csv_attachment(service.paths_csv(report), f"paths-{query.date_from}-{query.date_to}.csv")


@router.get("/paths/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def paths_chart(fmt: ChartFormat, session: SessionDep, principal: Reader, query: Paths) -> Response:
    """The Sankey diagram of the paths."""
    report = service.paths(session, workspace_id=principal.workspace_id, query=query)
    return chart_response(service.paths_spec(report), fmt)


MapRange = Annotated[JourneyMapQuery, Query()]


@router.get("/map", response_model=JourneyMapReport)
def journey_map(session: SessionDep, principal: Reader, query: MapRange) -> JourneyMapReport:
    """The journey map for customers who reached its first stage in the inclusive range (workspace time zone):
    per stage the customers who reached it (stages may be skipped), the share who went on
    to the next, those whose journey stopped there, the median time spent, the channels of their touchpoints,
    the conversations they opened and their intents, and who viewed the friction pages twice or more."""
    return _journey_map(session, principal, query)


def _journey_map(session: SessionDep, principal: Principal, query: JourneyMapQuery) -> JourneyMapReport:
    """The workspace's own map (or the default one) over the range."""
    settings = service.get_journey_map(session, workspace_id=principal.workspace_id)
    return service.journey_map(session, workspace_id=principal.workspace_id, settings=settings, query=query)


@router.get("/map.csv", response_class=Response, responses=CSV_RESPONSES)
def journey_map_csv(session: SessionDep, principal: Reader, query: MapRange) -> Response:
    """One row per stage."""
    report = _journey_map(session, principal, query)
    return csv_attachment(
        service.journey_map_csv(report), f"journey-map-{query.date_from}-{query.date_to}.csv"
    )


@router.get("/map/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def journey_map_chart(fmt: ChartFormat, session: SessionDep, principal: Reader, query: MapRange) -> Response:
    """Customers per stage, beside those whose journey stopped there."""
    report = _journey_map(session, principal, query)
    return chart_response(service.stages_spec(report), fmt)


@router.get("/map/customers", response_model=Page[CustomerPublic])
def journey_map_customers(
    session: SessionDep,
    principal: Reader,
    query: MapRange,
    stage: Annotated[int, Query(ge=1, description="The stage, from 1")],
    metric: StageMetric = StageMetric.REACHED,
    key: Annotated[
        str | None,
        Query(
            max_length=200, description="The channel (metric channel) or touchpoint kind (metric touchpoint)"
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CustomerPublic]:
    """The customers behind a number of the map: who reached a stage, whose journey stopped there, who opened
    a conversation, used a channel or a kind of touchpoint, or viewed the friction pages twice or more while in
    it."""
    settings = service.get_journey_map(session, workspace_id=principal.workspace_id)
    return service.journey_customers(
        session,
        workspace_id=principal.workspace_id,
        settings=settings,
        query=query,
        stage=stage,
        metric=metric,
        key=key,
        offset=offset,
        limit=limit,
    )


@router.get("/map/stages", response_model=JourneyMapSettings)
def journey_map_stages(session: SessionDep, principal: Reader) -> JourneyMapSettings:
    """The workspace's journey map: its stages with their rules, and the friction pages (the default map until
    one is saved)."""
    return service.get_journey_map(session, workspace_id=principal.workspace_id)


@router.put("/map/stages", response_model=JourneyMapSettings)
def save_journey_map_stages(
    session: SessionDep, principal: Manager, data: JourneyMapSettings
) -> JourneyMapSettings:
    """Replace the workspace's stages and friction pages. A rule is `visit`, `event:<name>`, `page:<address
    text>`, `order:placed` (or another status the order is now in) or `conversation[:<intent>]`."""
    return service.save_journey_map(
        session, workspace_id=principal.workspace_id, data=data, principal=principal
    )


@router.delete("/map/stages", status_code=204, response_class=Response)
def reset_journey_map_stages(session: SessionDep, principal: Manager) -> Response:
    """Back to the default map."""
    service.reset_journey_map(session, workspace_id=principal.workspace_id, principal=principal)
    return Response(status_code=204)


Usage = Annotated[UsageQuery, Query()]


@router.get("/usage", response_model=UsageReport)
def usage(session: SessionDep, principal: Reader, query: Usage) -> UsageReport:
    """Channel usage for sessions started in the inclusive range (workspace time zone): sessions per channel,
    ISO weekday and hour; bounce and engagement rates and visit durations per device category and per channel;
    how many customers had 1, 2, 3... sessions; the top landing pages; sessions by duration."""
    return service.usage(session, workspace_id=principal.workspace_id, query=query)


@router.get("/usage.csv", response_class=Response, responses=CSV_RESPONSES)
def usage_csv(session: SessionDep, principal: Reader, query: Usage) -> Response:
    """The engagement tables: one row per device category, then per channel."""
    report = service.usage(session, workspace_id=principal.workspace_id, query=query)
    return csv_attachment(service.usage_csv(report), f"usage-{query.date_from}-{query.date_to}.csv")


@router.get("/usage/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def usage_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    query: Usage,
    chart: Literal["heatmap", "frequency", "durations", "returns"] = "heatmap",
    channel: str = "*",
    device: str = "*",
) -> Response:
    """The hour x weekday heatmap (of one channel or one device category; `*` for all), the visits-per-customer
    chart, the sessions by duration or the returning visits by days since the previous one."""
    report = service.usage(session, workspace_id=principal.workspace_id, query=query)
    if chart == "heatmap":
        return chart_response(service.heatmap_spec(report, channel, device), fmt)
    charts = {
        "frequency": service.frequency_spec,
        "durations": service.duration_spec,
        "returns": service.returns_spec,
    }
    return chart_response(charts[chart](report), fmt)


Overlap = Annotated[OverlapQuery, Query()]


@router.get("/overlap", response_model=OverlapReport)
def overlap(session: SessionDep, principal: Reader, query: Overlap) -> OverlapReport:
    """Channel overlap for touchpoints in the inclusive range (workspace time zone): customers by channels used
    and per combination (also before their first purchase), the switching matrix (each touch to the customer's
    next within `gap_days`), cross-device customers, and spend per buyer by channels used."""
    return service.overlap(session, workspace_id=principal.workspace_id, query=query)


@router.get("/overlap.csv", response_class=Response, responses=CSV_RESPONSES)
def overlap_csv(session: SessionDep, principal: Reader, query: Overlap) -> Response:
    """The switching matrix (one row per from → to pair), then the channel combinations."""
    report = service.overlap(session, workspace_id=principal.workspace_id, query=query)
    return csv_attachment(service.overlap_csv(report), f"overlap-{query.date_from}-{query.date_to}.csv")


@router.get("/overlap/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def overlap_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    query: Overlap,
    chart: Literal["combinations", "switching", "spend"] = "combinations",
) -> Response:
    """The channel combinations (UpSet-style), the switching matrix, or spend per buyer by channels used."""
    report = service.overlap(session, workspace_id=principal.workspace_id, query=query)
    charts = {
        "combinations": service.combinations_spec,
        "switching": service.switching_spec,
        "spend": service.spend_spec,
    }
    return chart_response(charts[chart](report), fmt)


@router.get("/saved-funnels", response_model=list[SavedFunnelPublic])
def saved_funnels(session: SessionDep, principal: Reader) -> list[SavedFunnelPublic]:
    """The workspace's saved funnels, by name: open one with `GET /funnel` and its `steps`, window and mode."""
    return service.list_saved_funnels(session, workspace_id=principal.workspace_id)


@router.post("/saved-funnels", response_model=SavedFunnelPublic, status_code=201)
def save_funnel(session: SessionDep, principal: Manager, data: SavedFunnelCreate) -> SavedFunnelPublic:
    """Save a funnel under a name not taken in the workspace (409 `funnel_name_taken` otherwise)."""
    return service.save_funnel(session, workspace_id=principal.workspace_id, data=data, principal=principal)


@router.delete("/saved-funnels/{funnel_id}", status_code=204, response_class=Response)
def delete_saved_funnel(session: SessionDep, principal: Manager, funnel_id: uuid.UUID) -> Response:
    service.delete_saved_funnel(
        session, workspace_id=principal.workspace_id, funnel_id=funnel_id, principal=principal
    )
    return Response(status_code=204)
