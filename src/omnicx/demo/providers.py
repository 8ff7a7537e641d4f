"""The demo's messaging provider: a local stand-in for Twilio's API (`channels/sms/simulator.py`) on a loopback
port, holding the shop's SMS number, so the demo's SMS inbox is created and proven like any other and the
agents' replies go out through real HTTP calls, to nobody.

The account is derived from the server's secret key and the port is fixed (`omnicx demo --providers-port`), so
a demo restarted later finds the account its inbox was proven with.
"""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where the servers start: `omnicx demo --help` stays quick
    from omnicx.channels.service import TwilioSimulator

SHOP_NUMBER = "+33199001234"  # in the range France reserves for fiction
DEFAULT_PORT = 8026
HOST = "127.0.0.1"


def sms_account(secret_key: str, port: int) -> dict[str, str]:
    """The shop's demo Twilio account: its SID, auth token and the simulator's address."""

    def derived(purpose: str) -> str:
        return hmac.new(secret_key.encode(), f"omnicx demo {purpose}".encode(), hashlib.sha256).hexdigest()[
            :32
        ]

    return {"account_sid": f"AC{derived('twilio account')}", "auth_token": derived("twilio token"),
            "api_base": f"http://{HOST}:{port}"}  # fmt: skip


@dataclass
class RunningProviders:
    simulator: TwilioSimulator
    account: dict[str, str]
    server: Any  # uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def start_providers(secret_key: str, port: int = DEFAULT_PORT) -> RunningProviders:
    """Serve the simulator on `port` (loopback) from a background thread, once it listens."""
    import uvicorn

    from omnicx.channels.service import TwilioSimulator

    account = sms_account(secret_key, port)
    simulator = TwilioSimulator(accounts={account["account_sid"]: (account["auth_token"], {SHOP_NUMBER})})
    sock = socket.socket()
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise RuntimeError(f"the demo's SMS provider cannot listen on {HOST}:{port} ({error})") from error
    server = uvicorn.Server(uvicorn.Config(simulator.app(), log_level="warning", access_log=False))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="demo-providers"
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the demo's SMS provider did not start")
        time.sleep(0.01)
    return RunningProviders(simulator=simulator, account=account, server=server, thread=thread)
