"""The Segment-compatible collection API: `POST /v1/{identify,track,page,screen,group,alias,batch,import}`.

Authenticated by a source's write key (HTTP Basic user name, empty password, or `writeKey` in the body) rather
than by a member's role, so these routes are outside the RBAC gate. Answers `200 {"success": true}` only after
the events are committed; errors are `{"code", "message"}` with the status the Segment libraries expect (4xx are
not retried, 5xx and network errors are, and a retry stores nothing twice).
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from omnicx.db import utcnow
from omnicx.runtime import Runtime
from omnicx.tracking.errors import EmptyBatch, InvalidBatch
from omnicx.tracking.service import ingest
from omnicx.tracking.wire import Received, basic_auth_user, decompress, parse_object
from omnicx.web.deps import RuntimeDep, client_ip

router = APIRouter(prefix="/v1", tags=["collection"], include_in_schema=False)

SUCCESS = b'{"success":true}'


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


def _collect(runtime: Runtime, *, raw: bytes, headers: dict[str, str], ip: str, kind: str | None) -> Response:
    received_at = utcnow()
    header_key = basic_auth_user(headers.get("authorization"))
    data = parse_object(decompress(raw, headers.get("content-encoding")))
    body_key = data.get("writeKey")
    write_key = header_key or (body_key if isinstance(body_key, str) else None)
    messages = _messages(data, kind)
    received = Received(at=received_at, ip=ip, sent_at=data.get("sentAt") if kind is None else None)
    with runtime.sessions() as session:
        result = ingest.collect(
            session,
            write_key=write_key,
            messages=messages,
            forced_type=kind,
            received=received,
            single=kind is not None,
        )
    if not result.rejected:
        return Response(SUCCESS, media_type="application/json")
    body = {
        "success": True,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "errors": result.errors,
    }
    return Response(orjson.dumps(body), media_type="application/json")


async def _handle(request: Request, runtime: Runtime, kind: str | None) -> Response:
    raw = await request.body()
    headers = {
        "authorization": request.headers.get("authorization", ""),
        "content-encoding": request.headers.get("content-encoding", ""),
    }
    return await run_in_threadpool(
        _collect, runtime, raw=raw, headers=headers, ip=client_ip(request), kind=kind
    )


@router.post("/identify")
async def identify(request: Request, runtime: RuntimeDep) -> Response:
    """Who the user is: `userId` and/or `anonymousId`, with `traits`."""
    return await _handle(request, runtime, "identify")


@router.post("/track")
async def track(request: Request, runtime: RuntimeDep) -> Response:
    """Something the user did: `event` and `properties`."""
    return await _handle(request, runtime, "track")


@router.post("/page")
async def page(request: Request, runtime: RuntimeDep) -> Response:
    """A web page view."""
    return await _handle(request, runtime, "page")


@router.post("/screen")
async def screen(request: Request, runtime: RuntimeDep) -> Response:
    """An app screen view."""
    return await _handle(request, runtime, "screen")


@router.post("/group")
async def group(request: Request, runtime: RuntimeDep) -> Response:
    """The user belongs to a company or account (`groupId`)."""
    return await _handle(request, runtime, "group")


@router.post("/alias")
async def alias(request: Request, runtime: RuntimeDep) -> Response:
    """`previousId` and `userId` are the same person."""
    return await _handle(request, runtime, "alias")


@router.post("/batch")
async def batch(request: Request, runtime: RuntimeDep) -> Response:
    """Many calls at once (`batch`: list of events, each with its `type`): what the server libraries send."""
    return await _handle(request, runtime, None)


@router.post("/import")
async def import_(request: Request, runtime: RuntimeDep) -> Response:
    """Same as /v1/batch (Segment's historical-import spelling)."""
    return await _handle(request, runtime, None)
