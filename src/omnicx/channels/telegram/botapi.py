"""Telegram's Bot API as omnicx speaks it: the webhook's secret token, the answers' envelope and errors, and the
calls omnicx makes (which bot is this token; call this URL with these updates; send a message; where is this
file, `getFile`, whose `file_path` is then downloaded from `https://api.telegram.org/file/bot<token>/<file_path>`).

Every call is `https://api.telegram.org/bot<token>/<method>`: the token is in the path, so the adapter takes it out
of any error it shows. Every answer is `{"ok": true, "result": ...}` or `{"ok": false, "error_code": ...,
"description": ...}`. A webhook registered with a `secret_token` is called with it in
`X-Telegram-Bot-Api-Secret-Token`; it is checked before the body is read, since Telegram signs nothing else.
"""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import quote

import httpx

from omnicx.channels.provider_api import TIMEOUT_SECONDS, ApiClient, ApiError, ProviderError, json_body

API_BASE = "https://api.telegram.org"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name, not a secret
# The updates omnicx asks for: messages and their edits (an edit is acknowledged; the first text is what is kept).
ALLOWED_UPDATES = ("message", "edited_message")
# The largest file a bot may download through the Bot API (`getFile`).
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024


def token_matches(expected: str, given: str | None) -> bool:
    """Whether `given` is the webhook's secret token, compared in constant time."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def file_url(api_base: str, token: str, file_path: str) -> str | None:
    """Where `getFile`'s `file_path` is downloaded from, or None for a path that is not a plain relative one."""
    if (
        not file_path
        or file_path.startswith("/")
        or any(part in ("", ".", "..") for part in file_path.split("/"))
    ):
        return None
    return f"{api_base.rstrip('/')}/file/bot{token}/{quote(file_path, safe='/')}"


def api_error(response: httpx.Response) -> ApiError:
    """Telegram's refusal; 429 (too many requests, with `retry_after`) and 5xx are transient by their status."""
    body = json_body(response)
    code = body.get("error_code")
    description = str(body.get("description") or response.reason_phrase or "no reason given")
    return ApiError("Telegram", response.status_code, code if isinstance(code, int) else None, description)


class BotApi(ApiClient):
    """The calls omnicx makes for one bot (`api_base` replaceable for a simulator)."""

    def __init__(self, token: str, *, api_base: str = API_BASE) -> None:
        super().__init__(httpx.Client(base_url=f"{api_base.rstrip('/')}/bot{token}", timeout=TIMEOUT_SECONDS))

    def _call(self, method: str, body: dict[str, Any] | None = None) -> Any:
        """The `result` of one method (every method takes a POSTed JSON object); ProviderError for anything but
        an `ok` answer."""
        response = self._client.post(f"/{method}", json=body or {})
        answer = json_body(response)
        if response.status_code != 200 or answer.get("ok") is not True:
            raise ProviderError(api_error(response))
        return answer.get("result")

    def get_me(self) -> dict[str, Any]:
        """The bot the token belongs to (`id`, `username`...)."""
        result = self._call("getMe")
        return result if isinstance(result, dict) else {}

    def set_webhook(self, url: str, secret_token: str) -> None:
        """Have Telegram post the bot's updates to `url` with `secret_token`; it replaces any earlier webhook (and
        stops `getUpdates` polling), so one bot serves one inbox."""
        self._call(
            "setWebhook",
            {
                "url": url,
                "secret_token": secret_token,
                "allowed_updates": list(ALLOWED_UPDATES),
                "drop_pending_updates": False,
            },
        )

    def get_file(self, file_id: str) -> dict[str, Any]:
        """The file a message names (`file_path`, `file_size`): its path is valid for an hour."""
        result = self._call("getFile", {"file_id": file_id})
        return result if isinstance(result, dict) else {}

    def send_message(self, chat_id: str, text: str) -> str:
        """Send `text` to the chat; returns the message's id in that chat."""
        result = self._call("sendMessage", {"chat_id": chat_id, "text": text})
        return str(result["message_id"]) if isinstance(result, dict) else ""
