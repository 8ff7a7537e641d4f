"""The Telegram channel's adapter: an inbox's bot proven with `getMe` when it is created and its webhook
registered by omnicx (with a secret token omnicx generates), private messages turned into the inbox's messages,
replies sent with `sendMessage`.

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

from omnicx.channels.base import DeliveryFailed, SendResult
from omnicx.channels.provider_api import ProviderError, account_check, without
from omnicx.channels.telegram import botapi
from omnicx.inbox.enums import DeliveryStatus, MessagingChannel
from omnicx.inbox.schemas import InboundMessage, OutboundMessage
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


def inbound(update: dict[str, Any], *, inbox_address: str) -> InboundMessage | None:
    """The customer's message of one update, as the inbox stores it; None for anything else (an edit, a group
    chat's message, a bot's). The update's id deduplicates a redelivery."""
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
        received_at=_timestamp(message.get("date")),
        sender_verified=True,
    )


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
