"""REST API of the Overview: the dashboard's numbers for a date range, its channel table as CSV, its charts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from omnicx.auth import service as auth_service
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.downloads import (
    CHART_RESPONSES,
    CSV_RESPONSES,
    ChartFormat,
    chart_response,
    csv_attachment,
)
from omnicx.kernel.web.schemas import ERROR_RESPONSES
from omnicx.overview import service
from omnicx.overview.schemas import (
    BenchmarkPublic,
    BenchmarkUpdate,
    OverviewPublic,
    OverviewQuery,
    Scorecard,
    ScoreMetric,
    Section,
    TrendPoint,
)

router = APIRouter(prefix="/api/v1/overview", tags=["overview"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.OVERVIEW_READ)]
ChannelReader = Annotated[Principal, require(Action.ATTRIBUTION_READ)]
Query_ = Annotated[OverviewQuery, Query()]
Metric = Literal["contacts", "qualified", "sales", "revenue"]


def _overview(
    session: SessionDep, principal: Principal, query: OverviewQuery, *, only: set[Section] | None = None
) -> OverviewPublic:
    sections = service.sections_for(principal.role)
    return service.overview(
        session,
        workspace_id=principal.workspace_id,
        query=query,
        sections=sections & only if only is not None else sections,
    )


@router.get("", response_model=OverviewPublic)
def overview(session: SessionDep, principal: Reader, query: Query_) -> OverviewPublic:
    """For an inclusive date range (workspace time zone): per channel, sessions and contacts, qualified leads,
    sales and revenue by first and by last touch; daily trends; conversations and SLA status; stock alerts;
    the event-processing backlog right now. Parts the caller's role may not read (attribution, inbox, commerce,
    tracking) are left out and not listed in `sections`."""
    return _overview(session, principal, query)


@router.get("/channels.csv", response_class=Response, responses=CSV_RESPONSES)
def channels_csv(session: SessionDep, principal: Reader, query: Query_) -> Response:
    """The per-channel table: sessions, then each stage and revenue by first and by last touch."""
    data = _overview(session, principal, query)
    filename = f"overview-{query.date_from}-{query.date_to}.csv"
    return csv_attachment(service.channels_csv(data), filename)


@router.get("/sessions", response_model=list[TrendPoint])
def sessions(session: SessionDep, principal: ChannelReader, query: Query_) -> list[TrendPoint]:
    """Sessions per day (workspace time zone) and channel for an inclusive date range, zero on quiet days."""
    return service.sessions_per_day(session, workspace_id=principal.workspace_id, query=query)


@router.get(
    "/charts/{chart}.{fmt}",
    response_class=Response,
    responses=CHART_RESPONSES,
)
def chart(
    chart: service.Chart,
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    query: Query_,
    metric: Metric = "sales",
) -> Response:
    """One Overview chart (sessions, conversions, revenue or touch): its Vega-Lite spec, or PNG/SVG."""
    data = _overview(session, principal, query, only={Section.CHANNELS})
    spec = service.chart_spec(data, chart, metric=metric)
    return chart_response(spec, fmt)


# --- The CX scorecard -------------------------------------------------------------------------------------------

ScoreReader = Annotated[Principal, require(Action.INBOX_REPORTS_READ)]
BenchmarkManager = Annotated[Principal, require(Action.FEEDBACK_MANAGE)]


@router.get("/scorecard", response_model=Scorecard)
def scorecard(session: SessionDep, principal: ScoreReader, query: Query_) -> Scorecard:
    """One row per touchpoint (website, app, each inbox channel, each store): volume, customers, CSAT, median
    first response and resolution (seconds), SLA hit rate, conversions and revenue, each with the period before
    (as long) and a flag against the workspace's benchmark. Each number is the owning report's own: the sales
    report (website, app, stores), the inbox and satisfaction reports and the attribution report's linear credit
    for sales (inbox channels)."""
    return service.scorecard(
        session, workspace_id=principal.workspace_id, start=query.date_from, end=query.date_to
    )


@router.get("/scorecard.csv", response_class=Response, responses=CSV_RESPONSES)
def scorecard_csv(session: SessionDep, principal: ScoreReader, query: Query_) -> Response:
    """The scorecard as CSV: per touchpoint, each metric, its previous value and its flag."""
    card = service.scorecard(
        session, workspace_id=principal.workspace_id, start=query.date_from, end=query.date_to
    )
    return csv_attachment(service.scorecard_csv(card), f"scorecard-{query.date_from}-{query.date_to}.csv")


PDF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/pdf": {}}, "description": "The report as PDF."},
    503: {"description": "No Chromium to print with (`pdf_unavailable`)."},
}


@router.get("/scorecard.pdf", response_class=Response, responses=PDF_RESPONSES)
def scorecard_pdf(
    session: SessionDep, runtime: RuntimeDep, principal: ScoreReader, query: Query_
) -> Response:
    """The scorecard as a PDF report (A4 landscape): the table with the period before and the flags, the
    benchmarks and their sources, and charts of volume, CSAT, first response and revenue per touchpoint."""
    ws = principal.workspace_id
    card = service.scorecard(session, workspace_id=ws, start=query.date_from, end=query.date_to)
    name = auth_service.get_workspace(session, workspace_id=ws).name
    pdf = service.scorecard_pdf(card, workspace=name, chromium=runtime.settings.chromium_path)
    filename = f"scorecard-{query.date_from}-{query.date_to}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/scorecard/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def scorecard_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: ScoreReader,
    query: Query_,
    metric: ScoreMetric = ScoreMetric.VOLUME,
) -> Response:
    """One metric per touchpoint, this period beside the one before, the benchmark as a dashed rule: its
    Vega-Lite spec (json) or rendered (png, svg)."""
    card = service.scorecard(
        session, workspace_id=principal.workspace_id, start=query.date_from, end=query.date_to
    )
    return chart_response(service.scorecard_chart_spec(card, metric), fmt)


@router.get("/benchmarks", response_model=list[BenchmarkPublic])
def benchmarks(session: SessionDep, principal: ScoreReader) -> list[BenchmarkPublic]:
    """Each scorecard metric's benchmark: the workspace's own, or the default and where it comes from."""
    return service.benchmarks(session, workspace_id=principal.workspace_id)


@router.put("/benchmarks/{metric}", response_model=list[BenchmarkPublic])
def set_benchmark(
    metric: ScoreMetric, data: BenchmarkUpdate, session: SessionDep, principal: BenchmarkManager
) -> list[BenchmarkPublic]:
    """Set one metric's benchmark (rates 0-1, times in seconds, revenue in major units); null restores the
    default."""
    return service.set_benchmark(session, workspace_id=principal.workspace_id, metric=metric, data=data)
