"""Public face of the channels: what other domains use of them. The demo runs the providers' local stand-ins
(`sms/simulator.py`, `whatsapp/simulator.py`, `meta/simulator.py`, `telegram/simulator.py`) so its provider
inboxes are proven and its replies delivered over real HTTP, and its live simulation writes and confirms
through the providers' signed webhooks (`handsets.py`). The web push stand-in (`webpush/simulator.py`) plays a
push service and the browsers subscribed to it."""

from omnicx.channels.handsets import Customer, Handset, telegram_webhook
from omnicx.channels.meta.simulator import MetaSimulator
from omnicx.channels.sms.simulator import SentMessage, TwilioSimulator
from omnicx.channels.telegram.simulator import TelegramSimulator
from omnicx.channels.webpush.keys import public_key as push_public_key
from omnicx.channels.webpush.schemas import SubscribeRequest
from omnicx.channels.webpush.simulator import PushServiceSimulator
from omnicx.channels.webpush.subscriptions import subscribe as subscribe_browser
from omnicx.channels.whatsapp.simulator import (
    GraphRequest,
    WhatsAppSimulator,
    message_notification,
    status_notification,
)

__all__ = [
    "Customer",
    "GraphRequest",
    "Handset",
    "MetaSimulator",
    "PushServiceSimulator",
    "SentMessage",
    "SubscribeRequest",
    "TelegramSimulator",
    "TwilioSimulator",
    "WhatsAppSimulator",
    "message_notification",
    "push_public_key",
    "status_notification",
    "subscribe_browser",
    "telegram_webhook",
]
