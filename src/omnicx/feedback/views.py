"""Pages of feedback: the satisfaction report, Settings → Satisfaction surveys, and the public page a customer's
rating link opens."""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicx.feedback import service
from omnicx.feedback.enums import AnsweredVia, CsatGroup, FollowUpKind, SurveyKind
from omnicx.feedback.errors import SurveyNotFound
from omnicx.feedback.schemas import (
    SCALE,
    SCALES,
    CsatAnswer,
    CsatSettingUpdate,
    FollowUp,
    SurveyAnswer,
    SurveyAudience,
    SurveyCreate,
)
from omnicx.feedback.service.surveys import QUESTIONS as SURVEY_QUESTIONS
from omnicx.inbox.service import CHANNEL_LABELS
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import DomainError
from omnicx.kernel.i18n import LANGUAGES, gettext, set_language
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import RuntimeDep, SessionDep, require
from omnicx.kernel.web.forms import in_range, redirect_or_page, see_other, validation_message
from omnicx.kernel.web.limits import public_form
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, require(Action.FEEDBACK_READ)]
Manager = Annotated[Principal, require(Action.FEEDBACK_MANAGE)]
REPORT_DAYS = 30
SETTINGS_PAGE = "/settings/satisfaction"
NAV = [
    NavItem("feedback", N_("Satisfaction"), "/feedback/satisfaction", Action.FEEDBACK_READ, 45),
    NavItem("surveys", N_("Surveys"), "/feedback/surveys", Action.FEEDBACK_READ, 46),
]
SETTINGS_NAV = [
    NavItem("satisfaction", N_("Satisfaction surveys"), SETTINGS_PAGE, Action.FEEDBACK_MANAGE, 63)
]
GROUPS = [
    (CsatGroup.AGENT, N_("Agent")),
    (CsatGroup.TEAM, N_("Team")),
    (CsatGroup.CHANNEL, N_("Channel")),
    (CsatGroup.INBOX, N_("Inbox")),
]


@router.get("/feedback/satisfaction", response_class=HTMLResponse)
def csat_page(
    request: Request,
    session: SessionDep,
    principal: Reader,
    date_from: date | None = None,
    date_to: date | None = None,
    group: CsatGroup = CsatGroup.AGENT,
) -> HTMLResponse:
    """CSAT of resolved conversations per agent, team, inbox or channel, the ratings' spread, the comments."""
    report, error = in_range(
        lambda start, end: service.csat_report(
            session, workspace_id=principal.workspace_id, start=start, end=end, group=group
        ),
        date_from,
        date_to,
        days=REPORT_DAYS,
        today=utcnow().date(),
    )
    params = {"from": report.start.isoformat(), "to": report.end.isoformat(), "group": group.value}
    labels = _channel_labels(report, group)
    context = {
        "labels": labels,
        "report": report,
        "groups": GROUPS,
        "error": error,
        "rating_names": service.RATING_NAMES,
        "groups_json": json.dumps(service.csat_by_group_spec(report, labels)),
        "distribution_json": json.dumps(service.distribution_spec(report)),
        "query": urlencode(params),
        "groups_query": urlencode({**params, "chart": "groups"}),
        "distribution_query": urlencode({**params, "chart": "distribution"}),
    }
    return render(request, "feedback/csat.html", context)


def _channel_labels(report: Any, group: CsatGroup) -> dict[str, str]:
    """Channels named in the reader's language on the chart (the `|channel` filter does it on the page)."""
    if group is not CsatGroup.CHANNEL:
        return {}
    return {row.key: gettext(CHANNEL_LABELS.get(row.key, row.key)) for row in report.rows}


def _settings_page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {
        "settings": service.list_settings(session, workspace_id=principal.workspace_id),
        "languages": LANGUAGES,
        "channel_labels": CHANNEL_LABELS,
        "error": error,
    }
    return render(request, "feedback/settings.html", context, status=status)


@router.get(SETTINGS_PAGE, response_class=HTMLResponse)
def settings_page(request: Request, session: SessionDep, principal: Manager) -> HTMLResponse:
    return _settings_page(request, session, principal)


@router.post(SETTINGS_PAGE + "/{inbox_id}", response_class=HTMLResponse)
async def save_settings(
    request: Request, inbox_id: uuid.UUID, session: SessionDep, principal: Manager
) -> Any:
    """Turn an inbox's survey on or off, with its delay and its question per language."""
    form = await request.form()
    wording = {lang: str(form.get(f"wording_{lang}", "")) for lang in LANGUAGES}

    def save() -> object:
        data = CsatSettingUpdate.model_validate(
            {
                "enabled": form.get("enabled") == "on",
                "delay_minutes": form.get("delay_minutes") or 0,
                "wording": wording,
            }
        )
        return service.update_setting(session, principal=principal, inbox_id=inbox_id, data=data)

    return redirect_or_page(
        save,
        to=SETTINGS_PAGE,
        page=lambda message, status: _settings_page(
            request, session, principal, error=message, status=status
        ),
        session=session,
    )


# The public page a rating link opens. It records nothing by itself: mail scanners open every link of a
# message, so the rating is stored when the customer sends the form (the link's rating chosen already).
Token = Annotated[str, Path(min_length=10, max_length=100)]


PublicForm = public_form("feedback_links")


def _answer_page(
    request: Request,
    session: Session,
    secret: str,
    token: str,
    *,
    rating: int | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    survey_id = service.survey_of(secret, token)
    survey = None
    if survey_id is not None:
        try:
            survey = service.get_csat_survey(session, survey_id=survey_id)
        except SurveyNotFound:
            survey = None
    if survey is None:
        return render(request, "feedback/answer.html", {"invalid": True}, status=404)
    set_language(survey.language)
    context = {
        "survey": survey,
        "token": token,
        "rating": rating if rating in range(1, SCALE + 1) else None,
        "rating_names": service.RATING_NAMES,
        "error": error,
        "invalid": False,
    }
    return render(request, "feedback/answer.html", context, status=status)


@router.get("/feedback/csat/{token}", response_class=HTMLResponse)
def answer_page(
    request: Request, session: SessionDep, runtime: RuntimeDep, token: Token, rating: int | None = None
) -> HTMLResponse:
    return _answer_page(request, session, runtime.settings.resolved_secret_key, token, rating=rating)


@router.post("/feedback/csat/{token}", response_class=HTMLResponse, dependencies=PublicForm)
def send_answer(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Token,
    rating: Annotated[int, Form(ge=1, le=SCALE)],
    comment: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    """Store the rating (and comment) once; a forged link is not found, a used one is told it was used."""
    secret = runtime.settings.resolved_secret_key
    survey_id = service.survey_of(secret, token)
    if survey_id is None:
        return _answer_page(request, session, secret, token)
    try:
        service.answer(
            session,
            survey_id=survey_id,
            data=CsatAnswer(rating=rating, comment=comment),
            via=AnsweredVia.LINK,
        )
    except DomainError as error:
        session.rollback()
        return _answer_page(request, session, secret, token, error=error.message, status=error.status)
    return _answer_page(request, session, secret, token)


# Surveys: the list with a form to create one, each survey's results with a form to send it, and the public
# answer page its signed links open.
FollowUpField = Annotated[str, Form(max_length=2000)]
SURVEY_KINDS = [
    (SurveyKind.NPS, N_("NPS: how likely to recommend us (0-10)")),
    (SurveyKind.CSAT, N_("CSAT: how satisfied (1-5)")),
    (SurveyKind.CES, N_("CES: how easy (1-7)")),
]


# Where survey invitations went: the inbox's channels, and the sites (`feedback/site.js`).
SURVEY_CHANNEL_LABELS: dict[str, str] = {
    **{c.value: label for c, label in CHANNEL_LABELS.items()},
    "web": N_("On the site"),
}


def _surveys_page(
    request: Request, session: Session, principal: Principal, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    context = {
        "surveys": service.list_surveys(session, workspace_id=principal.workspace_id),
        "kinds": SURVEY_KINDS,
        "can_manage": allows(principal.role, Action.FEEDBACK_MANAGE),
        "error": error,
    }
    return render(request, "feedback/surveys.html", context, status=status)


@router.get("/feedback/surveys", response_class=HTMLResponse)
def surveys_page(request: Request, session: SessionDep, principal: Reader) -> HTMLResponse:
    return _surveys_page(request, session, principal)


@router.post("/feedback/surveys", response_class=HTMLResponse)
def create_survey(
    request: Request,
    session: SessionDep,
    principal: Manager,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[SurveyKind, Form()] = SurveyKind.NPS,
    throttle_days: Annotated[int, Form(ge=0, le=365)] = 30,
    follow_up_kind: Annotated[FollowUpKind | Literal[""], Form()] = "",
    follow_up_prompt: Annotated[str, Form(max_length=300)] = "",
    follow_up_options: Annotated[str, Form(max_length=2000)] = "",
    on_site: Annotated[bool, Form()] = False,
) -> Any:
    """Create a survey (with one follow-up question when given: its options one per line); its page then
    sends it."""
    try:
        questions = []
        if follow_up_kind:
            options = [line.strip() for line in follow_up_options.splitlines() if line.strip()]
            questions.append(FollowUp(kind=follow_up_kind, prompt=follow_up_prompt, options=options))
        data = SurveyCreate(
            name=name, kind=kind, throttle_days=throttle_days, follow_ups=questions, on_site=on_site
        )
        survey = service.create_survey(session, principal=principal, data=data)
    except (DomainError, ValidationError) as error:
        session.rollback()
        message = error.message if isinstance(error, DomainError) else validation_message(error)
        return _surveys_page(request, session, principal, error=message, status=422)
    return see_other(f"/feedback/surveys/{survey.id}")


def _survey_page(
    request: Request,
    session: Session,
    principal: Principal,
    survey_id: uuid.UUID,
    *,
    error: str | None = None,
    sent: int | None = None,
    status: int = 200,
) -> HTMLResponse:
    results = service.survey_results(session, workspace_id=principal.workspace_id, survey_id=survey_id)
    runtime: Runtime = request.app.state.runtime
    context = {
        "results": results,
        "distribution_json": json.dumps(service.survey_distribution_spec(results)),
        "trend_json": json.dumps(service.survey_trend_spec(results)),
        "channel_labels": SURVEY_CHANNEL_LABELS,
        "site_script": runtime.settings.base_url.rstrip("/") + "/feedback/site/survey.js",
        "can_manage": allows(principal.role, Action.FEEDBACK_MANAGE),
        "error": error,
        "sent": sent,
    }
    return render(request, "feedback/survey.html", context, status=status)


@router.get("/feedback/surveys/{survey_id}", response_class=HTMLResponse)
def survey_page(
    request: Request, survey_id: uuid.UUID, session: SessionDep, principal: Reader, sent: int | None = None
) -> HTMLResponse:
    return _survey_page(request, session, principal, survey_id, sent=sent)


@router.post("/feedback/surveys/{survey_id}/site", response_class=HTMLResponse)
def show_on_site(
    survey_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    on_site: Annotated[bool, Form()] = False,
) -> Any:
    """Show the survey on the workspace's sites, or stop."""
    service.show_on_site(session, principal=principal, survey_id=survey_id, on_site=on_site)
    return see_other(f"/feedback/surveys/{survey_id}")


@router.post("/feedback/surveys/{survey_id}/send", response_class=HTMLResponse)
def send_survey(
    request: Request,
    survey_id: uuid.UUID,
    session: SessionDep,
    principal: Manager,
    seen_within_days: Annotated[int | None, Form(ge=1, le=3650)] = None,
    has_email: Annotated[bool, Form()] = False,
    limit: Annotated[int, Form(ge=1, le=5000)] = 1000,
) -> Any:
    """Queue the survey for the customers seen lately (with an email address if asked)."""
    audience = SurveyAudience(seen_within_days=seen_within_days, has_email=has_email or None, limit=limit)
    try:
        sending = service.send_survey(session, principal=principal, survey_id=survey_id, audience=audience)
    except DomainError as error:
        session.rollback()
        return _survey_page(request, session, principal, survey_id, error=error.message, status=error.status)
    return see_other(f"/feedback/surveys/{survey_id}?sent={sending.queued}")


def _invitation_page(
    request: Request,
    session: Session,
    secret: str,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    invitation_id = service.invitation_of(secret, token)
    try:
        if invitation_id is None:
            raise SurveyNotFound("no such survey")
        survey, score, language = service.invitation_page(session, invitation_id=invitation_id)
    except SurveyNotFound:
        return render(request, "feedback/survey_answer.html", {"invalid": True}, status=404)
    set_language(language)
    low, high = SCALES[survey.kind]
    context = {
        "survey": survey,
        "question": survey.question.get(language) or gettext(SURVEY_QUESTIONS[survey.kind]),
        "scores": list(range(low, high + 1)),
        "answered": score,
        "token": token,
        "error": error,
        "invalid": False,
    }
    return render(request, "feedback/survey_answer.html", context, status=status)


@router.get("/feedback/s/{token}", response_class=HTMLResponse)
def invitation_page(request: Request, session: SessionDep, runtime: RuntimeDep, token: Token) -> HTMLResponse:
    return _invitation_page(request, session, runtime.settings.resolved_secret_key, token)


@router.post("/feedback/s/{token}", response_class=HTMLResponse, dependencies=PublicForm)
def answer_invitation(
    request: Request,
    session: SessionDep,
    runtime: RuntimeDep,
    token: Token,
    score: Annotated[int, Form(ge=0, le=10)],
    comment: Annotated[str, Form(max_length=2000)] = "",
    follow_up_0: FollowUpField = "",
    follow_up_1: FollowUpField = "",
    follow_up_2: FollowUpField = "",
    follow_up_3: FollowUpField = "",
    follow_up_4: FollowUpField = "",
) -> HTMLResponse:
    """Store the answer once (with the follow-up questions' answers, fields `follow_up_0` to `follow_up_4`); a
    forged link is not found, a used one is told it was used."""
    secret = runtime.settings.resolved_secret_key
    invitation_id = service.invitation_of(secret, token)
    if invitation_id is None:
        return _invitation_page(request, session, secret, token)
    follow_ups = [follow_up_0, follow_up_1, follow_up_2, follow_up_3, follow_up_4]
    try:
        survey, _, _ = service.invitation_page(session, invitation_id=invitation_id)
        answer = SurveyAnswer(score=score, comment=comment, follow_ups=follow_ups[: len(survey.follow_ups)])
        service.answer_invitation(session, invitation_id=invitation_id, data=answer)
    except DomainError as error:
        session.rollback()
        return _invitation_page(request, session, secret, token, error=error.message, status=error.status)
    return _invitation_page(request, session, secret, token)
