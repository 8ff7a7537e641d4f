"""The Telegram channel's adapter: an inbox's bot proven with `getMe` when it is created and its webhook
registered by omnicx (with a secret token omnicx generates), private messages turned into the inbox's messages
(a photo, document, voice note, audio, video or sticker named by its `file_id`, fetched afterwards with
`getFile`), replies sent with `sendMessage`. The bot token is part of every Bot API URL: no error omnicx keeps
or shows repeats it.

A customer is known by their Telegram user id, which Telegram vouches for in an update posted with the
webhook's secret token: a verified identifier of the person. In a private chat the chat's id is the user's id,
so a reply goes to the sender's id. Telegram reports no delivery or read status to bots.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from omnicx.channels import media
from omnicx.channels.base import DeliveryFailed, SendResult
from omnicx.channels.provider_api import ProviderError, account_check, without
from omnicx.channels.telegram import botapi
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import (
    Attachment,
    AttachmentToFetch,
    InboundMessage,
    OutboundMessage,
    RemoteAttachment,
)
from omnicx.inbox.service import Connection, CredentialField, ProvenAccount, Provider
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.settings import Settings

PREFIX = "/channels/telegram"
REQUIRED = ("bot_token",)
# `secret_token` is omnicx's own, generated when the webhook is registered: never given by whoever sets it up.
KEYS = frozenset({*REQUIRED, "api_base", "secret_token"})
GIVEN = KEYS - {"secret_token"}
# Hosts a webhook may be served on over plain HTTP: a local Bot API stand-in calls back on the same machine.
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
# What a message shows as when it carries no text, by the field Telegram puts its content in.
MEDIA = ("photo", "video", "animation", "document", "audio", "voice", "video_note", "sticker", "contact",
         "location", "venue", "poll", "dice")  # fmt: skip
# The fields a file comes in, in the order they are looked for (an animation also fills `document`).
FILES = ("photo", "animation", "video", "video_note", "voice", "audio", "document", "sticker")
# The type of the files whose message does not say it (a photo is always a JPEG, a voice note Ogg Opus).
FILE_TYPES = {"photo": "image/jpeg", "voice": "audio/ogg", "video_note": "video/mp4", "sticker": "image/webp",
              "animation": "video/mp4"}  # fmt: skip


def callbacks(inbox_id: uuid.UUID) -> dict[str, str]:
    """The URL omnicx registers with Telegram for the bot's updates (shown, not to be entered anywhere)."""
    return {"webhook": f"{PREFIX}/{inbox_id}/webhook"}


def _api(credentials: dict[str, str]) -> botapi.BotApi:
    return botapi.BotApi(credentials["bot_token"], api_base=credentials.get("api_base") or botapi.API_BASE)


def check_account(address: str, credentials: dict[str, str]) -> ProvenAccount:
    """Prove that the bot token belongs to the bot `address` (its username, with or without `@`, in any case),
    asked of Telegram with `getMe`: no one receives as a bot that is not theirs."""
    unknown = set(credentials) - GIVEN
    if unknown:
        raise Invalid(f"unknown Telegram credentials: {', '.join(sorted(unknown))}")
    if not credentials.get("bot_token"):
        raise Invalid("a Telegram inbox needs its bot_token")
    wanted = address.strip().removeprefix("@")
    with (
        account_check("Telegram", "refused the bot token", hidden=credentials["bot_token"]),
        _api(credentials) as api,
    ):
        bot = api.get_me()
    username = str(bot.get("username") or "")
    if not username or username.casefold() != wanted.casefold():
        raise Invalid(f"the bot token is @{username or '?'}'s, not @{wanted}")
    return ProvenAccount(
        address=f"@{username}", credentials={k: v for k, v in credentials.items() if k in GIVEN and v}
    )


def _webhook_url(connection: Connection) -> str:
    """Where Telegram posts the inbox's updates: under the server's public base URL, over HTTPS (Telegram calls
    no other), but for a loopback host, where only a local stand-in of the Bot API can call."""
    if not connection.base_url:
        raise Invalid(
            "a Telegram inbox needs the server's public base URL (OMNICX_BASE_URL): Telegram is told to call it"
        )
    parts = urlsplit(connection.base_url)
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in LOOPBACK):
        raise Invalid(
            f"Telegram calls webhooks over HTTPS only: the server's public base URL (OMNICX_BASE_URL) is "
            f"{connection.base_url}"
        )
    return connection.base_url.rstrip("/") + callbacks(connection.inbox_id)["webhook"]


def connect(connection: Connection) -> ProvenAccount:
    """Register the inbox's webhook with Telegram under a new secret token, which every update must then carry;
    the token is kept with the bot's credentials. It replaces the bot's earlier webhook, if any."""
    url = _webhook_url(connection)
    credentials = connection.account.credentials
    secret = secrets.token_urlsafe(32)  # A-Z a-z 0-9 _ -: the characters Telegram allows, 43 of them
    with (
        account_check("Telegram", "refused the webhook", hidden=credentials["bot_token"]),
        _api(credentials) as api,
    ):
        api.set_webhook(url, secret)
    return ProvenAccount(
        address=connection.account.address, credentials={**credentials, "secret_token": secret}
    )


PROVIDER = Provider(
    check=check_account,
    callbacks=callbacks,
    fields=(CredentialField("bot_token", N_("Bot token"), secret=True),),
    account_help=N_(
        "The bot's token, from @BotFather, and the bot's username as the address. omnicx asks Telegram which bot "
        "the token belongs to (getMe) before the inbox is created, then registers the bot's webhook itself, with a "
        "secret token. The bot token is kept encrypted."
    ),
    webhook_help=N_(
        "omnicx registered this URL with Telegram itself, with a secret token: there is nothing to set up. Updates "
        "without the secret token are refused. The bot receives private messages; group chats are ignored."
    ),
    connect=connect,
)


def _text(message: dict[str, Any]) -> str:
    """What the customer wrote; a media message shows as its kind, with its caption if it has one."""
    if message.get("text"):
        return str(message["text"])
    kind = next((kind for kind in MEDIA if kind in message), "message")
    caption = message.get("caption")
    return f"[{kind}] {caption}" if caption else f"[{kind}]"


def inbound(
    update: dict[str, Any], *, inbox_address: str, max_bytes: int = botapi.MAX_DOWNLOAD_BYTES
) -> InboundMessage | None:
    """The customer's message of one update, as the inbox stores it; None for anything else (an edit, a group
    chat's message, a bot's). The update's id deduplicates a redelivery. `max_bytes`: the largest file the
    inbox takes (the Bot API gives bots 20 MB at most), which picks a photo's size."""
    message = update.get("message")
    if not isinstance(message, dict) or update.get("update_id") is None:
        return None
    chat = message.get("chat")
    sender = message.get("from")
    if not isinstance(chat, dict) or chat.get("type") != "private":
        return None
    if not isinstance(sender, dict) or sender.get("id") is None or sender.get("is_bot"):
        return None
    name = " ".join(str(sender.get(part) or "") for part in ("first_name", "last_name")).strip()
    return InboundMessage(
        channel=MessagingChannel.TELEGRAM,
        inbox_address=inbox_address,
        source_id=str(sender["id"]),
        name=name[:200],
        provider_message_id=str(update["update_id"]),
        text=_text(message),
        remote_attachments=_remote(message, max_bytes=min(max_bytes, botapi.MAX_DOWNLOAD_BYTES)),
        received_at=_timestamp(message.get("date")),
        sender_verified=True,
    )


def _remote(message: dict[str, Any], *, max_bytes: int) -> list[RemoteAttachment]:
    """The file a message carries, by its `file_id`: of a photo's sizes, the largest within `max_bytes`."""
    kind = next((kind for kind in FILES if kind in message), "")
    part = _photo_size(message[kind], max_bytes) if kind == "photo" else message.get(kind)
    if not kind or not isinstance(part, dict) or not part.get("file_id"):
        return []
    content_type = str(
        part.get("mime_type") or _sticker_type(part) or FILE_TYPES.get(kind) or media.GENERIC_TYPE
    )
    name = str(part.get("file_name") or "") or None
    return [
        RemoteAttachment(
            filename=media.filename_for(kind, content_type, name=name),
            content_type=content_type[:255],
            source={"file_id": str(part["file_id"])},
        )
    ]


def _photo_size(sizes: object, max_bytes: int) -> dict[str, Any] | None:
    """The largest of a photo's sizes whose file fits `max_bytes` (the smallest when none does, so the attachment
    shows as too large rather than not at all)."""
    valid = [s for s in sizes if isinstance(s, dict) and s.get("file_id")] if isinstance(sizes, list) else []
    fitting = [size for size in valid if _number(size.get("file_size")) <= max_bytes]
    if fitting:
        return max(fitting, key=_area)
    return min(valid, key=_area) if valid else None


def _area(size: dict[str, Any]) -> int:
    return _number(size.get("width")) * _number(size.get("height"))


def _number(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _sticker_type(part: dict[str, Any]) -> str | None:
    if part.get("is_video"):
        return "video/webm"
    return "application/x-tgsticker" if part.get("is_animated") else None


def _timestamp(value: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


class TelegramAdapter:
    kind = MessagingChannel.TELEGRAM

    def send(self, message: OutboundMessage, *, settings: Settings) -> SendResult:
        """Send the reply to the customer's private chat with the bot. Throttling and Telegram's failures raise
        for the job to retry; any other refusal (the customer blocked the bot, a chat that is gone) fails it."""
        if not message.credentials:
            raise DeliveryFailed(
                "the inbox's Telegram credentials cannot be read (was the secret key changed?)"
            )
        try:
            with _api(message.credentials) as api:
                sent = api.send_message(chat_id=message.to, text=message.text)
        except ProviderError as error:
            if error.error.transient:
                raise
            raise DeliveryFailed(without(str(error), message.credentials.get("bot_token"))) from error
        return SendResult(status=DeliveryStatus.SENT, provider_message_id=sent or None)

    def fetch(
        self, item: AttachmentToFetch, *, credentials: dict[str, str], limits: media.MediaLimits
    ) -> Attachment:
        """A customer's file: its path asked with `getFile`, then downloaded from the bot's file URL on the
        configured API host. Every error has the bot token taken out."""
        token = credentials.get("bot_token")
        if not token:
            raise media.MediaRefused(
                "the inbox's Telegram credentials cannot be read (was the secret key changed?)"
            )
        api_base = credentials.get("api_base") or botapi.API_BASE
        with media.provider_calls("Telegram", hidden=token), _api(credentials) as api:
            found = api.get_file(item.source.get("file_id", ""))
        media.too_large(found.get("file_size"), limits)
        url = botapi.file_url(api_base, token, str(found.get("file_path") or ""))
        if url is None:
            raise media.MediaRefused("Telegram gave no usable path for the file")
        got = media.download(
            url,
            provider="Telegram",
            limits=limits,
            hosts=frozenset({(urlsplit(api_base).hostname or "").lower()}),
            hidden=token,
        )
        return media.attachment(item, got)
