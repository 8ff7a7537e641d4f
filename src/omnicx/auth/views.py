"""Pages of the auth domain: sign-in/out, workspace switcher, profile, members, teams, tokens, audit log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from omnicx.auth import service
from omnicx.auth.schemas import InvitationCreate, InvitationPublic, TeamCreate
from omnicx.kernel.access.errors import CsrfFailed
from omnicx.kernel.access.permissions import Action, Role, allows, assignable_roles
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import csrf_valid
from omnicx.kernel.errors import DomainError, Invalid, RateLimited
from omnicx.kernel.i18n import LANGUAGES
from omnicx.kernel.i18n import gettext as _
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import set_language as set_request_language
from omnicx.kernel.web.deps import (
    PRE_SESSION_COOKIE,
    SESSION_COOKIE,
    SessionDep,
    SettingsDep,
    client_ip,
    presented_csrf,
    require,
)
from omnicx.kernel.web.forms import redirect_or_page, see_other, validation_message
from omnicx.kernel.web.limits import per_address_limit
from omnicx.kernel.web.middleware import LANGUAGE_COOKIE
from omnicx.kernel.web.nav import NavItem
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

# This module's entries in the navigation frame (registered by `omnicx.app.wiring`).
SETTINGS_NAV = [
    NavItem("profile", N_("Profile"), "/settings/profile", Action.OVERVIEW_READ, 0),
    NavItem("members", N_("Members"), "/settings/members", Action.MEMBERS_READ, 10),
    NavItem("teams", N_("Teams"), "/settings/teams", Action.MEMBERS_READ, 20),
    NavItem("tokens", N_("API tokens"), "/settings/tokens", Action.TOKENS_MANAGE, 30),
    NavItem("audit", N_("Audit log"), "/settings/audit", Action.AUDIT_READ, 40),
]

Anyone = Annotated[Principal, require(Action.OVERVIEW_READ)]
Self = Annotated[Principal, require(Action.OWN_ACCOUNT)]
MemberReader = Annotated[Principal, require(Action.MEMBERS_READ)]
MemberManager = Annotated[Principal, require(Action.MEMBERS_MANAGE)]
TeamManager = Annotated[Principal, require(Action.TEAMS_MANAGE)]
TokenManager = Annotated[Principal, require(Action.TOKENS_MANAGE)]
AuditReader = Annotated[Principal, require(Action.AUDIT_READ)]


def _safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def pre_session_csrf(
    request: Request, settings: SettingsDep, csrf: Annotated[str | None, Depends(presented_csrf)]
) -> None:
    """Forms shown before sign-in are bound to a pre-session cookie instead of a session."""
    anchor = request.cookies.get(PRE_SESSION_COOKIE)
    if not anchor or not csrf_valid(settings.resolved_secret_key, anchor, csrf):
        raise CsrfFailed("missing or wrong CSRF token; reload the page and try again")


@router.get("/signin", response_class=HTMLResponse)
def signin_page(
    request: Request, next: str | None = None, lang: str | None = None, reset: bool = False
) -> HTMLResponse:
    if lang in LANGUAGES:
        set_request_language(lang)
    context = {"next": _safe_next(next), "error": None, "password_reset": reset}
    response = render(request, "auth/signin.html", context)
    if lang in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, lang, samesite="lax", max_age=365 * 86400)
    return response


@router.post(
    "/signin",
    response_class=HTMLResponse,
    dependencies=[per_address_limit("signin"), Depends(pre_session_csrf)],
)
def signin(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        signed = service.sign_in(
            session,
            email=email,
            password=password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            max_failures=settings.login_max_failures,
            max_account_failures=settings.login_max_failures_per_account,
            lockout_seconds=settings.login_lockout_seconds,
            ttl_hours=settings.session_ttl_hours,
        )
    except DomainError as error:
        context = {"next": _safe_next(next), "error": error.message, "email": email}
        page = render(request, "auth/signin.html", context, status=error.status)
        if isinstance(error, RateLimited):
            page.headers.update(error.headers)
        return page
    response = see_other(_safe_next(next))
    secure = settings.base_url.startswith("https://")
    response.set_cookie(
        SESSION_COOKIE,
        signed.session_token,
        httponly=True,
        samesite="lax",
        secure=secure,
        max_age=settings.session_ttl_hours * 3600,
    )
    if signed.user.language:
        response.set_cookie(LANGUAGE_COOKIE, signed.user.language, samesite="lax", max_age=365 * 86400)
    return response


@router.post("/signout")
def signout(request: Request, session: SessionDep, principal: Self) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        service.sign_out(session, token=token)
    response = see_other("/signin")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/workspaces/switch")
def switch_workspace(
    request: Request, session: SessionDep, principal: Self, workspace_id: Annotated[uuid.UUID, Form()]
) -> Response:
    service.switch_workspace(
        session, token=request.cookies.get(SESSION_COOKIE, ""), workspace_id=workspace_id
    )
    return see_other("/")


@router.get("/settings")
def settings_home(principal: Anyone) -> Response:
    return see_other("/settings/profile")


@router.get("/settings/profile", response_class=HTMLResponse)
def profile(request: Request, principal: Anyone, changed: Annotated[bool, Query()] = False) -> HTMLResponse:
    return render(request, "auth/profile.html", {"password_changed": changed})


@router.post("/settings/profile/password")
def change_password(
    request: Request,
    session: SessionDep,
    principal: Self,
    current_password: Annotated[str, Form(max_length=200)],
    new_password: Annotated[str, Form(max_length=200)],
    new_password_again: Annotated[str, Form(max_length=200)],
) -> Response:
    """Change one's own password; the person's other browser sessions end with it."""

    def change() -> None:
        if new_password != new_password_again:
            raise Invalid(_("The two new passwords differ."))
        service.change_password(
            session,
            principal=principal,
            current_session_token=request.cookies.get(SESSION_COOKIE),
            current_password=current_password,
            new_password=new_password,
        )

    def page(error: str, status: int) -> HTMLResponse:
        return render(request, "auth/profile.html", {"password_error": error}, status=status)

    return redirect_or_page(change, to="/settings/profile?changed=true", page=page, session=session)


@router.post("/settings/profile/language")
def set_language(
    request: Request, session: SessionDep, principal: Self, language: Annotated[str, Form(max_length=8)]
) -> Response:
    if principal.user_id is not None:
        service.set_user_language(session, user_id=principal.user_id, language=language)
    response = see_other("/settings/profile")
    if language in LANGUAGES:
        response.set_cookie(LANGUAGE_COOKIE, language, samesite="lax", max_age=365 * 86400)
    return response


def _members_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    error: str | None = None,
    invited: InvitationPublic | None = None,
    status: int = 200,
) -> HTMLResponse:
    can_manage = allows(principal.role, Action.MEMBERS_MANAGE)
    context = {
        "members": service.list_members(session, workspace_id=principal.workspace_id),
        "invitations": service.list_invitations(session, workspace_id=principal.workspace_id),
        "can_manage": can_manage,
        "roles": sorted(assignable_roles(principal.role), key=list(Role).index),
        "error": error,
        "invited": invited,
    }
    return render(request, "auth/members.html", context, status=status)


@router.get("/settings/members", response_class=HTMLResponse)
def members(request: Request, session: SessionDep, principal: MemberReader) -> HTMLResponse:
    return _members_page(request, session, principal)


@router.post("/settings/invitations", response_class=HTMLResponse)
def invite_member(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: MemberManager,
    email: Annotated[str, Form(max_length=320)],
    role: Annotated[Role, Form()],
) -> HTMLResponse:
    """Invite an address: the page says the invitation was sent, whether or not the address has an account."""
    try:
        data = InvitationCreate(email=email, role=role)
        invited = service.invite_member(
            session, principal=principal, data=data, secret=settings.resolved_secret_key
        )
    except DomainError as error:
        session.rollback()
        return _members_page(request, session, principal, error=error.message, status=error.status)
    except ValidationError as error:
        return _members_page(request, session, principal, error=validation_message(error), status=422)
    return _members_page(request, session, principal, invited=invited, status=201)


@router.post("/settings/invitations/{invitation_id}/resend", response_class=HTMLResponse)
def resend_invitation(
    request: Request,
    invitation_id: uuid.UUID,
    session: SessionDep,
    settings: SettingsDep,
    principal: MemberManager,
) -> Response:
    return redirect_or_page(
        lambda: service.resend_invitation(
            session, principal=principal, invitation_id=invitation_id, secret=settings.resolved_secret_key
        ),
        to="/settings/members",
        page=lambda message, status: _members_page(request, session, principal, error=message, status=status),
        session=session,
    )


@router.post("/settings/invitations/{invitation_id}/revoke", response_class=HTMLResponse)
def revoke_invitation(
    request: Request, invitation_id: uuid.UUID, session: SessionDep, principal: MemberManager
) -> Response:
    return redirect_or_page(
        lambda: service.revoke_invitation(session, principal=principal, invitation_id=invitation_id),
        to="/settings/members",
        page=lambda message, status: _members_page(request, session, principal, error=message, status=status),
        session=session,
    )


@router.post("/settings/members/{member_id}/role", response_class=HTMLResponse)
def change_member_role(
    request: Request,
    member_id: uuid.UUID,
    session: SessionDep,
    principal: MemberManager,
    role: Annotated[Role, Form()],
) -> Response:
    return redirect_or_page(
        lambda: service.change_role(session, principal=principal, member_id=member_id, role=role),
        to="/settings/members",
        page=lambda message, status: _members_page(request, session, principal, error=message, status=status),
    )


@router.post("/settings/members/{member_id}/remove", response_class=HTMLResponse)
def remove_member(
    request: Request, member_id: uuid.UUID, session: SessionDep, principal: MemberManager
) -> Response:
    return redirect_or_page(
        lambda: service.remove_member(session, principal=principal, member_id=member_id),
        to="/settings/members",
        page=lambda message, status: _members_page(request, session, principal, error=message, status=status),
    )


def _teams_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    members_by_id = {m.id: m for m in service.list_members(session, workspace_id=principal.workspace_id)}
    context = {
        "teams": service.list_teams(session, workspace_id=principal.workspace_id),
        "members_by_id": members_by_id,
        "can_manage": allows(principal.role, Action.TEAMS_MANAGE),
        "error": error,
    }
    return render(request, "auth/teams.html", context, status=status)


@router.get("/settings/teams", response_class=HTMLResponse)
def teams(request: Request, session: SessionDep, principal: MemberReader) -> HTMLResponse:
    return _teams_page(request, session, principal)


@router.post("/settings/teams", response_class=HTMLResponse)
def create_team(
    request: Request,
    session: SessionDep,
    principal: TeamManager,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    description: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    return redirect_or_page(
        lambda: service.create_team(
            session, principal=principal, data=TeamCreate(name=name, description=description)
        ),
        to="/settings/teams",
        page=lambda message, status: _teams_page(request, session, principal, error=message, status=status),
    )


@router.post("/settings/teams/{team_id}/members", response_class=HTMLResponse)
def add_team_member(
    request: Request,
    team_id: uuid.UUID,
    session: SessionDep,
    principal: TeamManager,
    member_id: Annotated[uuid.UUID, Form()],
) -> Response:
    return redirect_or_page(
        lambda: service.add_team_member(session, principal=principal, team_id=team_id, member_id=member_id),
        to="/settings/teams",
        page=lambda message, status: _teams_page(request, session, principal, error=message, status=status),
    )


@router.post("/settings/teams/{team_id}/delete", response_class=HTMLResponse)
def delete_team(
    request: Request, team_id: uuid.UUID, session: SessionDep, principal: TeamManager
) -> Response:
    return redirect_or_page(
        lambda: service.delete_team(session, principal=principal, team_id=team_id),
        to="/settings/teams",
        page=lambda message, status: _teams_page(request, session, principal, error=message, status=status),
    )


def _tokens_page(
    request: Request,
    session: SessionDep,
    principal: Principal,
    *,
    created: object = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = {
        "tokens": service.list_tokens(session, workspace_id=principal.workspace_id),
        "roles": sorted(assignable_roles(principal.role), key=list(Role).index),
        "created": created,
        "error": error,
    }
    return render(request, "auth/tokens.html", context, status=status)


@router.get("/settings/tokens", response_class=HTMLResponse)
def tokens(request: Request, session: SessionDep, principal: TokenManager) -> HTMLResponse:
    return _tokens_page(request, session, principal)


@router.post("/settings/tokens", response_class=HTMLResponse)
def create_token(
    request: Request,
    session: SessionDep,
    principal: TokenManager,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    role: Annotated[Role, Form()],
) -> HTMLResponse:
    try:
        created = service.create_token(
            session, workspace_id=principal.workspace_id, name=name, role=role, principal=principal
        )
    except DomainError as error:
        return _tokens_page(request, session, principal, error=error.message, status=error.status)
    return _tokens_page(request, session, principal, created=created, status=201)


@router.post("/settings/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(
    request: Request, token_id: uuid.UUID, session: SessionDep, principal: TokenManager
) -> Response:
    return redirect_or_page(
        lambda: service.revoke_token(session, principal=principal, token_id=token_id),
        to="/settings/tokens",
        page=lambda message, status: _tokens_page(request, session, principal, error=message, status=status),
    )


@router.get("/settings/audit", response_class=HTMLResponse)
def audit(
    request: Request,
    session: SessionDep,
    principal: AuditReader,
    action: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z0-9_.]*$")] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> HTMLResponse:
    page = service.list_audit(
        session, workspace_id=principal.workspace_id, action=action or None, offset=offset
    )
    return render(request, "auth/audit.html", {"page": page, "action": action or ""})
