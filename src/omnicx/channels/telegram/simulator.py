"""A local stand-in for Telegram's Bot API, served over real HTTP (tests and the demo): it knows its bots by
token, says which bot a token is (`getMe`), keeps the webhook each bot registered (`setWebhook`) and every
message sent (`sendMessage`), answers 403 for chats that blocked the bot, 429 while throttled and 500 during an
outage, with the envelope Telegram uses. It holds the files customers send (`hold_file`): `getFile` answers a
file's path to its bot, and `/file/bot<token>/<file_path>` its bytes (files over 20 MB are refused to bots, as
Telegram does). `update` builds the update Telegram posts to a webhook.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

# The characters Telegram allows in a webhook's secret token, 1 to 256 of them.
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_TEXT = 4096
# The id of the first message the stand-in sends: a chat's ids count its messages, the customer's too.
FIRST_MESSAGE_ID = 1001
RETRY_AFTER = 3
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the largest file the Bot API hands a bot


@dataclass(frozen=True)
class HeldFile:
    """A file a customer sent to a bot, as Telegram keeps it."""

    token: str
    data: bytes
    file_path: str


@dataclass
class BotMessage:
    token: str
    chat_id: str
    text: str
    message_id: int


@dataclass
class TelegramSimulator:
    """`bots`: token -> username. `blocked`: chat ids whose user blocked the bot (403). `outage`: every call
    answers 500 while true; `throttled`: 429 with `retry_after`. `webhooks`: token -> (url, secret token)."""

    bots: dict[str, str] = field(default_factory=dict)
    blocked: set[str] = field(default_factory=set)
    outage: bool = False
    throttled: bool = False
    sent: list[BotMessage] = field(default_factory=list)
    webhooks: dict[str, tuple[str, str]] = field(default_factory=dict)
    calls: int = 0
    files: dict[str, HeldFile] = field(default_factory=dict)  # file_id -> file
    gone: set[str] = field(default_factory=set)  # file ids whose download answers 404 (an expired file path)
    media_served: int = 0  # files downloaded
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> list[Route]:
        return [
            Route("/bot{token}/getMe", self._get_me, methods=["GET", "POST"]),
            Route("/bot{token}/setWebhook", self._set_webhook, methods=["POST"]),
            Route("/bot{token}/sendMessage", self._send_message, methods=["POST"]),
            Route("/bot{token}/getFile", self._get_file, methods=["GET", "POST"]),
            Route("/file/bot{token}/{file_path:path}", self._download, methods=["GET"]),
        ]

    def hold_file(self, token: str, data: bytes, *, file_path: str, **fields: Any) -> dict[str, Any]:
        """Keep a file a user sent to the bot `token`, stored at `file_path` (`photos/file_3.jpg`); returns the
        object an update carries for it (`file_id`, `file_unique_id`, `file_size`, and `fields` such as
        `mime_type`, `file_name`, `width`...)."""
        file_id = f"BQACAgQAAxkB{secrets.token_urlsafe(24)}"
        with self._lock:
            self.files[file_id] = HeldFile(token, data, file_path)
        return {"file_id": file_id, "file_unique_id": secrets.token_hex(8), "file_size": len(data), **fields}

    def app(self) -> Starlette:
        return Starlette(routes=self.routes())

    def _refusal(self, request: Request) -> JSONResponse | None:
        with self._lock:
            self.calls += 1
        if self.outage:
            return _error(500, "Internal Server Error")
        if self.throttled:
            return _error(429, f"Too Many Requests: retry after {RETRY_AFTER}", retry_after=RETRY_AFTER)
        if request.path_params["token"] not in self.bots:
            return _error(401, "Unauthorized")
        return None

    async def _get_me(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        token = request.path_params["token"]
        return _ok(
            {
                "id": bot_id(token),
                "is_bot": True,
                "first_name": self.bots[token].removesuffix("_bot").title(),
                "username": self.bots[token],
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        )

    async def _set_webhook(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        body = await request.json()
        url, secret = str(body.get("url") or ""), str(body.get("secret_token") or "")
        if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            return _error(400, "Bad Request: bad webhook: HTTPS url must be provided for webhook")
        if not SECRET_TOKEN.fullmatch(secret):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        with self._lock:
            self.webhooks[request.path_params["token"]] = (url, secret)
        return JSONResponse({"ok": True, "result": True, "description": "Webhook was set"})

    async def _send_message(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        body = await request.json()
        chat_id, text = str(body.get("chat_id") or ""), str(body.get("text") or "")
        if not chat_id:
            return _error(400, "Bad Request: chat_id is empty")
        if not text:
            return _error(400, "Bad Request: message text is empty")
        if len(text) > MAX_TEXT:
            return _error(400, "Bad Request: message is too long")
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        token = request.path_params["token"]
        with self._lock:
            message = BotMessage(token, chat_id, text, message_id=FIRST_MESSAGE_ID + len(self.sent))
            self.sent.append(message)
        chat = {"id": int(chat_id) if chat_id.lstrip("-").isdigit() else chat_id, "type": "private"}
        return _ok(
            {
                "message_id": message.message_id,
                "from": {"id": bot_id(token), "is_bot": True, "username": self.bots[token]},
                "chat": chat,
                "date": int(time.time()),
                "text": text,
            }
        )

    async def _get_file(self, request: Request) -> JSONResponse:
        failed = self._refusal(request)
        if failed is not None:
            return failed
        body = await request.json() if request.method == "POST" else dict(request.query_params)
        file_id = str(body.get("file_id") or "")
        held = self.files.get(file_id)
        if held is None or held.token != request.path_params["token"]:
            return _error(400, "Bad Request: invalid file_id")
        if len(held.data) > MAX_DOWNLOAD_BYTES:
            return _error(400, "Bad Request: file is too big")
        unique = file_id[-8:]
        return _ok(
            {
                "file_id": file_id,
                "file_unique_id": unique,
                "file_size": len(held.data),
                "file_path": held.file_path,
            }
        )

    async def _download(self, request: Request) -> Response:
        if self.outage:
            return _error(500, "Internal Server Error")
        token, path = request.path_params["token"], request.path_params["file_path"]
        found = [(i, f) for i, f in self.files.items() if f.token == token and f.file_path == path]
        if not found or found[0][0] in self.gone:
            return _error(404, "Not Found")
        held = found[0][1]
        with self._lock:
            self.media_served += 1
        return Response(held.data, media_type="application/octet-stream")


def bot_id(token: str) -> int:
    """The bot's id, the part of its token before the colon (`123456789:AA...`)."""
    head = token.partition(":")[0]
    return int(head) if head.isdigit() else 0


def _ok(result: dict[str, Any]) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, *, retry_after: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return JSONResponse(body, status_code=status)


def update(
    update_id: int,
    *,
    user_id: int,
    first_name: str,
    text: str,
    last_name: str = "",
    at: float | None = None,
    chat_type: str = "private",
    media: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What Telegram posts when a user writes to the bot: in a private chat, the chat is the user; in a group,
    the group (a negative id). `media` adds a file's field (`{"photo": [sizes]}`, `{"document": {...}}`, with
    objects `hold_file` gave), whose caption is then `text`."""
    sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "fr"}
    if last_name:
        sender["last_name"] = last_name
    if chat_type == "private":
        chat: dict[str, Any] = {"id": user_id, "type": "private", "first_name": first_name}
        if last_name:
            chat["last_name"] = last_name
    else:
        chat = {"id": -1001234567890, "type": chat_type, "title": "Lamp owners"}
    message = {
        "message_id": update_id % 100000,
        "from": sender,
        "chat": chat,
        "date": int(at or time.time()),
        "text": text,
    }
    if media:
        caption = message.pop("text")
        message |= {**media, **({"caption": caption} if caption else {})}
    return {"update_id": update_id, "message": message}
