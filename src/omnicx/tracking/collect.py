"""The Segment-compatible collection API: `POST /v1/{identify,track,page,screen,group,alias,batch,import}`.

The browser library (analytics.js 2.0) posts the same calls to one-letter paths (`/v1/i`, `/v1/t`, `/v1/p`,
`/v1/s`, `/v1/g`, `/v1/a`, and `/v1/b` when batching, which the mobile libraries use too) as `text/plain`
bodies: the content type is never checked, every body is parsed as JSON.

Authenticated by a source's write key (HTTP Basic user name, empty password, or `writeKey` in the body) rather
than by a member's role, so these routes are outside the RBAC gate. The key is checked before the body is
parsed: without a live key nothing is parsed. Answers `200 {"success": true}` only after the events are
committed; errors are `{"code", "message"}` with the status the Segment libraries expect (4xx are not retried,
5xx and network errors are, and a retry stores nothing twice). One bad event of a batch is rejected alone (kept
with its reason, counted in the answer), never failing the batch. Past its source's rate limit a request is
answered 429 with `Retry-After` (the per-address limit is the app's middleware).
"""

from __future__ import annotations

import asyncio
import functools
import threading
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any

import anyio
import anyio.to_thread
import orjson
from cachetools import TTLCache
from fastapi import APIRouter, Request, Response

from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import DomainError, RateLimited
from omnicx.kernel.limits import retry_after_seconds
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import RuntimeDep, client_ip
from omnicx.kernel.web.errors import error_body
from omnicx.tracking import service
from omnicx.tracking.errors import EmptyBatch, InvalidBatch, InvalidWriteKey
from omnicx.tracking.schemas import AuthenticatedSource, IngestResult
from omnicx.tracking.wire import (
    Received,
    basic_auth_user,
    decompress,
    parse_object,
    write_key_candidates,
)

router = APIRouter(prefix="/v1", tags=["collection"], include_in_schema=False)

SUCCESS = b'{"success":true}'
# Requests are parsed and stored by at most this many threads at once (the others wait their turn): the work is
# CPU-bound under one GIL, so more threads only add switching. On PostgreSQL a second thread overlaps one
# request's database round trips with the next one's parsing; SQLite writes in process, one writer at a time.
COLLECTORS = {"postgresql": 2, "sqlite": 1}
# Sites embed the write key in their pages, like Segment's: the API is open to every origin, without cookies.
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "Retry-After"}
PREFLIGHT = {"Access-Control-Allow-Methods": "GET, POST, OPTIONS", "Access-Control-Max-Age": "86400"}
# Headers a preflight may ask for: what the Segment and RudderStack libraries send (a retry count, the anonymous
# id) and no more. Cookies are never allowed, so allowing more headers would grant nothing, but the list keeps
# the answer predictable.
ALLOWED_HEADERS = "Authorization, Content-Type, Content-Encoding, X-Retry-Count, AnonymousId"
# analytics.js 2.0 names each call by its first letter.
SHORT_PATHS = {"i": "identify", "t": "track", "p": "page", "s": "screen", "g": "group", "a": "alias"}


def _messages(data: dict[str, Any], kind: str | None) -> list[object]:
    if kind is not None:
        return [data]
    batch = data.get("batch")
    if not isinstance(batch, list):
        raise InvalidBatch("a batch request needs a `batch` list of events")
    if not batch:
        raise EmptyBatch("the batch is empty")
    shared = data.get("context")
    if isinstance(shared, dict) and shared:
        # Segment's batch-level context applies to every event; an event's own keys win.
        for message in batch:
            if isinstance(message, dict):
                own = message.get("context")
                message["context"] = {**shared, **own} if isinstance(own, dict) else dict(shared)
    return batch


# Sources the gate recognised lately, by their key's hash. The gate only decides whether a body is worth
# parsing and whose rate limit applies; the key the batch names is checked again in the transaction that stores
# its events, so a key revoked while remembered here still stores nothing. It saves a transaction per request
# (a browser sends one event per request). Unknown keys are never remembered.
RECOGNISED_FOR_SECONDS = 10
_recognised: TTLCache[str, AuthenticatedSource] = TTLCache(maxsize=10_000, ttl=RECOGNISED_FOR_SECONDS)
_recognised_lock = threading.Lock()


def gate(runtime: Runtime, keys: list[str]) -> AuthenticatedSource:
    """The source of the first live key among `keys`, within its rate limit; else InvalidWriteKey or RateLimited.

    Checked before the body is parsed, from the keys recognised in the last seconds or in a short transaction
    of its own; the key the batch names is checked again when its events are stored (a key revoked meanwhile
    stores nothing).
    """
    source = _recognise(runtime, keys)
    if source is None:
        raise InvalidWriteKey(
            "the write key is unknown or revoked"
            if keys
            else "a write key is required (HTTP Basic user name, or writeKey in the body)"
        )
    rate = runtime.settings.rate("v1_per_key")
    if rate is not None:
        wait = runtime.limiter.hit(f"v1:key:{source.id}", rate)
        if wait:
            seconds = retry_after_seconds(wait)
            raise RateLimited(
                f"too many requests for this write key; try again in {seconds} s", retry_after=seconds
            )
    return source


def _recognise(runtime: Runtime, keys: list[str]) -> AuthenticatedSource | None:
    """The source of the first live key among `keys`, remembered or looked up."""
    hashes = [service.hash_write_key(key) for key in keys]
    with _recognised_lock:
        known = next((found for h in hashes if (found := _recognised.get(h)) is not None), None)
    if known is not None:
        return known
    source: AuthenticatedSource | None = None
    with runtime.sessions() as session:
        for key, hashed in zip(keys, hashes, strict=True):
            try:
                source = service.authenticate_write_key(session, write_key=key)
            except InvalidWriteKey:
                continue
            with _recognised_lock:
                _recognised[hashed] = source
            break
        session.rollback()
    return source


def _collect(
    runtime: Runtime,
    *,
    raw: bytes,
    headers: dict[str, str],
    ip: str,
    kind: str | None,
    url_key: str | None = None,
) -> Future[IngestResult]:
    """Check the key, parse and validate one request, and queue its events for storing (see
    `service.queue_collect`); the future holds the counts once they are committed."""
    received_at = utcnow()
    header_key = basic_auth_user(headers.get("authorization")) or url_key
    if header_key:
        gate(runtime, [header_key])
    decoded = decompress(raw, headers.get("content-encoding"))
    if not header_key:
        gate(runtime, write_key_candidates(decoded))
    data = parse_object(decoded)
    body_key = data.get("writeKey")
    write_key = header_key or (body_key if isinstance(body_key, str) else None)
    messages = _messages(data, kind)
    received = Received(at=received_at, ip=ip, sent_at=data.get("sentAt") if kind is None else None)
    return service.queue_collect(
        runtime.bulk_writes,
        write_key=write_key,
        messages=messages,
        forced_type=kind,
        received=received,
        single=kind is not None,
    )


def _answer(result: IngestResult) -> Response:
    if not result.rejected:
        return Response(SUCCESS, media_type="application/json", headers=CORS)
    body = {
        "success": True,
        # Suppressed events count as accepted: the answer must not tell who asked to be forgotten.
        "accepted": result.accepted + result.suppressed,
        "rejected": result.rejected,
        "errors": result.errors,
    }
    return Response(orjson.dumps(body), media_type="application/json", headers=CORS)


async def handle(
    request: Request, runtime: Runtime, kind: str | None, *, url_key: str | None = None
) -> Response:
    """Collect one request's events (`kind` None: a batch). `url_key` is a write key given in the address, for
    senders that can set neither a header nor the body's `writeKey` (RudderStack's `sendBeacon`).

    Parsing and validating take a collector thread; the wait for the commit holds none, so the requests that
    arrive meanwhile are validated and share the next transaction."""
    raw = await request.body()
    headers = {
        "authorization": request.headers.get("authorization", ""),
        "content-encoding": request.headers.get("content-encoding", ""),
    }
    try:
        work = functools.partial(
            _collect, runtime, raw=raw, headers=headers, ip=client_ip(request), kind=kind, url_key=url_key
        )
        queued = await anyio.to_thread.run_sync(work, limiter=_collectors(runtime))
        return _answer(await asyncio.wrap_future(queued))
    except DomainError as error:
        return refusal(error)


def refusal(error: DomainError) -> Response:
    """`{"code", "message"}` with CORS: answered here rather than by the app's handler, so that browsers
    (cross-origin) can read errors too."""
    extra = {"WWW-Authenticate": 'Basic realm="omnicx"'} if error.status == 401 else {}
    if isinstance(error, RateLimited):
        extra.update(error.headers)
    body = orjson.dumps(error_body(error.code, error.message))
    return Response(body, status_code=error.status, media_type="application/json", headers={**CORS, **extra})


@router.options("/{call:path}")
def preflight(call: str) -> Response:
    """CORS preflight: browsers may post events from any site (the write key, not the origin, authorises)."""
    return Response(
        status_code=204, headers={**CORS, **PREFLIGHT, "Access-Control-Allow-Headers": ALLOWED_HEADERS}
    )


_LIMITERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _collectors(runtime: Runtime) -> anyio.CapacityLimiter:
    """The limiter of the running event loop (a limiter belongs to one loop; tests run several)."""
    loop = asyncio.get_running_loop()
    limiter = _LIMITERS.get(loop)
    if limiter is None:
        limiter = _LIMITERS[loop] = anyio.CapacityLimiter(COLLECTORS.get(runtime.engine.dialect.name, 2))
    return limiter


@router.post("/identify")
async def identify(request: Request, runtime: RuntimeDep) -> Response:
    """Who the user is: `userId` and/or `anonymousId`, with `traits`."""
    return await handle(request, runtime, "identify")


@router.post("/track")
async def track(request: Request, runtime: RuntimeDep) -> Response:
    """Something the user did: `event` and `properties`."""
    return await handle(request, runtime, "track")


@router.post("/page")
async def page(request: Request, runtime: RuntimeDep) -> Response:
    """A web page view."""
    return await handle(request, runtime, "page")


@router.post("/screen")
async def screen(request: Request, runtime: RuntimeDep) -> Response:
    """An app screen view."""
    return await handle(request, runtime, "screen")


@router.post("/group")
async def group(request: Request, runtime: RuntimeDep) -> Response:
    """The user belongs to a company or account (`groupId`)."""
    return await handle(request, runtime, "group")


@router.post("/alias")
async def alias(request: Request, runtime: RuntimeDep) -> Response:
    """`previousId` and `userId` are the same person."""
    return await handle(request, runtime, "alias")


@router.post("/batch")
async def batch(request: Request, runtime: RuntimeDep) -> Response:
    """Many calls at once (`batch`: list of events, each with its `type`): what the server libraries send."""
    return await handle(request, runtime, None)


@router.post("/import")
async def import_(request: Request, runtime: RuntimeDep) -> Response:
    """Same as /v1/batch (Segment's historical-import spelling)."""
    return await handle(request, runtime, None)


def _short(kind: str) -> Callable[..., Awaitable[Response]]:
    """The endpoint of one one-letter path: the same handling as its long name."""

    async def call(request: Request, runtime: RuntimeDep) -> Response:
        return await handle(request, runtime, kind)

    call.__doc__ = f"`{kind}` as analytics.js 2.0 names it."
    return call


for _letter, _kind in SHORT_PATHS.items():
    router.add_api_route(f"/{_letter}", _short(_kind), methods=["POST"], name=f"{_kind}_short")


@router.post("/b")
async def batch_short(request: Request, runtime: RuntimeDep) -> Response:
    """`/v1/batch` as analytics.js 2.0 (batching mode) and the mobile libraries name it."""
    return await handle(request, runtime, None)
