"""The one place where errors become HTTP responses.

API clients always get `{"code": ..., "message": ...}`; browsers get an HTML page (or are sent to sign in). No
stack trace ever leaves the server: unexpected errors are logged with an id the user can quote.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from omnicx.kernel.access.errors import NotAuthenticated
from omnicx.kernel.errors import DomainError

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
    """API and tracking paths answer in JSON; pages answer in HTML unless the client asks for JSON."""
    path = request.url.path
    if path.startswith(("/api/", "/v1/")):
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
    return _respond(request, exc.status, exc.code, exc.message)


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


async def _unexpected(request: Request, exc: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, request.method, request.url.path, exc_info=exc)
    return _respond(request, 500, "internal_error", f"something went wrong on our side (incident {incident})")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(Exception, _unexpected)
