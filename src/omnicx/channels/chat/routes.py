"""The live chat's public endpoints, used by the widget from any website (CORS open, no cookies).

- `GET /chat/widget.js`: the widget script (`<script src=".../chat/widget.js" data-omnicx-chat="TOKEN">`);
- `POST /chat/{token}/session`: a new visitor id and its signature (linked to the tracking anonymous id);
- `GET /chat/{token}/messages`: the visitor's conversation, notes excluded;
- `POST /chat/{token}/messages`: the visitor writes; stored like any inbound message (deduplicated by the
  widget's client message id). The name and email the visitor types are claims; a signed-in user of the site
  is verified by the site's `user_hash` (`inbox/site_identity.py`);
- `GET /chat/{token}/stream`: server-sent events telling the widget that an agent replied (`reply`) or types
  (`typing`);
- `GET /chat/{token}/status`: whether an agent is online (if not, the widget asks for an email);
- `POST /chat/{token}/typing`: the visitor types (shown on the agent's conversation page, not stored);
- `POST /chat/{token}/csat`: the visitor rates a resolved conversation (the stars under its satisfaction
  question, `feedback`); once.

Every call names the inbox by its public widget token and, except `session`, carries the visitor's signed id:
a visitor reads their own conversations only, whatever email or user id they send.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, Field, ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from omnicx.channels.chat.adapter import VisitorMessage, inbound
from omnicx.channels.chat.visitor import new_visitor_id, sign, verify
from omnicx.feedback import service as feedback_service
from omnicx.feedback.schemas import SCALE, CsatAnswer, CsatQuestion
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import InboxTopic, MessageKind, MessagingChannel
from omnicx.inbox.errors import InboxNotFound
from omnicx.inbox.schemas import InboxPublic
from omnicx.kernel.errors import NotFound, Unauthorized
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.web.deps import RuntimeDep, SessionDep

router = APIRouter(prefix="/chat", include_in_schema=False)
WIDGET = Path(__file__).parent / "static" / "widget.js"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type"}
PING_SECONDS = 15


class VisitorSession(BaseModel):
    anonymous_id: str | None = Field(default=None, max_length=200)


def _inbox(session: Any, token: str) -> InboxPublic:
    inbox = inbox_service.find_inbox(session, channel=MessagingChannel.CHAT, address=token)
    if inbox is None:
        raise NotFound("unknown chat")
    return inbox


async def _json(request: Request) -> Any:
    """The widget posts JSON as text/plain (a "simple" cross-origin request: no preflight needed)."""
    try:
        return json.loads(await request.body())
    except ValueError:
        return None


def _invalid(error: ValidationError | None = None) -> JSONResponse:
    message = "; ".join(str(e["msg"]) for e in error.errors()[:3]) if error else "invalid JSON"
    return JSONResponse({"code": "invalid_request", "message": message}, status_code=422, headers=CORS)


@router.get("/widget.js")
def widget_script() -> FileResponse:
    return FileResponse(
        WIDGET, media_type="text/javascript", headers={**CORS, "Cache-Control": "public, max-age=300"}
    )


@router.options("/{token}/{action}")
def preflight(token: str, action: str) -> Response:
    return Response(status_code=204, headers={**CORS, "Access-Control-Allow-Methods": "GET, POST"})


@router.post("/{token}/session")
async def start_session(
    token: str, request: Request, session: SessionDep, runtime: RuntimeDep
) -> JSONResponse:
    body = await _json(request)
    try:
        VisitorSession.model_validate(body or {})
    except ValidationError as error:
        return _invalid(error)
    inbox = await run_in_threadpool(_inbox, session, token)
    await run_in_threadpool(session.rollback)
    visitor_id = new_visitor_id()
    signature = sign(runtime.settings.resolved_secret_key, inbox.address, visitor_id)
    return JSONResponse({"visitor_id": visitor_id, "signature": signature}, headers=CORS)


def _check(runtime: RuntimeDep, inbox: InboxPublic, visitor_id: str, signature: str | None) -> None:
    if not verify(runtime.settings.resolved_secret_key, inbox.address, visitor_id, signature):
        raise Unauthorized("unknown visitor")


def _history(session: Any, inbox: InboxPublic, visitor_id: str) -> list[dict[str, Any]]:
    messages = inbox_service.contact_messages(session, inbox_id=inbox.id, source_id=visitor_id)
    contact = inbox_service.find_contact(session, inbox_id=inbox.id, source_id=visitor_id)
    questions = (
        {
            q.message_id: q
            for q in feedback_service.visitor_questions(session, inbox_id=inbox.id, contact_id=contact.id)
        }
        if contact is not None
        else {}
    )
    return [
        {
            "id": str(m.id),
            "from": "visitor" if m.kind is MessageKind.INCOMING else "agent",
            "author": "" if m.kind is MessageKind.INCOMING else m.author_label.split("@")[0],
            "text": m.text,
            "at": m.created_at.isoformat(),
            **({"csat": _question(questions[m.id])} if m.id in questions else {}),
        }
        for m in messages
    ]


def _question(question: CsatQuestion) -> dict[str, Any]:
    return {"survey_id": str(question.survey_id), "rating": question.rating, "scale": question.scale}


@router.get("/{token}/messages")
def history(
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: Annotated[str, Query(max_length=64)],
    signature: Annotated[str, Query(max_length=128)],
) -> JSONResponse:
    inbox = _inbox(session, token)
    _check(runtime, inbox, visitor, signature)
    items = _history(session, inbox, visitor)
    session.rollback()
    return JSONResponse({"messages": items}, headers=CORS)


@router.post("/{token}/messages")
async def post_message(token: str, request: Request) -> JSONResponse:
    # The runtime is read from the app directly: `RuntimeDep` is a plain function, which FastAPI would run on a
    # worker thread, one more hop per message.
    runtime: Runtime = request.app.state.runtime
    try:
        data = VisitorMessage.model_validate(await _json(request))
    except ValidationError as error:
        return _invalid(error)
    if not verify(runtime.settings.resolved_secret_key, token.strip(), data.visitor_id, data.signature):
        await run_in_threadpool(_refuse, runtime, token)
    try:
        # Answered once committed (durable), in a transaction shared with the messages that arrived meanwhile.
        result = await inbox_service.ingest(runtime, message=inbound(data, token=token))
    except InboxNotFound as error:
        raise NotFound("unknown chat") from error
    return JSONResponse(
        {"message_id": str(result.message_id), "conversation_id": str(result.conversation_id)},
        status_code=201,
        headers=CORS,
    )


def _refuse(runtime: Runtime, token: str) -> NoReturn:
    """A message whose visitor signature does not verify: an unknown chat is not found, whatever the signature;
    a known one refuses the visitor."""
    with runtime.sessions() as session:
        _inbox(session, token)
    raise Unauthorized("unknown visitor")


class VisitorRating(BaseModel):
    visitor_id: str = Field(max_length=64)
    signature: str = Field(max_length=128)
    survey_id: uuid.UUID
    rating: int = Field(ge=1, le=SCALE)
    comment: str = Field(default="", max_length=2000)


@router.post("/{token}/csat")
async def rate(token: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> JSONResponse:
    """The visitor rates a resolved conversation (the stars under its satisfaction question); once."""
    try:
        data = VisitorRating.model_validate(await _json(request))
    except ValidationError as error:
        return _invalid(error)

    def store() -> None:
        inbox = _inbox(session, token)
        _check(runtime, inbox, data.visitor_id, data.signature)
        contact = inbox_service.find_contact(session, inbox_id=inbox.id, source_id=data.visitor_id)
        if contact is None:
            raise NotFound("no such survey")
        feedback_service.answer_as_visitor(
            session,
            inbox_id=inbox.id,
            contact_id=contact.id,
            survey_id=data.survey_id,
            data=CsatAnswer(rating=data.rating, comment=data.comment),
        )

    await run_in_threadpool(store)
    return JSONResponse({"rating": data.rating}, status_code=201, headers=CORS)


class VisitorTyping(BaseModel):
    visitor_id: str = Field(max_length=64)
    signature: str = Field(max_length=128)


@router.get("/{token}/status")
def status(token: str, session: SessionDep) -> JSONResponse:
    """Whether an agent of the inbox is online; when none is, the widget asks for the visitor's email."""
    inbox = _inbox(session, token)
    online = inbox_service.anyone_online(session, inbox_id=inbox.id)
    session.rollback()
    return JSONResponse({"online": online}, headers=CORS)


@router.post("/{token}/typing")
async def typing(token: str, request: Request, session: SessionDep, runtime: RuntimeDep) -> Response:
    """The visitor is typing (the widget sends at most one every 2 s): shown on the agent's page, not stored."""
    try:
        data = VisitorTyping.model_validate(await _json(request))
    except ValidationError as error:
        return _invalid(error)

    def announce() -> None:
        inbox = _inbox(session, token)
        _check(runtime, inbox, data.visitor_id, data.signature)
        inbox_service.visitor_typing(session, inbox_id=inbox.id, source_id=data.visitor_id)

    await run_in_threadpool(announce)
    return Response(status_code=204, headers=CORS)


@router.get("/{token}/stream")
async def stream(
    token: str,
    session: SessionDep,
    runtime: RuntimeDep,
    visitor: Annotated[str, Query(max_length=64)],
    signature: Annotated[str, Query(max_length=128)],
) -> EventSourceResponse:
    """`event: reply` each time an agent's reply (never a note) or a status change concerns this visitor;
    `event: typing` while an agent types a reply to them."""

    def authorise() -> tuple[InboxPublic, str | None]:
        inbox = _inbox(session, token)
        _check(runtime, inbox, visitor, signature)
        contact = inbox_service.find_contact(session, inbox_id=inbox.id, source_id=visitor)
        session.close()
        return inbox, str(contact.id) if contact else None

    inbox, contact_id = await run_in_threadpool(authorise)
    shutdown = anyio.Event()

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with runtime.bus.subscribe(workspace_id=inbox.workspace_id) as subscription:
            closer = asyncio.ensure_future(_close_when_set(shutdown, subscription))
            try:
                yield ServerSentEvent(comment="subscribed", retry=3000)
                async for event in subscription:
                    data = event.data
                    if event.topic == "realtime.resync":
                        yield ServerSentEvent(event="reply", data="{}")
                    elif (
                        event.topic == InboxTopic.TYPING
                        and data.get("who") == "agent"
                        and not data.get("private")
                        and contact_id is not None
                        and data.get("contact_id") == contact_id
                    ):
                        yield ServerSentEvent(
                            event="typing", data=json.dumps({"label": data.get("label", "")})
                        )
                    elif (
                        event.topic == InboxTopic.MESSAGE_CREATED
                        and data.get("kind") == MessageKind.OUTGOING.value
                        and contact_id is not None
                        and data.get("contact_id") == contact_id
                    ):
                        yield ServerSentEvent(event="reply", data=json.dumps({"id": data.get("message_id")}))
            finally:
                closer.cancel()

    return EventSourceResponse(
        events(), ping=PING_SECONDS, headers=CORS, shutdown_event=shutdown, shutdown_grace_period=2.0
    )


async def _close_when_set(stop: anyio.Event, subscription: Any) -> None:
    await stop.wait()
    subscription.close()
