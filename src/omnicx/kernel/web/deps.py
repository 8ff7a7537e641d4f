"""FastAPI dependencies shared by every route and page: runtime, database session, caller, permission check.

`require(Action.X)` is the single gate: a route without it is public, and a test keeps the list of public routes
short and explicit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from omnicx.kernel.access.directory import directory
from omnicx.kernel.access.errors import CsrfFailed, NotAuthenticated, PermissionDenied
from omnicx.kernel.access.permissions import Action, allows
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.access.security import csrf_valid
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from omnicx.kernel.web.labels import refusal

SESSION_COOKIE = "omnicx_session"
PRE_SESSION_COOKIE = "omnicx_pre"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies that only read what the app already holds are coroutines: FastAPI runs a plain function
# dependency in its thread pool, a thread hop per request for nothing.
async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_settings(runtime: RuntimeDep) -> Settings:
    return runtime.settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_db(runtime: RuntimeDep) -> Iterator[Session]:
    with runtime.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db)]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def presented_csrf(request: Request) -> str | None:
    """The CSRF token a browser sent, from the header (htmx, fetch) or the form field (plain forms)."""
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if request.method not in SAFE_METHODS and content_type.startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else None
    return None


def public_form_csrf(
    request: Request, settings: SettingsDep, csrf: Annotated[str | None, Depends(presented_csrf)]
) -> None:
    """Forms anyone may post carry a token bound to the browser's session cookie when it has one (the page was
    then rendered with it), else to its pre-session cookie."""
    anchors = (request.cookies.get(SESSION_COOKIE), request.cookies.get(PRE_SESSION_COOKIE))
    if not any(a and csrf_valid(settings.resolved_secret_key, a, csrf) for a in anchors):
        raise CsrfFailed("missing or wrong CSRF token; reload the page and try again")


@dataclass(frozen=True)
class Credentials:
    """What a request presents to be recognised: a bearer token (API clients) or a session cookie (browsers)."""

    bearer: str | None
    cookie: str | None
    ip: str


def credentials_of(request: Request) -> Credentials:
    authorization = request.headers.get("authorization", "")
    bearer = authorization[7:].strip() if authorization.lower().startswith("bearer ") else None
    return Credentials(bearer=bearer, cookie=request.cookies.get(SESSION_COOKIE), ip=client_ip(request))


def identify(session: Session, credentials: Credentials) -> tuple[Principal, Any] | None:
    """Who the credentials stand for right now (the principal, and the user for a browser), or None.

    Used when a request arrives and again while a live stream stays open, so a revoked token, an ended session
    or a changed role takes effect on connections that are already established.
    """
    if credentials.bearer is not None:
        principal = directory().authenticate_token(session, token=credentials.bearer, ip=credentials.ip)
        return (principal, None) if principal is not None else None
    if credentials.cookie is None:
        return None
    return directory().authenticate_session(session, token=credentials.cookie, ip=credentials.ip)


# The API's bearer token, declared so the OpenAPI document names it (Swagger UI's Authorize button, its "Try it
# out" sending `Authorization: Bearer ...`). Never refuses by itself: `credentials_of` reads the token (the live
# stream re-reads it too), and a browser's session cookie stands in for it.
API_TOKEN = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    bearerFormat="omx_...",
    description="An API token, created under Settings → API tokens or with `omnicx token create`; it acts with "
    "the role it was given.",
)


def current_principal(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: Annotated[str | None, Depends(presented_csrf)],
    _token: Annotated[HTTPAuthorizationCredentials | None, Depends(API_TOKEN)],
) -> Principal:
    """Recognise the caller by bearer token (API clients) or session cookie (browsers, CSRF-checked)."""
    credentials = credentials_of(request)
    found = identify(session, credentials)
    if found is None:
        raise NotAuthenticated(
            "the API token is unknown or revoked" if credentials.bearer is not None else "sign in first"
        )
    principal, user = found
    if credentials.bearer is None and credentials.cookie is not None:
        if request.method not in SAFE_METHODS and not csrf_valid(
            settings.resolved_secret_key, credentials.cookie, csrf
        ):
            raise CsrfFailed("missing or wrong CSRF token; reload the page and try again")
        request.state.user = user
        _load_page_context(request, session, principal)
    request.state.principal = principal
    return principal


def _load_page_context(request: Request, session: Session, principal: Principal) -> None:
    """What the page frame shows for a signed-in browser: current workspace and the switcher's list."""
    if principal.user_id is None:
        return
    frame = directory().page_frame(session, principal=principal)
    request.state.workspace = frame.workspace
    request.state.timezone = frame.timezone
    request.state.workspaces = frame.workspaces


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def require(action: Action) -> Any:
    """Dependency that lets the request through only when the caller's role allows `action`."""

    def check(principal: PrincipalDep) -> Principal:
        if not allows(principal.role, action):
            raise PermissionDenied(refusal(principal.role, action))
        return principal

    check.required_action = action  # type: ignore[attr-defined]
    return Depends(check)


def required_action(dependency: Any) -> Action | None:
    """The action a dependency callable enforces, if it is a `require(...)` gate (used by the RBAC test)."""
    action = getattr(dependency, "required_action", None)
    return action if isinstance(action, Action) else None
