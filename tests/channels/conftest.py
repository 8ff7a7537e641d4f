"""Email fixtures: a local SMTP sink (a real aiosmtpd server collecting what omnicx sends) and omnicx's own
inbound SMTP server, both on loopback ports."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from omnicx.channels.email.server import start_smtp_server
from omnicx.kernel.runtime import Runtime
from omnicx.kernel.settings import Settings
from tests.inbox.conftest import chat_inbox, email_inbox

__all__ = ["chat_inbox", "email_inbox"]  # the inbox fixtures, shared with these tests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"


class SmtpSink:
    """An SMTP server that keeps every message it receives; it can be stopped and started again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.collector = _Collector()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.collector.messages

    @property
    def refuse(self) -> set[str]:
        """Recipients the sink refuses for good (550)."""
        return self.collector.refuse

    def start(self) -> None:
        self.controller = Controller(self.collector, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def settings(settings: Settings, smtp_sink: SmtpSink) -> Settings:
    return settings.model_copy(update={"smtp_outbound_port": smtp_sink.port, "smtp_timeout_seconds": 3.0})


@pytest.fixture
def inbound_smtp(runtime: Runtime) -> Iterator[int]:
    """omnicx's inbound SMTP server; yields its port."""
    port = free_port()
    controller = start_smtp_server(runtime, host="127.0.0.1", port=port)
    yield port
    controller.stop()
