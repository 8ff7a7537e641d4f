"""A local stand-in for the Graph API's Messenger and Instagram calls, served over real HTTP (tests and the
demo): it checks each account's bearer token, answers the account's own fields (a Page's id and name, an
Instagram account's username), keeps every message sent (the exact JSON body the Send API received), refuses
chosen recipients for good, refuses free text to anyone outside their 24-hour window unless it carries the
human agent tag, and fails everything during an outage. It also stands in for Meta's CDN (`hold`): a customer's
file at an unguessable URL anyone holding it may GET, as the URLs in Meta's events are. The functions below build
the events Meta posts.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from omnicx.channels.meta.graph import API_VERSION

# Meta's codes: a person who cannot be reached, and a message outside the allowed window.
UNAVAILABLE = 551
OUTSIDE_WINDOW = (10, 2018278)


@dataclass
class SentRequest:
    account_id: str
    body: dict[str, Any]
    mid: str


@dataclass
class MetaSimulator:
    """`accounts`: account id -> (access token, its fields: `name` of a Page, `username` of an Instagram
    account). `profiles`: a sender's id -> their profile fields (`first_name`, `last_name`, `name`,
    `username`). `refused`: recipients that cannot be reached (551). `closed`: recipients outside their window (a
    `RESPONSE` to them is refused; the `HUMAN_AGENT` tag passes). `outage`: every call answers 500 while true."""

    accounts: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)
    profiles: dict[str, dict[str, str]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    closed: set[str] = field(default_factory=set)
    outage: bool = False
    sent: list[SentRequest] = field(default_factory=list)
    calls: int = 0
    cdn: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # path -> (bytes, content type)
    media_served: int = 0  # files handed out by the CDN
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> list[Route]:
        prefix = f"/{API_VERSION}/{{account_id}}"
        return [
            Route(prefix, self._account, methods=["GET"]),
            Route(f"{prefix}/messages", self._send, methods=["POST"]),
            Route("/cdn/{key}/{name}", self._cdn, methods=["GET"]),
        ]

    def hold(self, data: bytes, content_type: str, name: str) -> str:
        """Put a customer's file on the CDN; returns its path (under the stand-in's URL), ending with `name`."""
        path = f"/cdn/{secrets.token_urlsafe(16)}/{name}"
        with self._lock:
            self.cdn[path] = (data, content_type)
        return path

    async def _cdn(self, request: Request) -> Response:
        if self.outage:
            return Response(b"Service Unavailable", status_code=503)
        held = self.cdn.get(f"/cdn/{request.path_params['key']}/{request.path_params['name']}")
        if held is None:
            return Response(b"URL signature expired", status_code=404)
        with self._lock:
            self.media_served += 1
        return Response(held[0], media_type=held[1])

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def _refusal(self, request: Request) -> JSONResponse | None:
        with self._lock:
            self.calls += 1
        if self.outage:
            return _error(500, 2, "Service temporarily unavailable")
        held = self.accounts.get(request.path_params["account_id"])
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if held is None or not secrets.compare_digest(token, held[0]):
            return _error(401, 190, "Invalid OAuth access token")
        return None

    async def _account(self, request: Request) -> JSONResponse:
        account_id = request.path_params["account_id"]
        if account_id not in self.accounts:
            return self._person(request, account_id)
        failed = self._refusal(request)
        if failed is not None:
            return failed
        return JSONResponse({**self.accounts[account_id][1], "id": account_id})

    def _person(self, request: Request, person_id: str) -> JSONResponse:
        """A sender's profile, asked with one of the accounts' tokens (as the Page or account that knows them)."""
        with self._lock:
            self.calls += 1
        if self.outage:
            return _error(500, 2, "Service temporarily unavailable")
        token = request.headers.get("authorization", "").removeprefix("Bearer ")
        if not any(secrets.compare_digest(token, held[0]) for held in self.accounts.values()):
            return _error(401, 190, "Invalid OAuth access token")
        if person_id not in self.profiles:
            return _error(400, 100, "Unsupported get request. Object does not exist or cannot be loaded.")
        wanted = (request.query_params.get("fields") or "").split(",")
        profile = self.profiles[person_id]
        return JSONResponse({"id": person_id, **{k: v for k, v in profile.items() if k in wanted}})

    async def _send(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        body = await request.json()
        recipient = str((body.get("recipient") or {}).get("id") or "")
        kind = body.get("messaging_type")
        if (
            not recipient
            or kind not in ("RESPONSE", "MESSAGE_TAG")
            or not (body.get("message") or {}).get("text")
        ):
            return _error(400, 100, "Invalid parameter")
        if kind == "MESSAGE_TAG" and body.get("tag") != "HUMAN_AGENT":
            return _error(400, 100, "Invalid tag")
        if recipient in self.refused:
            return _error(400, UNAVAILABLE, "This person isn't available right now.")
        if recipient in self.closed and kind == "RESPONSE":
            return _error(
                400, OUTSIDE_WINDOW[0], "This message is sent outside of allowed window.", OUTSIDE_WINDOW[1]
            )
        mid = f"m_{secrets.token_urlsafe(24)}"
        with self._lock:
            self.sent.append(SentRequest(request.path_params["account_id"], body, mid))
        return JSONResponse({"recipient_id": recipient, "message_id": mid})


def _error(status: int, code: int, message: str, subcode: int | None = None) -> JSONResponse:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": {**error, "fbtrace_id": secrets.token_hex(8)}}, status_code=status)


def notification(webhook_object: str, account_id: str, *events: dict[str, Any]) -> dict[str, Any]:
    """What Meta posts: one entry for the account with its `messaging` events (`page` or `instagram`)."""
    now = int(time.time() * 1000)
    return {"object": webhook_object, "entry": [{"id": account_id, "time": now, "messaging": list(events)}]}


def message_event(
    account_id: str, sender: str, *, mid: str, text: str = "", at: float | None = None, echo: bool = False,
    attachments: tuple[str, ...] = (), media: tuple[tuple[str, str], ...] = (),
) -> dict[str, Any]:  # fmt: skip
    """A customer's message (or, with `echo`, the Page's own, seen from the Page: sender and recipient swap).
    `attachments`: types of attachments at placeholder URLs; `media`: (type, URL) pairs, such as a URL `hold`
    gave."""
    message: dict[str, Any] = {"mid": mid}
    if text:
        message["text"] = text
    if attachments or media:
        named = [*((kind, f"https://cdn.example/{i}") for i, kind in enumerate(attachments)), *media]
        message["attachments"] = [{"type": kind, "payload": {"url": url}} for kind, url in named]
    if echo:
        message["is_echo"] = True
    people = (account_id, sender) if echo else (sender, account_id)
    return {
        "sender": {"id": people[0]},
        "recipient": {"id": people[1]},
        "timestamp": int((at or time.time()) * 1000),
        "message": message,
    }


def status_event(
    account_id: str, sender: str, *, kind: str, mids: tuple[str, ...] = (), watermark: float | None = None
) -> dict[str, Any]:
    """A `delivery` or `read` event: naming messages (`mids`; Instagram's read names one `mid`) or a time."""
    part: dict[str, Any] = {}
    if mids:
        part = {"mids": list(mids)} if kind == "delivery" else {"mid": mids[0]}
    if watermark is not None:
        part["watermark"] = int(watermark * 1000)
    return {
        "sender": {"id": sender},
        "recipient": {"id": account_id},
        "timestamp": int(time.time() * 1000),
        kind: part,
    }
