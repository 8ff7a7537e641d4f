"""A local stand-in for Twilio's Messages API, served over real HTTP (tests, and the demo once it simulates
providers): it checks Basic auth against its accounts, answers which numbers an account holds, keeps every
message sent, and can refuse numbers for good or fail everything for a while (an outage).

It also holds the media of incoming MMS (`hold_media`): the media URL, under the account and with its Basic
auth, answers a redirect to where the file is kept (no credentials needed there), as Twilio's does.
`media_fields` builds the form fields naming them in an incoming message's webhook.

It answers the way Twilio documents: JSON bodies, `{"code", "message", "status"}` errors, `SM...` message ids.
"""

from __future__ import annotations

import base64
import secrets
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass
class SentMessage:
    """One call to the Messages API the simulator accepted."""

    sid: str
    account_sid: str
    form: dict[str, str]


@dataclass(frozen=True)
class HeldMedia:
    """A file a provider's stand-in keeps for a customer's message."""

    data: bytes
    content_type: str


@dataclass
class TwilioSimulator:
    """`accounts`: account SID -> (auth token, numbers held). `refused`: recipients refused for good (Twilio's
    21211, an invalid number). `outage`: while true, every call answers 500."""

    accounts: dict[str, tuple[str, set[str]]] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    outage: bool = False
    sent: list[SentMessage] = field(default_factory=list)
    calls: int = 0
    media: dict[str, HeldMedia] = field(default_factory=dict)  # media path -> file
    media_served: int = 0  # files handed out (after the redirect)
    _files: dict[str, str] = field(default_factory=dict)  # where a file is kept -> its media path
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> list[Route]:
        prefix = "/2010-04-01/Accounts/{account_sid}"
        return [
            Route(f"{prefix}/IncomingPhoneNumbers.json", self._numbers, methods=["GET"]),
            Route(f"{prefix}/Messages.json", self._send, methods=["POST"]),
            Route(f"{prefix}/Messages/{{message_sid}}/Media/{{media_sid}}", self._media, methods=["GET"]),
            Route("/media-files/{key}", self._file, methods=["GET"]),
        ]

    def hold_media(self, account_sid: str, message_sid: str, data: bytes, content_type: str) -> str:
        """Keep a file a customer sent with the message `message_sid`; returns its media URL's path (under the
        API's base URL), as the webhook's `MediaUrl{N}` names it."""
        path = f"/2010-04-01/Accounts/{account_sid}/Messages/{message_sid}/Media/ME{secrets.token_hex(16)}"
        with self._lock:
            self.media[path] = HeldMedia(data, content_type)
            self._files[secrets.token_urlsafe(16)] = path
        return path

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def _authenticated(self, request: Request) -> str | None:
        """The account the request's Basic auth proves, if it is the one in the path."""
        account_sid = request.path_params["account_sid"]
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic" or account_sid not in self.accounts:
            return None
        try:
            user, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            return None
        token = self.accounts[account_sid][0]
        return account_sid if user == account_sid and secrets.compare_digest(password, token) else None

    async def _numbers(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        held = self.accounts[request.path_params["account_sid"]][1]
        wanted = request.query_params.get("PhoneNumber")
        numbers = [{"phone_number": n} for n in sorted(held) if wanted in (None, n)]
        return JSONResponse({"incoming_phone_numbers": numbers})

    async def _send(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        form = {k: str(v) for k, v in (await request.form()).items()}
        if form.get("To") in self.refused:
            return _error(400, 21211, f"The 'To' number {form['To']} is not a valid phone number.")
        account_sid = request.path_params["account_sid"]
        if form.get("From") not in self.accounts[account_sid][1]:
            return _error(
                400, 21606, "The 'From' phone number provided is not a valid message-capable number."
            )
        with self._lock:
            sid = f"SM{secrets.token_hex(16)}"
            self.sent.append(SentMessage(sid=sid, account_sid=account_sid, form=form))
        return JSONResponse({"sid": sid, "status": "queued", **_echo(form)}, status_code=201)

    async def _media(self, request: Request) -> Response:
        """A media URL: with the account's Basic auth, a redirect to where the file is kept."""
        failed = self._refusal(request)
        if failed is not None:
            return failed
        params = request.path_params
        path = (
            f"/2010-04-01/Accounts/{params['account_sid']}/Messages/{params['message_sid']}"
            f"/Media/{params['media_sid']}"
        )
        key = next((k for k, held in self._files.items() if held == path), None)
        if key is None or path not in self.media:
            return _error(404, 20404, f"The requested resource {path} was not found")
        return RedirectResponse(f"/media-files/{key}", status_code=307)

    async def _file(self, request: Request) -> Response:
        if self.outage:
            return Response(b"Service Unavailable", status_code=503)
        held = self.media.get(self._files.get(request.path_params["key"], ""))
        if held is None:
            return Response(b"Not Found", status_code=404)
        with self._lock:
            self.media_served += 1
        return Response(held.data, media_type=held.content_type)

    def _refusal(self, request: Request) -> JSONResponse | None:
        with self._lock:
            self.calls += 1
        if self.outage:
            return _error(500, 20500, "Internal Server Error")
        if self._authenticated(request) is None:
            return _error(401, 20003, "Authenticate")
        return None


def media_fields(*media: tuple[str, str]) -> dict[str, str]:
    """The fields of an incoming message's webhook naming its media, each a (URL, content type) pair."""
    fields = {"NumMedia": str(len(media))}
    for index, (url, content_type) in enumerate(media):
        fields[f"MediaUrl{index}"] = url
        fields[f"MediaContentType{index}"] = content_type
    return fields


def _echo(form: dict[str, str]) -> dict[str, Any]:
    return {"from": form.get("From"), "to": form.get("To"), "body": form.get("Body")}


def _error(status: int, code: int, message: str) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "status": status,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
    }
    return JSONResponse(body, status_code=status)
