"""The customers' side of the provider channels, for the demo's live simulation: what Twilio, Meta and Telegram
post to omnicx when a customer writes or a reply reaches their phone, signed the way each provider signs it.

omnicx checks these requests exactly as it checks the providers' own (`sms/routes.py`, `whatsapp/routes.py`,
`meta/routes.py`, `telegram/routes.py`), so a demo message arrives through the same webhook, signature check,
deduplication and status rules as a real one. Each `Handset` speaks for one inbox: `write` posts a customer's
message, `confirm` the "delivered" and "read" callbacks of what the provider's stand-in accepted for it.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson

from omnicx.channels.meta.graph import SIGNATURE_HEADER as META_SIGNATURE
from omnicx.channels.meta.graph import signature as meta_signature
from omnicx.channels.meta.simulator import MetaSimulator, message_event, notification, status_event
from omnicx.channels.sms import twilio
from omnicx.channels.sms.adapter import callbacks as sms_callbacks
from omnicx.channels.sms.simulator import TwilioSimulator
from omnicx.channels.telegram.botapi import SECRET_HEADER as TELEGRAM_SECRET
from omnicx.channels.telegram.simulator import TelegramSimulator, update
from omnicx.channels.whatsapp.simulator import WhatsAppSimulator, message_notification, status_notification
from omnicx.inbox.enums import MessagingChannel

META_OBJECTS = {MessagingChannel.MESSENGER: "page", MessagingChannel.INSTAGRAM: "instagram"}


@dataclass(frozen=True)
class Customer:
    """Who writes: their id on the channel (a phone number in E.164, a page- or account-scoped id, a Telegram
    user id) and the name their profile shows."""

    channel_id: str
    name: str


@dataclass
class Handset:
    """Posts to one inbox's webhooks as its provider would. `server` is where omnicx listens; `base_url` the
    address omnicx knows itself by (Twilio signs the URL it calls, which is omnicx's public one)."""

    channel: MessagingChannel
    inbox_id: uuid.UUID
    account: dict[str, str]
    server: str
    base_url: str
    client: httpx.Client
    _confirmed: int = 0
    _updates: int = field(default_factory=lambda: secrets.randbelow(10**6) + 10**8)

    def write(self, customer: Customer, text: str, *, shop: str) -> str:
        """Post the customer's message to the shop (`shop`: its number for SMS, its display number for
        WhatsApp, its Page id or Instagram account id); returns the provider's id for it."""
        if self.channel is MessagingChannel.SMS:
            return self._twilio_message(customer, text, shop)
        if self.channel is MessagingChannel.WHATSAPP:
            wamid = f"wamid.{secrets.token_hex(20)}"
            body = message_notification(
                self.account["phone_number_id"],
                shop,
                wa_id=customer.channel_id.lstrip("+"),
                name=customer.name,
                wamid=wamid,
                text=text,
            )
            self._post_meta(body)
            return wamid
        if self.channel in META_OBJECTS:
            mid = f"m_{secrets.token_urlsafe(24)}"
            event = message_event(shop, customer.channel_id, mid=mid, text=text)
            self._post_meta(notification(META_OBJECTS[self.channel], shop, event))
            return mid
        if self.channel is MessagingChannel.TELEGRAM:
            return self._telegram(customer, text)
        raise ValueError(f"{self.channel} has no provider webhook")

    def confirm(self, simulator: Any, *, shop: str) -> int:
        """Post "delivered" then "read" for every message the provider's stand-in accepted for this inbox since
        the last call; returns how many. Telegram reports neither."""
        accepted = list(simulator.sent[self._confirmed :])
        self._confirmed += len(accepted)
        done = 0
        for sent in accepted:
            if isinstance(simulator, TwilioSimulator) and sent.account_sid == self.account["account_sid"]:
                done += self._twilio_status(sent.sid, sent.form)
            elif isinstance(simulator, WhatsAppSimulator) and sent.phone_number_id == self.account.get(
                "phone_number_id"
            ):
                done += self._whatsapp_status(sent.wamid, sent.body, shop)
            elif isinstance(simulator, MetaSimulator) and sent.account_id == shop:
                recipient = str(sent.body["recipient"]["id"])
                for kind in ("delivery", "read"):
                    event = status_event(shop, recipient, kind=kind, mids=(sent.mid,))
                    self._post_meta(notification(META_OBJECTS[self.channel], shop, event))
                done += 1
        return done

    # -- Twilio --------------------------------------------------------------------------------------------------

    def _twilio_message(self, customer: Customer, text: str, shop: str) -> str:
        sid = f"SM{secrets.token_hex(16)}"
        params = [
            ("AccountSid", self.account["account_sid"]),
            ("MessageSid", sid),
            ("From", customer.channel_id),
            ("To", shop),
            ("Body", text),
            ("NumMedia", "0"),
        ]
        self._post_twilio(sms_callbacks(self.inbox_id)["messages"], params)
        return sid

    def _twilio_status(self, sid: str, form: dict[str, str]) -> int:
        """Twilio calls the status callback the reply named, with the same query string."""
        callback = form.get("StatusCallback", "")
        path = callback.removeprefix(self.base_url.rstrip("/"))
        if not path.startswith("/"):
            return 0
        for status in ("delivered", "read"):
            params = [
                ("AccountSid", self.account["account_sid"]),
                ("MessageSid", sid),
                ("MessageStatus", status),
                ("To", form.get("To", "")),
                ("From", form.get("From", "")),
            ]
            self._post_twilio(path, params)
        return 1

    def _post_twilio(self, path: str, params: list[tuple[str, str]]) -> None:
        signed_url = self.base_url.rstrip("/") + path
        headers = {
            twilio.SIGNATURE_HEADER: twilio.signature(self.account["auth_token"], signed_url, params),
            "Content-Type": "application/x-www-form-urlencoded",
        }
        response = self.client.post(self.server + path, content=urlencode(params), headers=headers)
        response.raise_for_status()

    # -- Meta (WhatsApp, Messenger, Instagram) ------------------------------------------------------------------

    def _whatsapp_status(self, wamid: str, body: dict[str, Any], shop: str) -> int:
        recipient = str(body.get("to") or "")
        callback = body.get("biz_opaque_callback_data")
        for status in ("delivered", "read"):
            notice = status_notification(
                self.account["phone_number_id"],
                shop,
                wamid=wamid,
                status=status,
                recipient=recipient,
                callback_data=str(callback) if callback else None,
            )
            self._post_meta(notice)
        return 1

    def _post_meta(self, payload: dict[str, Any]) -> None:
        body = orjson.dumps(payload)
        headers = {
            META_SIGNATURE: meta_signature(self.account["app_secret"], body),
            "Content-Type": "application/json",
        }
        path = f"/channels/{self.channel.value}/{self.inbox_id}/webhook"
        response = self.client.post(self.server + path, content=body, headers=headers)
        response.raise_for_status()

    # -- Telegram -------------------------------------------------------------------------------------------------

    def _telegram(self, customer: Customer, text: str) -> str:
        """Telegram posts to the URL and with the secret token omnicx gave `setWebhook`; the stand-in kept
        both."""
        self._updates += 1
        first, _, last = customer.name.partition(" ")
        payload = update(
            self._updates, user_id=int(customer.channel_id), first_name=first, last_name=last, text=text
        )
        url, secret = self.account["webhook_url"], self.account["secret_token"]
        path = url.removeprefix(self.base_url.rstrip("/"))
        headers = {TELEGRAM_SECRET: secret, "Content-Type": "application/json"}
        response = self.client.post(self.server + path, content=orjson.dumps(payload), headers=headers)
        response.raise_for_status()
        return str(self._updates)


def telegram_webhook(simulator: TelegramSimulator, bot_token: str) -> dict[str, str]:
    """Where and with which secret the bot's updates go, as `setWebhook` told the stand-in (empty before)."""
    url, secret = simulator.webhooks.get(bot_token, ("", ""))
    return {"webhook_url": url, "secret_token": secret}
