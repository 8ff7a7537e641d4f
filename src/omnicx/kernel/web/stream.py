"""`GET /api/v1/realtime/stream`: the caller's workspace, live, as Server-Sent Events.

Browsers use it with `EventSource` (session cookie), API clients with a bearer token. Each event is filtered
for the caller: same workspace, and an action their role allows, so the stream never shows what a page would
hide.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Header, Query, Request
from sqlalchemy.orm import Session
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from omnicx.kernel.access.directory import directory
from omnicx.kernel.access.permissions import Action
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.realtime.bus import Bus, RealtimeEvent, Subscription, resync_event
from omnicx.kernel.realtime.schemas import RealtimeEventPublic
from omnicx.kernel.realtime.service import parse_topics, to_public, visible_to
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import Credentials, RuntimeDep, SessionDep, credentials_of, identify, require

router = APIRouter(tags=["realtime"])

PING_SECONDS = 15
# How long a shutting-down server lets streams finish by themselves before sse-starlette cancels them.
SHUTDOWN_GRACE_SECONDS = 2.0
RETRY_MILLISECONDS = 3000
SUBSCRIBED_COMMENT = "subscribed"

_STREAM_DOC = """
One `text/event-stream` connection per screen. Each event has `event:` = topic, `id:` = event id and
`data:` = the JSON below. A comment line `: subscribed` confirms the subscription; comment pings keep proxies
from closing an idle connection. A `realtime.resync` event means events were missed (slow reader, broker
reconnect, or a client reconnecting with `Last-Event-ID`): reload what is shown. Events are not replayed.
"""


class _EventStream(EventSourceResponse):
    """`EventSourceResponse` naming its media type on the class, so OpenAPI documents `text/event-stream`."""

    media_type = "text/event-stream"


def _stream_openapi() -> dict[str, Any]:
    """Describe each event the way OpenAPI 3.2 does (`itemSchema`): `data` is a `RealtimeEventPublic` JSON."""
    data = {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": RealtimeEventPublic.model_json_schema(),
    }
    item = {
        "type": "object",
        "required": ["data"],
        "properties": {"event": {"type": "string"}, "id": {"type": "string"}, "data": data},
    }
    return {"responses": {"200": {"content": {"text/event-stream": {"itemSchema": item}}}}}


@router.get(
    "/api/v1/realtime/stream",
    response_class=_EventStream,
    response_description="A stream of server-sent events.",
    openapi_extra=_stream_openapi(),
    summary="Live events of the caller's workspace",
    description=_STREAM_DOC,
)
async def stream(
    request: Request,
    runtime: RuntimeDep,
    session: SessionDep,
    principal: Annotated[Principal, require(Action.OVERVIEW_READ)],
    topics: Annotated[
        str | None, Query(description="Comma-separated topic prefixes, e.g. `inbox,job.dead`; default all.")
    ] = None,
    last_event_id: Annotated[
        str | None, Header(description="Sent by a reconnecting browser; answered with `realtime.resync`.")
    ] = None,
) -> EventSourceResponse:
    # The caller is known: give the connection back now. FastAPI closes this request-scoped session only when
    # the response ends, so it would hold a connection (and SQLite's write lock) for the stream's whole life.
    tokens = await run_in_threadpool(audience_tokens, session, principal)
    await run_in_threadpool(session.close)
    shutdown = anyio.Event()
    watch = functools.partial(_watch, runtime, credentials_of(request), principal, tokens, shutdown)
    events = _events(
        runtime.bus,
        principal,
        parse_topics(topics),
        resumed=last_event_id is not None,
        stop=shutdown,
        tokens=tokens,
        watch=watch,
    )
    return _EventStream(
        events, ping=PING_SECONDS, shutdown_event=shutdown, shutdown_grace_period=SHUTDOWN_GRACE_SECONDS
    )


def audience_tokens(session: Session, principal: Principal) -> frozenset[str]:
    """What an event's audience clauses are checked against: the caller's membership and teams."""
    return directory().audience_tokens(session, principal=principal)


def _still_valid(
    runtime: Runtime, credentials: Credentials, principal: Principal, tokens: frozenset[str]
) -> bool:
    """The stream's caller is still who it was: credentials valid, same workspace and role, same teams."""
    with runtime.sessions() as session:
        found = identify(session, credentials)
        if found is None:
            return False
        now = found[0]
        if (now.workspace_id, now.role) != (principal.workspace_id, principal.role):
            return False
        return audience_tokens(session, now) == tokens


async def _watch(
    runtime: Runtime,
    credentials: Credentials,
    principal: Principal,
    tokens: frozenset[str],
    stop: anyio.Event,
) -> None:
    """End the stream (`stop`) once the caller's token or session is revoked, or their role or teams change.

    What a stream may show was decided when it opened; rather than re-deciding per event, the stream ends and
    the browser reconnects, authorised afresh (or not).
    """
    while not stop.is_set():
        await anyio.sleep(runtime.settings.stream_recheck_seconds)
        if not await run_in_threadpool(_still_valid, runtime, credentials, principal, tokens):
            stop.set()


async def _events(
    bus: Bus,
    principal: Principal,
    topics: tuple[str, ...],
    *,
    resumed: bool,
    stop: anyio.Event,
    tokens: frozenset[str] = frozenset(),
    watch: Callable[[], Awaitable[None]] | None = None,
) -> AsyncIterator[ServerSentEvent]:
    """Subscribe, confirm, then relay what this caller may see until the client leaves, the server shuts down
    or the caller's access changes (`stop`), or the bus closes. Ending on our own lets the response finish
    properly; browsers then reconnect.
    """
    async with bus.subscribe(workspace_id=principal.workspace_id) as subscription:
        closer = asyncio.ensure_future(_close_when_set(stop, subscription))
        watcher = asyncio.ensure_future(watch()) if watch is not None else None
        try:
            yield ServerSentEvent(comment=SUBSCRIBED_COMMENT, retry=RETRY_MILLISECONDS)
            if resumed:
                yield _to_sse(resync_event(principal.workspace_id, reason="resume"))
            async for event in subscription:
                if visible_to(event, principal=principal, topics=topics, tokens=tokens):
                    yield _to_sse(event)
        finally:
            closer.cancel()
            if watcher is not None:
                watcher.cancel()


async def _close_when_set(stop: anyio.Event, subscription: Subscription) -> None:
    await stop.wait()
    subscription.close()


def _to_sse(event: RealtimeEvent) -> ServerSentEvent:
    return ServerSentEvent(data=to_public(event).model_dump_json(), event=event.topic, id=event.id)
