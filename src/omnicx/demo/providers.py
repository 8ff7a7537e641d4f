"""The demo's messaging providers: local stand-ins for Twilio's, Meta's (WhatsApp, Messenger, Instagram) and
Telegram's APIs, and a browser push service (`channels/service.py`), on one loopback port, holding the shop's
number, Page, account and bot, so the demo's provider inboxes are created and proven like any other and the
agents' replies and notifications go out through real HTTP calls, to nobody.

The accounts are derived from the server's secret key and the port is fixed (`omnicx demo --providers-port`),
so a demo restarted later finds the accounts its inboxes were proven with.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omnicx.inbox.enums import MessagingChannel

if TYPE_CHECKING:  # imported where the servers start: `omnicx demo --help` stays quick
    from omnicx.channels.service import (
        MetaSimulator,
        PushServiceSimulator,
        TelegramSimulator,
        TwilioSimulator,
        WhatsAppSimulator,
    )

SHOP_NUMBER = "+33199001234"  # in the range France reserves for fiction
SHOP_DISPLAY = "+33 1 99 00 12 34"
SHOP_PAGE_ID = "104857600123456"  # the shop's Facebook Page
SHOP_INSTAGRAM_ID = "17841400987654"
SHOP_INSTAGRAM = "maisonlumiere"
SHOP_BOT = "MaisonLumiereBot"
ADDRESSES = {
    MessagingChannel.SMS: SHOP_NUMBER,
    MessagingChannel.WHATSAPP: SHOP_NUMBER,
    MessagingChannel.MESSENGER: SHOP_PAGE_ID,
    MessagingChannel.INSTAGRAM: f"@{SHOP_INSTAGRAM}",
    MessagingChannel.TELEGRAM: f"@{SHOP_BOT}",
}
DEFAULT_PORT = 8026
HOST = "127.0.0.1"


def accounts(secret_key: str, port: int) -> dict[MessagingChannel, dict[str, str]]:
    """The shop's demo accounts per provider channel: credentials as their inboxes keep them."""

    def derived(purpose: str, length: int = 32) -> str:
        digest = hmac.new(secret_key.encode(), f"omnicx demo {purpose}".encode(), hashlib.sha256).hexdigest()
        return digest[:length]

    api_base = f"http://{HOST}:{port}"
    return {
        MessagingChannel.SMS: {
            "account_sid": f"AC{derived('twilio account')}",
            "auth_token": derived("twilio token"),
            "api_base": api_base,
        },
        MessagingChannel.WHATSAPP: {
            "phone_number_id": str(int(derived("whatsapp number", 12), 16))[:15],
            "access_token": f"EAAG{derived('whatsapp token')}",
            "app_secret": derived("whatsapp app secret"),
            "verify_token": derived("whatsapp verify token", 24),
            "business_account_id": str(int(derived("whatsapp business account", 12), 16))[:15],
            "api_base": api_base,
        },
        MessagingChannel.MESSENGER: {
            "access_token": f"EAAB{derived('page token')}",
            "app_secret": derived("meta app secret"),
            "verify_token": derived("messenger verify token", 24),
            "api_base": f"{api_base}/meta",
        },
        MessagingChannel.INSTAGRAM: {
            "instagram_id": SHOP_INSTAGRAM_ID,
            "access_token": f"EAAB{derived('page token')}",
            "app_secret": derived("meta app secret"),
            "verify_token": derived("instagram verify token", 24),
            "api_base": f"{api_base}/meta",
        },
        MessagingChannel.TELEGRAM: {
            "bot_token": f"{int(derived('telegram bot', 8), 16)}:{derived('telegram token', 35)}",
            "api_base": f"{api_base}/telegram",
        },
    }


# The shop's approved WhatsApp templates: (name, category, body by language). The desk's late answers send
# `support_follow_up` in each customer's language.
TEMPLATES = (
    (
        "order_ready",
        "UTILITY",
        {
            "fr": "Bonjour {{1}}, votre commande {{2}} est prête.",
            "en": "Hello {{1}}, your order {{2}} is ready.",
        },
    ),
    (
        "back_in_stock",
        "MARKETING",
        {
            "fr": "Bonne nouvelle {{1}} : {{2}} est de retour en boutique.",
            "en": "Good news {{1}}: {{2}} is back in stock.",
        },
    ),
    (
        "support_follow_up",
        "UTILITY",
        {
            "fr": "Bonjour {{1}}, nous revenons vers vous au sujet de votre message. Répondez pour continuer.",
            "en": "Hello {{1}}, we are following up on your message. Reply to carry on.",
            "id": "Halo {{1}}, kami menindaklanjuti pesan Anda. Balas untuk melanjutkan.",
            "ca": "Hola {{1}}, us responem sobre el vostre missatge. Responeu per continuar.",
            "es": "Hola {{1}}, le respondemos sobre su mensaje. Responda para continuar.",
        },
    ),
)


def whatsapp_templates() -> list[dict[str, Any]]:
    """The shop's templates as the Graph API lists them, all approved."""
    return [
        {
            "id": str(10**14 + index),
            "name": name,
            "language": language,
            "status": "APPROVED",
            "category": category,
            "components": [{"type": "BODY", "text": body}],
        }
        for index, (name, category, bodies) in enumerate(TEMPLATES)
        for language, body in bodies.items()
    ]


@dataclass
class RunningProviders:
    twilio: TwilioSimulator
    whatsapp: WhatsAppSimulator
    meta: MetaSimulator
    telegram: TelegramSimulator
    push: PushServiceSimulator
    push_base: str  # where the push service's endpoints are (`{push_base}/push/{browser}`)
    accounts: dict[MessagingChannel, dict[str, str]]
    server: Any  # uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_providers(secret_key: str, port: int = DEFAULT_PORT) -> RunningProviders:
    """Serve both simulators on `port` (loopback) from a background thread, once it listens."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    from omnicx.channels.service import (
        MetaSimulator,
        PushServiceSimulator,
        TelegramSimulator,
        TwilioSimulator,
        WhatsAppSimulator,
    )

    held = accounts(secret_key, port)
    sms, whatsapp = held[MessagingChannel.SMS], held[MessagingChannel.WHATSAPP]
    twilio = TwilioSimulator(accounts={sms["account_sid"]: (sms["auth_token"], {SHOP_NUMBER})})
    graph = WhatsAppSimulator(
        numbers={whatsapp["phone_number_id"]: (whatsapp["access_token"], SHOP_DISPLAY)},
        business_accounts={whatsapp["business_account_id"]: whatsapp["access_token"]},
        templates={whatsapp["business_account_id"]: whatsapp_templates()},
    )
    page_token = held[MessagingChannel.MESSENGER]["access_token"]
    meta = MetaSimulator(
        accounts={
            SHOP_PAGE_ID: (page_token, {"name": "Maison Lumière"}),
            SHOP_INSTAGRAM_ID: (page_token, {"username": SHOP_INSTAGRAM}),
        }
    )
    telegram = TelegramSimulator(bots={held[MessagingChannel.TELEGRAM]["bot_token"]: SHOP_BOT})
    push = PushServiceSimulator()
    sock = socket.socket()
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise RuntimeError(
            f"the demo's messaging providers cannot listen on {HOST}:{port} ({error})"
        ) from error
    app = Starlette(
        routes=[
            *twilio.routes(),
            *graph.routes(),
            Mount("/meta", routes=meta.routes()),
            Mount("/telegram", routes=telegram.routes()),
            Mount("/webpush", routes=push.routes()),
        ]
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="demo-providers"
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo's messaging providers did not start")
        time.sleep(0.01)
    return RunningProviders(
        twilio=twilio,
        whatsapp=graph,
        meta=meta,
        telegram=telegram,
        push=push,
        push_base=f"http://{HOST}:{port}/webpush",
        accounts=held,
        server=server,
        thread=thread,
    )
