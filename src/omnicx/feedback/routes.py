"""REST API of feedback under /api/v1/feedback: satisfaction survey settings per inbox, surveys, the CSAT report."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, TypeVar

import orjson
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from omnicx.feedback import service
from omnicx.feedback.enums import CsatGroup
from omnicx.feedback.errors import SurveyNotFound
from omnicx.feedback.schemas import (
    CsatReport,
    CsatSettingPublic,
    CsatSettingUpdate,
    CsatSurveyPublic,
    SiteSurveyAnswer,
    SiteSurveyQuestion,
    SiteVisitor,
    SurveyAudience,
    SurveyCreate,
    SurveyOnSite,
    SurveyPublic,
    SurveyResults,
    SurveySending,
)
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.downloads import (
    CHART_RESPONSES,
    CSV_RESPONSES,
    ChartFormat,
    chart_response,
    csv_attachment,
)
from omnicx.kernel.web.errors import error_body
from omnicx.kernel.web.limits import per_address_limit
from omnicx.kernel.web.schemas import ERROR_RESPONSES
from omnicx.tracking import service as tracking_service

Body = TypeVar("Body", bound=BaseModel)

router = APIRouter(prefix="/api/v1/feedback", tags=["feedback"], responses=ERROR_RESPONSES)

Reader = Annotated[Principal, require(Action.FEEDBACK_READ)]
Manager = Annotated[Principal, require(Action.FEEDBACK_MANAGE)]
DateFrom = Annotated[date, Query(alias="from", description="First day (inclusive), workspace time zone.")]
DateTo = Annotated[date, Query(alias="to", description="Last day (inclusive), workspace time zone.")]
Group = Annotated[CsatGroup, Query(description="Group answers by agent, team, inbox or channel.")]


@router.get("/csat/settings", response_model=list[CsatSettingPublic])
def list_csat_settings(session: SessionDep, principal: Manager) -> list[CsatSettingPublic]:
    """Every inbox with its satisfaction survey settings (off where never set)."""
    return service.list_settings(session, workspace_id=principal.workspace_id)


@router.put("/csat/settings/{inbox_id}", response_model=CsatSettingPublic)
def update_csat_settings(
    inbox_id: uuid.UUID, data: CsatSettingUpdate, session: SessionDep, principal: Manager
) -> CsatSettingPublic:
    """Ask (or stop asking) for a rating after each resolved conversation of an inbox; delay and wording."""
    return service.update_setting(session, principal=principal, inbox_id=inbox_id, data=data)


@router.get("/csat/report", response_model=CsatReport)
def csat_report(
    session: SessionDep,
    principal: Reader,
    date_from: DateFrom,
    date_to: DateTo,
    group: Group = CsatGroup.AGENT,
) -> CsatReport:
    """CSAT (share of answers rated 4 or 5), average rating and response rate of the conversations resolved
    in the range, per agent, team, inbox or channel, with the rating distribution and the latest comments."""
    return service.csat_report(
        session, workspace_id=principal.workspace_id, start=date_from, end=date_to, group=group
    )


@router.get("/csat/report.csv", response_class=Response, responses=CSV_RESPONSES)
def csat_report_csv(
    session: SessionDep,
    principal: Reader,
    date_from: DateFrom,
    date_to: DateTo,
    group: Group = CsatGroup.AGENT,
) -> Response:
    """The CSAT report's rows as CSV."""
    report = service.csat_report(
        session, workspace_id=principal.workspace_id, start=date_from, end=date_to, group=group
    )
    return csv_attachment(service.report_csv(report), f"csat-{group.value}-{date_from}-{date_to}.csv")


@router.get("/csat/report/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def csat_report_chart(
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    date_from: DateFrom,
    date_to: DateTo,
    group: Group = CsatGroup.AGENT,
    chart: Annotated[str, Query(pattern="^(groups|distribution)$")] = "groups",
) -> Response:
    """A CSAT chart: its Vega-Lite spec (json) or rendered on the server (png, svg)."""
    report = service.csat_report(
        session, workspace_id=principal.workspace_id, start=date_from, end=date_to, group=group
    )
    spec = service.csat_by_group_spec(report) if chart == "groups" else service.distribution_spec(report)
    return chart_response(spec, fmt)


@router.get("/csat/conversations/{conversation_id}", response_model=CsatSurveyPublic)
def conversation_csat(conversation_id: uuid.UUID, session: SessionDep, principal: Reader) -> CsatSurveyPublic:
    """The satisfaction survey of one conversation and its answer, if it was asked."""
    survey = service.conversation_survey(
        session, workspace_id=principal.workspace_id, conversation_id=conversation_id
    )
    if survey is None:
        raise SurveyNotFound("this conversation has no satisfaction survey")
    return survey


@router.get("/surveys", response_model=list[SurveyPublic])
def list_surveys(session: SessionDep, principal: Reader) -> list[SurveyPublic]:
    """The workspace's surveys, newest first."""
    return service.list_surveys(session, workspace_id=principal.workspace_id)


@router.post("/surveys", response_model=SurveyPublic, status_code=201)
def create_survey(data: SurveyCreate, session: SessionDep, principal: Manager) -> SurveyPublic:
    """A survey: one scored question (NPS 0-10, CSAT 1-5 or CES 1-7) and an optional comment."""
    return service.create_survey(session, principal=principal, data=data)


@router.put("/surveys/{survey_id}/site", response_model=SurveyPublic)
def show_on_site(
    survey_id: uuid.UUID, data: SurveyOnSite, session: SessionDep, principal: Manager
) -> SurveyPublic:
    """Show the survey to the visitors of the workspace's sites (`feedback/site.js`), or stop showing it."""
    return service.show_on_site(session, principal=principal, survey_id=survey_id, on_site=data.on_site)


@router.post("/surveys/{survey_id}/send", response_model=SurveySending, status_code=202)
def send_survey(
    survey_id: uuid.UUID, audience: SurveyAudience, session: SessionDep, principal: Manager
) -> SurveySending:
    """Ask an audience (chosen customers, or the customer list's filters) on each one's last channel; customers
    asked any survey within the survey's throttle are skipped when the job runs."""
    return service.send_survey(session, principal=principal, survey_id=survey_id, audience=audience)


@router.get("/surveys/{survey_id}/results", response_model=SurveyResults)
def survey_results(survey_id: uuid.UUID, session: SessionDep, principal: Reader) -> SurveyResults:
    """The score with its 95% interval (NPS), per channel and per week, the spread and the latest comments."""
    return service.survey_results(session, workspace_id=principal.workspace_id, survey_id=survey_id)


@router.get("/surveys/{survey_id}/results.csv", response_class=Response, responses=CSV_RESPONSES)
def survey_results_csv(survey_id: uuid.UUID, session: SessionDep, principal: Reader) -> Response:
    """The survey's results per channel, then the total, as CSV."""
    results = service.survey_results(session, workspace_id=principal.workspace_id, survey_id=survey_id)
    return csv_attachment(service.survey_csv(results), f"survey-{survey_id}.csv")


@router.get("/surveys/{survey_id}/chart.{fmt}", response_class=Response, responses=CHART_RESPONSES)
def survey_chart(
    survey_id: uuid.UUID,
    fmt: ChartFormat,
    session: SessionDep,
    principal: Reader,
    chart: Annotated[str, Query(pattern="^(distribution|trend)$")] = "distribution",
) -> Response:
    """A survey chart (answers per score, or the score per week): Vega-Lite (json), PNG or SVG."""
    results = service.survey_results(session, workspace_id=principal.workspace_id, survey_id=survey_id)
    spec = (
        service.survey_distribution_spec(results)
        if chart == "distribution"
        else service.survey_trend_spec(results)
    )
    return chart_response(spec, fmt)


# Called by the workspace's own sites in visitors' browsers (`feedback/site.js`): keyed by the site's tracking
# write key (public in its pages anyway), no sign-in, any origin. Bodies are JSON sent as text/plain, a "simple"
# cross-origin request (no preflight); errors are `{"code", "message"}` with the same CORS header.
site = APIRouter(
    prefix="/feedback/site",
    tags=["feedback"],
    responses=ERROR_RESPONSES,
    dependencies=[per_address_limit("survey_site")],
)
SITE_CORS = {"Access-Control-Allow-Origin": "*"}
SITE_SCRIPT = Path(__file__).parent / "static" / "site.js"
TEXT_BODY = {"requestBody": {"content": {"text/plain": {"schema": {"type": "string"}}}}}


def _site_error(status: int, code: str, message: str) -> Response:
    body = orjson.dumps(error_body(code, message))
    return Response(body, status_code=status, media_type="application/json", headers=SITE_CORS)


async def _site_call(request: Request, model: type[Body], call: Callable[[Body], Response]) -> Response:
    """Parse the text/plain JSON body as `model` and run `call` in the thread pool, every failure answered with
    CORS so the page's script can read it."""
    try:
        data = model.model_validate_json(await request.body())
    except ValidationError as error:
        return _site_error(422, "invalid_request", "; ".join(str(e["msg"]) for e in error.errors()[:3]))
    try:
        return await run_in_threadpool(call, data)
    except DomainError as error:
        return _site_error(error.status, error.code, error.message)


@site.post(
    "/{write_key}/ask",
    response_model=SiteSurveyQuestion,
    responses={204: {"description": "Nothing to ask this visitor now."}},
    openapi_extra={**TEXT_BODY, "description": "A `SiteVisitor` as JSON, sent as text/plain."},
)
async def ask_visitor(write_key: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The survey to show this visitor now, worded in their language, with the token that answers it; 204 when
    none is on, the visitor was asked lately, or their device belongs to an identified customer. Showing it
    counts as asking."""

    def ask(visitor: SiteVisitor) -> Response:
        source = tracking_service.authenticate_write_key(session, write_key=write_key)
        question = service.ask_visitor(
            session,
            workspace_id=source.workspace_id,
            visitor=visitor,
            secret=runtime.settings.resolved_secret_key,
        )
        if question is None:
            return Response(status_code=204, headers=SITE_CORS)
        return Response(question.model_dump_json(), media_type="application/json", headers=SITE_CORS)

    return await _site_call(request, SiteVisitor, ask)


@site.post(
    "/{write_key}/answer",
    status_code=204,
    response_class=Response,
    openapi_extra={**TEXT_BODY, "description": "A `SiteSurveyAnswer` as JSON, sent as text/plain."},
)
async def answer_on_site(
    write_key: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> Response:
    """Answer the survey shown, once: a forged token is refused as unknown, a second answer with 409."""

    def answer(data: SiteSurveyAnswer) -> Response:
        source = tracking_service.authenticate_write_key(session, write_key=write_key)
        service.answer_on_site(
            session, workspace_id=source.workspace_id, data=data, secret=runtime.settings.resolved_secret_key
        )
        return Response(status_code=204, headers=SITE_CORS)

    return await _site_call(request, SiteSurveyAnswer, answer)


@site.get("/survey.js", include_in_schema=False)
def site_script() -> FileResponse:
    """The script a site adds beside its tracking snippet to show the workspace's surveys."""
    return FileResponse(
        SITE_SCRIPT,
        media_type="text/javascript",
        headers={**SITE_CORS, "Cache-Control": "public, max-age=300"},
    )
