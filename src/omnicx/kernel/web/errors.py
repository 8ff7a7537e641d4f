"""The one place where errors become HTTP responses.

API clients always get `{"code": ..., "message": ...}`; browsers get an HTML page (or are sent to sign in). No
stack trace ever leaves the server: unexpected errors are logged with an id the user can quote, an identical one
(same kind, raised at the same line, on the same route) with its traceback once per interval: a request that
keeps failing the same way cannot flood the log, and its callers quote the incident that was logged.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicx.kernel.access.errors import NotAuthenticated
from omnicx.kernel.errors import DomainError, RateLimited

log = logging.getLogger("omnicx.kernel.web")

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
}


def wants_json(request: Request) -> bool:
    """API, tracking, chat and provider webhook paths answer in JSON; pages answer in HTML unless the client asks
    for JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/v1/", "/chat/", "/channels/", "/webhooks/")):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": message, **extra}


def _respond(request: Request, status: int, code: str, message: str, **extra: Any) -> Response:
    if wants_json(request):
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(error_body(code, message, **extra), status_code=status, headers=headers)
    from omnicx.kernel.web.templating import render_error

    return render_error(request, status=status, code=code, message=message)


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotAuthenticated) and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={target}", status_code=303)
    response = _respond(request, exc.status, exc.code, exc.message)
    if isinstance(exc, RateLimited):
        response.headers.update(exc.headers)
    return response


def _describe(error: dict[str, Any]) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{location}: {error.get('msg', 'invalid')}" if location else str(error.get("msg", "invalid"))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return _respond(request, 400, "invalid_json", "the request body is not valid JSON")
    details = [{"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in errors]
    message = "; ".join(_describe(e) for e in errors[:5]) or "invalid request"
    return _respond(request, 422, "invalid_request", message, details=details)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    response = _respond(request, exc.status_code, code, message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _data_error(request: Request, exc: Exception) -> Response:
    """The database refused a value's form (a NUL byte, an out-of-range number): the input's fault, not ours."""
    log.info("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return _respond(request, 422, "invalid_value", "a value in the request cannot be stored")


Handler = Callable[[Request, Exception], Awaitable[Response]]


@dataclass
class _Logged:
    incident: str
    at: float
    repeats: int = 0  # identical errors not logged since


@dataclass(frozen=True)
class Verdict:
    incident: str  # what the caller is told to quote
    log: bool  # log this one (with its traceback)
    unlogged: int = 0  # identical errors not logged since the last one that was
    last_incident: str = ""


class RepeatedErrors:
    """Which unexpected errors were logged lately: an identical one is logged again only `interval` seconds
    later, with the count of those not logged meanwhile. Remembers at most `MAX_KINDS` kinds."""

    MAX_KINDS = 1000

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = interval
        self._clock = clock
        self._logged: dict[tuple[str, ...], _Logged] = {}
        self._lock = threading.Lock()

    def note(self, kind: tuple[str, ...]) -> Verdict:
        now = self._clock()
        with self._lock:
            last = self._logged.get(kind)
            if last is not None and now - last.at < self.interval:
                last.repeats += 1
                return Verdict(incident=last.incident, log=False)
            if len(self._logged) >= self.MAX_KINDS:
                self._logged.clear()
            incident = uuid.uuid4().hex[:12]
            self._logged[kind] = _Logged(incident=incident, at=now)
            if last is None:
                return Verdict(incident=incident, log=True)
            return Verdict(incident=incident, log=True, unlogged=last.repeats, last_incident=last.incident)


def _kind(request: Request, exc: Exception) -> tuple[str, ...]:
    frames = traceback.extract_tb(exc.__traceback__)
    place = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    route = request.scope.get("route")
    path = getattr(route, "path", None) or request.url.path
    return (type(exc).__module__, type(exc).__qualname__, place, request.method, str(path))


def _unexpected(repeated: RepeatedErrors) -> Handler:
    async def handle(request: Request, exc: Exception) -> Response:
        verdict = repeated.note(_kind(request, exc))
        if verdict.log:
            since = (
                f" (after {verdict.unlogged} identical errors not logged since incident {verdict.last_incident})"
                if verdict.unlogged
                else ""
            )
            log.error(
                "unexpected error %s on %s %s%s",
                verdict.incident,
                request.method,
                request.url.path,
                since,
                exc_info=exc,
            )
        message = f"something went wrong on our side (incident {verdict.incident})"
        return _respond(request, 500, "internal_error", message)

    return handle


class UnexpectedErrorMiddleware:
    """Answers an unexpected error inside the app. Starlette's outermost error middleware would answer it too,
    but then re-raise it to the server, which logs its whole traceback again, for every request. An error
    after the response started (a broken stream) still goes on to the server: nothing else can be sent."""

    def __init__(self, app: ASGIApp, handler: Handler) -> None:
        self.app = app
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:
                raise
            response = await self.handler(Request(scope, receive), exc)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI, *, repeat_interval: float = 60.0) -> None:
    """Map errors to responses; an identical unexpected error is logged once per `repeat_interval` seconds.

    Call it before adding other middleware: the unexpected-error middleware must be the innermost.
    """
    unexpected = _unexpected(RepeatedErrors(repeat_interval))
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, unexpected)  # errors raised by the middleware around it
    app.add_middleware(UnexpectedErrorMiddleware, handler=unexpected)
