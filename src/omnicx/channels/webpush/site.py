"""Web push's public endpoints, called by a site's pages from any origin (CORS open, no cookies) with a source's
write key (`writeKey` in the body, or in the query of a GET), as the collection API is:

- `GET /channels/webpush/key?writeKey=`: the workspace's `applicationServerKey` (`{"publicKey"}`), made on
  first need;
- `POST /channels/webpush/subscriptions`: keep the browser's `PushSubscription` (`subscription`: `endpoint`,
  `keys.p256dh`, `keys.auth`) with the visitor's `anonymousId` (and optional `userId`, a claim) and the page a
  notification opens (`url`); the same endpoint again updates it. 201 `{"subscribed": true}`;
- `POST /channels/webpush/unsubscribe`: forget the browser of `endpoint`. 204;
- `GET /channels/webpush/omnicx-push.js`: the script a site's pages load (`omnicxPush.subscribe()`);
- `GET /channels/webpush/omnicx-sw.js`: the service worker's push and click handlers, which the site's own
  `/omnicx-sw.js` imports (a service worker must come from the site's origin).

Bodies are JSON, whatever their content type (a `text/plain` post needs no CORS preflight). Every refusal is
`{"code", "message"}` with CORS headers, so the page can read it: 401 for a missing, unknown or revoked write
key (checked before the body is validated), 422 for a body that is not a subscription or an endpoint that is
not a listed push service's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from omnicx.channels.webpush import service
from omnicx.channels.webpush.schemas import SubscribeRequest, UnsubscribeRequest
from omnicx.kernel.errors import DomainError, Invalid
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.errors import error_body
from omnicx.kernel.web.forms import validation_message
from omnicx.tracking import service as tracking_service
from omnicx.tracking.schemas import AuthenticatedSource

router = APIRouter(prefix="/channels/webpush", include_in_schema=False)
STATIC = Path(__file__).parent / "static"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After"}
PREFLIGHT = {
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type",
    "Access-Control-Max-Age": "86400",
}
SCRIPT_CACHE = "public, max-age=300"
Body = TypeVar("Body", bound=BaseModel)


def _refusal(error: DomainError) -> JSONResponse:
    """`{"code", "message"}` with CORS: answered here rather than by the app's handler, so that the site's page
    (another origin) can read it."""
    return JSONResponse(error_body(error.code, error.message), status_code=error.status, headers=CORS)


def _source(runtime: Runtime, write_key: str | None) -> AuthenticatedSource:
    with runtime.sessions() as session:
        return tracking_service.authenticate_write_key(session, write_key=write_key)


def _authenticated(runtime: Runtime, raw: bytes, model: type[Body]) -> tuple[AuthenticatedSource, Body]:
    """The source of the body's write key (checked first: without a live key nothing is validated) and the
    body as `model`."""
    try:
        data: Any = json.loads(raw)
    except ValueError:
        data = None  # no body, so no write key: refused as such
    write_key = data.get("writeKey") if isinstance(data, dict) else None
    source = _source(runtime, write_key if isinstance(write_key, str) else None)
    try:
        return source, model.model_validate(data)
    except ValidationError as error:
        raise Invalid(validation_message(error)) from error


async def _answer(work: Callable[[], Response]) -> Response:
    """`work()` on a worker thread (it reads and writes the database), its domain errors answered with CORS."""
    try:
        return await run_in_threadpool(work)
    except DomainError as error:
        return _refusal(error)


@router.options("/{action}")
def preflight(action: str) -> Response:
    """CORS preflight: any site may call (the write key, not the origin, authorises)."""
    return Response(status_code=204, headers={**CORS, **PREFLIGHT})


@router.get("/key")
async def application_server_key(
    request: Request, write_key: Annotated[str | None, Query(alias="writeKey")] = None
) -> Response:
    """The workspace's VAPID public key, for `pushManager.subscribe({applicationServerKey})`."""
    runtime: Runtime = request.app.state.runtime

    def work() -> Response:
        source = _source(runtime, write_key)
        with runtime.sessions() as session:
            key = service.public_key(session, workspace_id=source.workspace_id, settings=runtime.settings)
        return JSONResponse({"publicKey": key}, headers=CORS)

    return await _answer(work)


@router.post("/subscriptions")
async def subscribe(request: Request) -> Response:
    """Keep the browser's subscription (durable before answered)."""
    runtime: Runtime = request.app.state.runtime
    raw = await request.body()

    def work() -> Response:
        source, data = _authenticated(runtime, raw, SubscribeRequest)
        with runtime.sessions() as session:
            service.subscribe(session, source=source, data=data, settings=runtime.settings)
        return JSONResponse({"subscribed": True}, status_code=201, headers=CORS)

    return await _answer(work)


@router.post("/unsubscribe")
async def unsubscribe(request: Request) -> Response:
    """Forget the browser (it unsubscribed); answered the same whether it was known or not."""
    runtime: Runtime = request.app.state.runtime
    raw = await request.body()

    def work() -> Response:
        source, data = _authenticated(runtime, raw, UnsubscribeRequest)
        with runtime.sessions() as session:
            service.unsubscribe(session, workspace_id=source.workspace_id, endpoint=data.endpoint)
        return Response(status_code=204, headers=CORS)

    return await _answer(work)


def _script(name: str) -> FileResponse:
    return FileResponse(
        STATIC / name, media_type="text/javascript", headers={**CORS, "Cache-Control": SCRIPT_CACHE}
    )


@router.get("/omnicx-push.js")
def page_script() -> FileResponse:
    return _script("omnicx-push.js")


@router.get("/omnicx-sw.js")
def service_worker_script() -> FileResponse:
    return _script("omnicx-sw.js")
