"""Pages opened from the links omnicx mails, and the form that asks for one: accepting an invitation, asking
for a password reset, setting a new password. Anyone may open them (the link's token is the credential), so
every form is CSRF-checked and rate limited per address like sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from omnicx.auth import service
from omnicx.auth.schemas import InvitationAccept
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.errors import DomainError, Invalid
from omnicx.kernel.i18n import gettext as _
from omnicx.kernel.web.deps import (
    SESSION_COOKIE,
    SessionDep,
    SettingsDep,
    client_ip,
    credentials_of,
    identify,
    require,
)
from omnicx.kernel.web.forms import see_other
from omnicx.kernel.web.limits import public_form
from omnicx.kernel.web.templating import render

router = APIRouter(include_in_schema=False)

Self = Annotated[Principal, require(Action.OWN_ACCOUNT)]
# A link's token (longer than any omnicx issues are refused before any lookup).
Token = Annotated[str, Path(min_length=1, max_length=200)]


PublicForm = public_form("account_links")


def _set_session(response: Response, token: Token, settings: SettingsDep) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=settings.base_url.startswith("https://"),
        max_age=settings.session_ttl_hours * 3600,
    )


def _invitation_page(
    request: Request, session: SessionDep, token: Token, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    """The invitation, and the way to accept it that fits the visitor: a button for the invited person signed
    in, a note for someone else signed in, else their password or the form creating their account."""
    try:
        invitation = service.view_invitation(session, token=token)
    except DomainError as invalid:
        return render(request, "auth/invitation.html", {"invalid": invalid.message}, status=invalid.status)
    found = identify(session, credentials_of(request))
    signed_in_as = getattr(found[1], "email", None) if found else None
    context = {"invitation": invitation, "token": token, "signed_in_as": signed_in_as, "error": error}
    return render(request, "auth/invitation.html", context, status=status)


@router.get("/invitations/{token}", response_class=HTMLResponse)
def invitation(request: Request, session: SessionDep, token: Token) -> HTMLResponse:
    return _invitation_page(request, session, token)


@router.post("/invitations/{token}", response_class=HTMLResponse, dependencies=PublicForm)
def accept_signed_out(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Token,
    password: Annotated[str, Form(max_length=200)],
    password_again: Annotated[str | None, Form(max_length=200)] = None,
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Accept with the account's password, or create the account (name, password twice) and join."""
    try:
        if password_again is not None and password != password_again:
            raise Invalid(_("The two passwords differ."))
        signed = service.accept_invitation_signed_out(
            session,
            token=token,
            data=InvitationAccept(name=name, password=password),
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
            ttl_hours=settings.session_ttl_hours,
        )
    except DomainError as error:
        session.rollback()
        return _invitation_page(request, session, token, error=error.message, status=error.status)
    response = see_other("/")
    _set_session(response, signed.session_token, settings)
    return response


@router.post("/invitations/{token}/accept", response_class=HTMLResponse)
def accept_signed_in(request: Request, session: SessionDep, principal: Self, token: Token) -> Response:
    """Join as the signed-in person, then look at the workspace just joined."""
    try:
        joined = service.accept_invitation(session, principal=principal, token=token)
    except DomainError as error:
        session.rollback()
        return _invitation_page(request, session, token, error=error.message, status=error.status)
    browser = request.cookies.get(SESSION_COOKIE)
    if browser:
        service.switch_workspace(session, token=browser, workspace_id=joined.workspace.id)
    return see_other("/")


@router.get("/password-reset", response_class=HTMLResponse)
def password_reset_request_page(request: Request) -> HTMLResponse:
    return render(request, "auth/password_reset_request.html", {"sent": False})


@router.post("/password-reset", response_class=HTMLResponse, dependencies=PublicForm)
def request_password_reset(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=320)],
) -> HTMLResponse:
    """One answer for every address: whether an account has it is not this form's to say."""
    service.request_password_reset(
        session, email=email, secret=settings.resolved_secret_key, ip=client_ip(request)
    )
    return render(request, "auth/password_reset_request.html", {"sent": True})


def _reset_page(
    request: Request, token: Token, *, error: str | None = None, status: int = 200
) -> HTMLResponse:
    return render(request, "auth/password_reset.html", {"token": token, "error": error}, status=status)


@router.get("/password-reset/{token}", response_class=HTMLResponse)
def password_reset_page(request: Request, session: SessionDep, token: Token) -> HTMLResponse:
    try:
        service.check_reset_link(session, token=token)
    except DomainError as invalid:
        return render(
            request, "auth/password_reset.html", {"invalid": invalid.message}, status=invalid.status
        )
    return _reset_page(request, token)


@router.post("/password-reset/{token}", response_class=HTMLResponse, dependencies=PublicForm)
def reset_password(
    request: Request,
    session: SessionDep,
    token: Token,
    new_password: Annotated[str, Form(max_length=200)],
    new_password_again: Annotated[str, Form(max_length=200)],
) -> Response:
    """Set the new password; every session of the person ends, this browser's too: they sign in again."""
    try:
        if new_password != new_password_again:
            raise Invalid(_("The two new passwords differ."))
        service.reset_password(session, token=token, new_password=new_password, ip=client_ip(request))
    except DomainError as error:
        return _reset_page(request, token, error=error.message, status=error.status)
    response = see_other("/signin?reset=true")
    response.delete_cookie(SESSION_COOKIE)
    return response
