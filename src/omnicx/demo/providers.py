"""The demo's messaging providers: local stand-ins for Twilio's and WhatsApp's APIs (`channels/service.py`) on
one loopback port, holding the shop's number, so the demo's SMS and WhatsApp inboxes are created and proven like
any other and the agents' replies go out through real HTTP calls, to nobody.

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
    from omnicx.channels.service import TwilioSimulator, WhatsAppSimulator

SHOP_NUMBER = "+33199001234"  # in the range France reserves for fiction
SHOP_DISPLAY = "+33 1 99 00 12 34"
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
            "api_base": api_base,
        },
    }


@dataclass
class RunningProviders:
    twilio: TwilioSimulator
    whatsapp: WhatsAppSimulator
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

    from omnicx.channels.service import TwilioSimulator, WhatsAppSimulator

    held = accounts(secret_key, port)
    sms, whatsapp = held[MessagingChannel.SMS], held[MessagingChannel.WHATSAPP]
    twilio = TwilioSimulator(accounts={sms["account_sid"]: (sms["auth_token"], {SHOP_NUMBER})})
    graph = WhatsAppSimulator(numbers={whatsapp["phone_number_id"]: (whatsapp["access_token"], SHOP_DISPLAY)})
    sock = socket.socket()
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise RuntimeError(
            f"the demo's messaging providers cannot listen on {HOST}:{port} ({error})"
        ) from error
    app = Starlette(routes=[*twilio.routes(), *graph.routes()])
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
    return RunningProviders(twilio=twilio, whatsapp=graph, accounts=held, server=server, thread=thread)
